import { formatBytes, formatCount } from '../../../language/base/format.js';
import type { GraphDiagnostic, GraphModel, GraphNetwork } from '../../../language/views/graph.js';
import { attributeRow } from './attribute-controls.js';
import { h } from '../view/dom.js';
import { percent } from '../view/node-view.js';
import type { VisibleNode } from '../model/visible-graph.js';

/** An attribute change the user committed in the panel. */
export type AttributeCommit = (stmt: number, name: string, value: string) => void;

/**
 * The side panel's view of the selection: for one layer its facts, diagnostics and its statement's
 * attributes (editable); for a collapsed group its summary; for several boxes their count and totals.
 */
export function selectionPanel(items: VisibleNode[], model: GraphModel, net: GraphNetwork, commit: AttributeCommit): HTMLElement {
  if (items.length === 0) return h('p', { class: 'muted' }, 'Click a layer to see its facts and attributes; Shift- or Ctrl-click to select several.');
  if (items.length > 1) return manyPanel(items);
  const item = items[0];
  return item.kind === 'layer' ? layerPanel(item, model, net, commit) : groupPanel(item);
}

/** The block whose body wrote a layer's statement: its innermost enclosing block call. */
function writtenInBlock(net: GraphNetwork, group: string | undefined): string | undefined {
  const byId = new Map(net.groups.map((g) => [g.id, g]));
  for (let g = group !== undefined ? byId.get(group) : undefined; g; g = g.parent !== undefined ? byId.get(g.parent) : undefined) {
    if (g.kind === 'block') return g.label.split(' ')[0];
  }
  return undefined;
}

function layerPanel(item: Extract<VisibleNode, { kind: 'layer' }>, model: GraphModel, net: GraphNetwork, commit: AttributeCommit): HTMLElement {
  const n = item.node;
  const root = h('div', { class: 'facts', 'data-selected': n.id });
  root.append(
    h('h3', {}, h('span', { class: 'op' }, n.op), ' ', h('span', { class: 'muted' }, n.id)),
    facts([
      ['output', n.shape ?? 'unknown'],
      ['params', formatCount(n.params)],
      ['MACs', `${formatCount(n.macs)} (${percent(n.macsShare)})`],
      ['output memory', formatBytes(n.bytes)],
      ['kept for backward', formatBytes(n.kept)],
      ['line', String(n.line + 1)],
    ]),
  );
  // In a block the box shows this call's values; the panel gives the statement as written, too.
  if (n.written !== undefined) {
    root.insertBefore(
      facts([
        ['this call', `${n.op} ${n.label}`],
        ['written', `${n.op} ${n.written}`],
      ]),
      root.lastChild,
    );
  }
  if (n.diagnostics.length > 0) root.append(diagnosticList(n.diagnostics));
  const st = model.statements[n.stmt];
  if (st && st.attrs.length > 0) {
    root.append(h('h4', {}, 'Attributes'));
    const block = writtenInBlock(net, n.group);
    if (block) root.append(h('p', { class: 'muted note' }, `Written in block ${block}: a change applies to every call of it.`));
    const form = h('div', { class: 'attrs' });
    for (const a of st.attrs) form.append(attributeRow(a, (v) => commit(n.stmt, a.name, v)));
    root.append(form);
  } else {
    root.append(h('p', { class: 'muted' }, 'This layer comes from a statement with no attributes to edit here.'));
  }
  return root;
}

function groupPanel(item: Extract<VisibleNode, { kind: 'group' }>): HTMLElement {
  const g = item.group;
  const root = h('div', { class: 'facts', 'data-selected': g.id });
  root.append(
    h('h3', {}, h('span', { class: 'op' }, g.label), ' ', h('span', { class: 'muted' }, g.kind === 'repeat' ? 'collapsed' : 'block call, collapsed')),
    facts([
      ['layers', formatCount(g.layers)],
      ['output', item.shape ?? 'unknown'],
      ['params', formatCount(item.params)],
      ['MACs', `${formatCount(item.macs)} (${percent(item.macsShare)})`],
      ['kept for backward', formatBytes(item.kept)],
      ['line', String(g.line + 1)],
    ]),
  );
  if (item.errors + item.warnings > 0) root.append(h('p', { class: item.errors > 0 ? 'diag error' : 'diag warning' }, `${item.errors} errors, ${item.warnings} warnings inside: expand it to see them.`));
  return root;
}

function manyPanel(items: VisibleNode[]): HTMLElement {
  let params = 0;
  let macs = 0;
  for (const it of items) {
    params += it.kind === 'layer' ? it.node.params : it.params;
    macs += it.kind === 'layer' ? it.node.macs : it.macs;
  }
  return h(
    'div',
    { class: 'facts' },
    h('h3', {}, `${formatCount(items.length)} selected`),
    facts([
      ['params', formatCount(params)],
      ['MACs', formatCount(macs)],
    ]),
    h('p', { class: 'muted' }, items.map((i) => i.id).join(', ')),
  );
}

function facts(rows: [string, string][]): HTMLElement {
  const dl = h('dl', { class: 'fact-list' });
  for (const [k, v] of rows) dl.append(h('dt', {}, k), h('dd', {}, v));
  return dl;
}

function diagnosticList(ds: readonly GraphDiagnostic[]): HTMLElement {
  const ul = h('ul', { class: 'diagnostics' });
  for (const d of ds) ul.append(h('li', { class: `diag ${d.severity}` }, h('span', { class: 'sev' }, d.severity), ` line ${d.line + 1}: ${d.message}`));
  return ul;
}
