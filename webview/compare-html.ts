import { formatBytes, formatCount } from '../language/base/format.js';
import { formatShape } from '../language/base/shape.js';
import { fieldChangeText, TOTAL_LABEL, type DiffSide, type NetworkDiff } from '../language/views/diff.js';
import { esc, pageHtml } from './page-html.js';

/**
 * Stride: Compare with…'s page: the totals with their deltas, then the two versions side by side, one row
 * per aligned layer (added, removed, changed or the same, coloured as the theme colours git changes), the
 * changes of a changed layer beside it. A row of the newer version shows its line when clicked (the
 * `reveal` message); "Only changes" hides the same layers. Its policy runs only the script with the nonce.
 */

export interface CompareHtmlOptions {
  nonce: string;
  /** The names of the two versions: before, after. */
  a: string;
  b: string;
}

const MARK = { added: '+', removed: '−', changed: '~', same: '' } as const;

function cells(s: DiffSide | undefined): string {
  if (!s) return '<td class="side name"></td><td></td><td></td>';
  const shape = s.shape ? formatShape(s.shape) : '?';
  return `<td class="side name" title="line ${s.line}: ${esc(s.text)}">${esc(s.name)}</td><td class="num">${esc(shape)}</td><td class="num">${s.params === null ? '?' : formatCount(s.params)}</td>`;
}

export function compareHtml(d: NetworkDiff, o: CompareHtmlOptions): string {
  const c = d.counts;
  const totals = d.totals
    .map((t) => {
      const fmt = (v: number) => (t.unit === 'bytes' ? formatBytes(v) : formatCount(v));
      const sign = t.delta > 0 ? '+' : t.delta < 0 ? '−' : '±';
      const cls = t.delta > 0 ? 'up' : t.delta < 0 ? 'down' : '';
      return `<tr><th scope="row">${esc(TOTAL_LABEL[t.field] ?? t.field)}</th><td class="num">${esc(fmt(t.a))}</td><td class="num">${esc(fmt(t.b))}</td><td class="num delta ${cls}">${sign}${esc(fmt(Math.abs(t.delta)))}</td></tr>`;
    })
    .join('\n');
  const rows = d.layers
    .map((l) => {
      const changes = l.changes.map((ch) => `<div>${esc(fieldChangeText(ch))}</div>`).join('');
      const line = l.b ? ` data-line="${l.b.line - 1}"` : '';
      return `<tr class="${l.status}"${line}><td class="mark" title="${l.status}">${MARK[l.status]}</td>${cells(l.a)}${cells(l.b)}<td class="changes">${changes}</td></tr>`;
    })
    .join('\n');
  return pageHtml({
    nonce: o.nonce,
    title: `${o.b} ↔ ${o.a}`,
    bodyClass: 'only-changes',
    style: `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 16px 24px; }
h2 { font-size: 1.2em; margin: 16px 0 4px; }
.muted { color: var(--vscode-descriptionForeground); }
table { border-collapse: collapse; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
th, td { padding: 2px 8px; text-align: left; white-space: nowrap; vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.totals th { font-weight: normal; }
.delta.up { color: var(--vscode-gitDecoration-addedResourceForeground, #81b88b); }
.delta.down { color: var(--vscode-gitDecoration-deletedResourceForeground, #c74e39); }
.layers thead th { position: sticky; top: 0; background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-editorWidget-border, #888); }
.layers td.side.name { border-left: 1px solid var(--vscode-editorWidget-border, #555); }
.layers tr.added { background: var(--vscode-diffEditor-insertedLineBackground, rgba(155, 185, 85, 0.2)); }
.layers tr.removed { background: var(--vscode-diffEditor-removedLineBackground, rgba(255, 0, 0, 0.2)); }
.layers tr.changed .mark, .layers tr.changed .changes { color: var(--vscode-gitDecoration-modifiedResourceForeground, #e2c08d); }
.layers tr[data-line] { cursor: pointer; }
.layers tr[data-line]:hover { outline: 1px solid var(--vscode-focusBorder); }
.layers .changes { white-space: normal; min-width: 20em; }
body.only-changes tr.same { display: none; }
.controls { margin: 8px 0; display: flex; gap: 16px; align-items: center; }
`,
    body: `
<h2>${esc(o.b)} <span class="muted">compared with</span> ${esc(o.a)}</h2>
<p class="muted">network ${esc(d.network.b)}${d.network.a !== d.network.b ? ` (was ${esc(d.network.a)})` : ''}; memory at batch ${formatCount(d.memory.batch)}, ${esc(d.memory.dtype)}, ${esc(d.memory.optimizer)}</p>
<p id="counts" role="status">${c.added} added, ${c.removed} removed, ${c.changed} changed, ${c.same} the same</p>
<table class="totals"><thead><tr><th></th><th class="num">${esc(o.a)}</th><th class="num">${esc(o.b)}</th><th class="num">Δ</th></tr></thead><tbody>
${totals}
</tbody></table>
<div class="controls">
  <label><input type="checkbox" id="only" checked> Only changes</label>
  <button id="end" type="button">End comparison</button>
</div>
<table class="layers">
<thead><tr><th></th><th>${esc(o.a)}</th><th class="num">output</th><th class="num">params</th><th>${esc(o.b)}</th><th class="num">output</th><th class="num">params</th><th>changes</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
`,
    script: `
(() => {
  const vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  const only = document.getElementById('only');
  only.addEventListener('change', () => document.body.classList.toggle('only-changes', only.checked));
  document.getElementById('end').addEventListener('click', () => vscode && vscode.postMessage({ type: 'endCompare' }));
  document.querySelector('table.layers tbody').addEventListener('click', (e) => {
    const row = e.target.closest('tr[data-line]');
    if (row && vscode) vscode.postMessage({ type: 'reveal', line: Number(row.dataset.line) });
  });
})();
`,
  });
}
