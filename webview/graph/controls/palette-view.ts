import type { PaletteEntry } from '../../../language/edits/palette.js';
import { h } from '../view/dom.js';

/**
 * The palette: every op grouped by family, filtered by a query (matching op, statement or summary). A click
 * (or Enter) on an entry calls `insert` with the statement it inserts.
 */
export function paletteView(entries: readonly PaletteEntry[], query: string, insert: (e: PaletteEntry) => void): DocumentFragment {
  const q = query.trim().toLowerCase();
  const shown = entries.filter((e) => q === '' || e.op.toLowerCase().includes(q) || e.text.toLowerCase().includes(q) || e.summary.toLowerCase().includes(q));
  const families = new Map<string, PaletteEntry[]>();
  for (const e of shown) {
    const list = families.get(e.family) ?? [];
    list.push(e);
    families.set(e.family, list);
  }
  const out = document.createDocumentFragment();
  if (shown.length === 0) out.append(h('p', { class: 'muted' }, entries.length === 0 ? 'No ops yet.' : 'No op matches.'));
  // Families in the order the palette lists them (language/edits/palette.ts decides it).
  for (const family of families.keys()) {
    out.append(h('div', { class: `palette-family family-${family}` }, family));
    for (const e of families.get(family)!) out.append(paletteItem(e, insert));
  }
  return out;
}

function paletteItem(e: PaletteEntry, insert: (e: PaletteEntry) => void): HTMLElement {
  const item = h('div', { class: `palette-item family-${e.family}`, 'data-op': e.op, role: 'button', tabindex: 0, title: `${e.summary}\nInserts: ${e.text}` }, h('span', { class: 'swatch' }), h('span', { class: 'op' }, e.op), h('code', { class: 'text' }, e.text));
  item.addEventListener('click', () => insert(e));
  item.addEventListener('keydown', (k) => {
    if (k.key === 'Enter' || k.key === ' ') {
      k.preventDefault();
      insert(e);
    }
  });
  return item;
}
