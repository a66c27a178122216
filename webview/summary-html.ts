import type { SummaryTable } from '../language/views/summary-table.js';
import { esc, pageHtml } from './page-html.js';

/**
 * Stride: Show Summary's page, shared by the extension and the tests: per network the verdict first, its
 * totals, the layer table (a click on a column's title sorts by it, again reverses; a click on a row shows
 * its line: the `reveal` message of `protocol.ts`), and the memory breakdown. Styled by the theme's
 * variables; its policy runs only the script carrying the nonce and loads nothing.
 */

export interface SummaryHtmlOptions {
  nonce: string;
  title: string;
}

export function summaryHtml(table: SummaryTable, o: SummaryHtmlOptions): string {
  const sections = table.networks.map((n, k) => {
    const head = table.columns.map((c, i) => `<th class="${c.numeric ? 'num' : ''}" aria-sort="none"><button data-column="${i}" data-numeric="${c.numeric}" title="${esc(`${c.doc}; click to sort`)}">${esc(c.title)}</button></th>`).join('');
    const rows = n.rows
      .map((r) => `<tr data-line="${r.line - 1}" title="line ${r.line}">${r.cells.map((cell, i) => `<td class="${table.columns[i].numeric ? 'num' : ''}" data-sort="${esc(String(cell.sort))}">${esc(cell.text)}</td>`).join('')}</tr>`)
      .join('\n');
    const totals = n.totals.map((v, i) => `<td class="${table.columns[i].numeric ? 'num' : ''}">${esc(v)}</td>`).join('');
    const facts = n.facts.map((f) => `<div><dt>${esc(f.label)}</dt><dd>${esc(f.value)}</dd></div>`).join('');
    const memory = n.memory.map((m) => `<tr${m.mark ? ' class="largest"' : ''}><th scope="row">${esc(m.label)}</th><td class="num">${esc(m.value)}</td><td class="note">${esc(m.note)}</td></tr>`).join('\n');
    return `<section class="network" id="network-${k}" aria-labelledby="title-${k}">
<h2 id="title-${k}">network ${esc(n.name)} <span class="muted">line ${n.line}</span></h2>
<p class="verdict${n.over ? ' over' : ''}" role="status">${esc(n.verdict)}</p>
<dl class="facts">${facts}</dl>
<div class="scroll"><table class="layers">
<thead><tr>${head}</tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr>${totals}</tr></tfoot>
</table></div>
<h3>${esc(n.memoryHeading)}</h3>
<table class="memory"><tbody>
${memory}
</tbody></table>
</section>`;
  });
  return pageHtml({
    nonce: o.nonce,
    title: o.title,
    style: `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 16px 24px; }
h2 { font-size: 1.3em; margin: 18px 0 6px; }
h3 { font-size: 1em; margin: 18px 0 6px; }
.muted { color: var(--vscode-descriptionForeground); font-weight: normal; font-size: 0.85em; }
.verdict { font-size: 1.1em; margin: 4px 0 10px; padding: 6px 10px; border-left: 3px solid var(--vscode-testing-iconPassed, #3c3); background: var(--vscode-textBlockQuote-background); }
.verdict.over { border-left-color: var(--vscode-errorForeground, #e33); }
.facts { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 0 0 12px; }
.facts dt { color: var(--vscode-descriptionForeground); display: inline; margin-right: 6px; }
.facts dd { display: inline; margin: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
.layers { min-width: 100%; }
.layers th, .layers td { padding: 2px 10px; white-space: nowrap; text-align: left; }
.layers .num { text-align: right; font-variant-numeric: tabular-nums; }
.layers thead th { position: sticky; top: 0; background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-editorWidget-border, #888); }
.layers th button { font: inherit; color: inherit; background: none; border: 0; padding: 0; cursor: pointer; font-weight: 600; }
.layers th[aria-sort="ascending"] button::after { content: ' ▲'; }
.layers th[aria-sort="descending"] button::after { content: ' ▼'; }
.layers tbody tr { cursor: pointer; }
.layers tbody tr:hover { background: var(--vscode-list-hoverBackground); }
.layers tfoot td { border-top: 1px solid var(--vscode-editorWidget-border, #888); font-weight: 600; }
.memory th { text-align: left; font-weight: normal; padding: 1px 12px 1px 0; white-space: nowrap; }
.memory td { padding: 1px 12px 1px 0; }
.memory .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.memory .note { color: var(--vscode-descriptionForeground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
.memory .largest th, .memory .largest .num { font-weight: 600; }
`,
    body: `
${sections.join('\n') || '<p>No network in this file.</p>'}
`,
    script: `
(() => {
  const vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  for (const table of document.querySelectorAll('table.layers')) {
    const body = table.tBodies[0];
    const original = [...body.rows];
    table.tHead.addEventListener('click', (e) => {
      const button = e.target.closest('button[data-column]');
      if (!button) return;
      const th = button.parentElement;
      const column = Number(button.dataset.column);
      const numeric = button.dataset.numeric === 'true';
      // Numbers start largest first, names from A; a second click reverses; a third restores the text's order.
      const was = th.getAttribute('aria-sort');
      const first = numeric ? 'descending' : 'ascending';
      const next = was === 'none' ? first : was === first ? (first === 'ascending' ? 'descending' : 'ascending') : 'none';
      for (const other of table.tHead.querySelectorAll('th')) other.setAttribute('aria-sort', 'none');
      th.setAttribute('aria-sort', next);
      const key = (row) => row.cells[column].dataset.sort;
      const sign = next === 'ascending' ? 1 : -1;
      const rows = next === 'none' ? original : [...original].sort((a, b) => {
        const x = key(a), y = key(b);
        const d = numeric ? Number(x) - Number(y) : x.localeCompare(y, undefined, { numeric: true });
        return d * sign || original.indexOf(a) - original.indexOf(b);
      });
      body.replaceChildren(...rows);
    });
    body.addEventListener('click', (e) => {
      const row = e.target.closest('tr[data-line]');
      if (row && vscode) vscode.postMessage({ type: 'reveal', line: Number(row.dataset.line) });
    });
  }
})();
`,
  });
}
