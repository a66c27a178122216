import type { GraphDiagnostic } from '../../../language/views/graph.js';
import { h } from '../view/dom.js';

/**
 * The file's diagnostics that belong to no layer (a syntax error, an unused block) above the diagram; a
 * click on one shows its line in the text.
 */
export function renderBanner(banner: HTMLElement, diagnostics: readonly GraphDiagnostic[], reveal: (line: number) => void): void {
  banner.replaceChildren();
  banner.hidden = diagnostics.length === 0;
  const errors = diagnostics.some((d) => d.severity === 'error');
  banner.className = errors ? 'error' : 'warning';
  for (const d of diagnostics.slice(0, 20)) {
    const item = h('div', { class: `diag ${d.severity}`, role: 'button', tabindex: 0, title: 'Show the line' }, h('span', { class: 'sev' }, d.severity), ` line ${d.line + 1}: ${d.message}`);
    item.addEventListener('click', () => reveal(d.line));
    banner.append(item);
  }
  if (diagnostics.length > 20) banner.append(h('div', { class: 'muted' }, `and ${diagnostics.length - 20} more`));
}
