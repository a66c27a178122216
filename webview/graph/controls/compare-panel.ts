import { formatCompact, formatCount } from '../../../language/base/format.js';
import { formatShape } from '../../../language/base/shape.js';
import { fieldChangeText, type DiffSide, type GraphComparison } from '../../../language/views/diff.js';
import type { GraphNetwork } from '../../../language/views/graph.js';
import { ownChange, type Overlay } from '../model/comparison.js';
import type { VisibleGraph, VisibleNode } from '../model/visible-graph.js';
import { MARK_SIGN } from '../view/compare-view.js';
import { h } from '../view/dom.js';

/**
 * What the page shows of a comparison (Stride: Compare with…) besides the marks on the diagram: the bar above
 * it with the counts, the removed layers and End comparison; the selected box's deltas in the side panel;
 * the toolbar totals' deltas.
 */

/** At most this many removed layers are named in the bar; the markers on the diagram show them all. */
const REMOVED_LISTED = 8;

function sign(mark: keyof typeof MARK_SIGN): HTMLElement {
  return h('span', { class: `cmp-sign cmp-${mark}`, 'aria-hidden': 'true' }, MARK_SIGN[mark]);
}

/** `+1,024`, `−3`, `±0`, each number as `fmt` writes it. */
export function signed(v: number, fmt: (n: number) => string = formatCount): string {
  return v > 0 ? `+${fmt(v)}` : v < 0 ? `−${fmt(-v)}` : '±0';
}

/**
 * The bar: "compared with X: a added, r removed, c changed", a legend of the marks, the removed layers (a click
 * shows the box they followed) and End comparison. Hidden without a comparison.
 */
export function renderCompareBar(bar: HTMLElement, c: GraphComparison | undefined, overlay: Overlay | undefined, shown: string | undefined, actions: { end(): void; reveal(box: string): void }): void {
  bar.replaceChildren();
  bar.hidden = c === undefined;
  if (!c) return;
  const n = c.counts;
  const fieldOnly = Object.values(c.nodes).filter((x) => x.status === 'changed' && !ownChange(x.changes)).length;
  // A count of none reads in the quiet colour: only what happened is coloured.
  const count = (v: number, mark: 'added' | 'removed' | 'changed') => h('span', { class: v > 0 ? `cmp-count cmp-${mark}` : 'cmp-count muted' }, `${formatCount(v)} ${mark}`);
  const summary = h(
    'span',
    { class: 'compare-summary' },
    `compared with ${c.against}: `,
    count(n.added, 'added'),
    ', ',
    count(n.removed, 'removed'),
    ', ',
    count(n.changed, 'changed'),
    fieldOnly > 0 ? h('span', { class: 'muted' }, ` (${formatCount(fieldOnly)} only in receptive field)`) : undefined,
  );
  bar.append(summary);
  if (shown !== undefined && c.network !== shown) bar.append(h('span', { class: 'muted' }, ` · network ${c.network}: switch to it to see the marks`));
  else bar.append(h('span', { class: 'cmp-legend muted' }, sign('added'), ' added ', sign('changed'), ' changed ', sign('removed'), ' removed'));
  const removed = overlay?.removed.flatMap((r) => r.layers.map((l) => ({ box: r.box, layer: l }))) ?? [];
  if (removed.length > 0) {
    const list = h('span', { class: 'cmp-removed-list' }, 'removed: ');
    for (const { box, layer } of removed.slice(0, REMOVED_LISTED)) {
      const item = h('span', { class: 'cmp-removed-item', role: 'button', tabindex: 0, 'data-removed': layer.name, title: `Show where it was: after ${box}` }, layer.name);
      item.addEventListener('click', () => actions.reveal(box));
      item.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') actions.reveal(box);
      });
      list.append(item, ' ');
    }
    if (removed.length > REMOVED_LISTED) list.append(h('span', { class: 'muted' }, `and ${formatCount(removed.length - REMOVED_LISTED)} more`));
    bar.append(list);
  }
  const end = h('vscode-button', { secondary: true, 'data-action': 'end-compare', title: 'Stop comparing: the diagram as it is' }, 'End comparison');
  end.addEventListener('click', () => actions.end());
  bar.append(end);
}

/** The toolbar's totals, each with its delta from the other version while comparing this network. */
export function totalsText(net: GraphNetwork, c: GraphComparison | undefined): string {
  const delta = (field: string, fmt: (n: number) => string) => {
    const t = c && c.network === net.name ? c.totals.find((x) => x.field === field) : undefined;
    return t ? ` (${signed(t.delta, fmt)})` : '';
  };
  return `${net.name}: ${formatCount(net.nodes.length)} layers${delta('layers', formatCount)} · ${formatCompact(net.params)} params${delta('params', formatCompact)} · ${formatCompact(net.macs)} MACs${delta('macs', formatCompact)}${net.complete ? '' : ' (incomplete)'}`;
}

function facts(rows: [string, string][]): HTMLElement {
  const dl = h('dl', { class: 'fact-list' });
  for (const [k, v] of rows) dl.append(h('dt', {}, k), h('dd', {}, v));
  return dl;
}

function sideFacts(side: DiffSide, name: boolean): HTMLElement {
  const rows: [string, string][] = [];
  if (name) rows.push(['layer', side.name]);
  rows.push(
    ['line', String(side.line)],
    ['as written', side.text],
    ['output', side.shape ? formatShape(side.shape) : 'unknown'],
    ['params', side.params === null ? '?' : formatCount(side.params)],
    ['MACs', side.macs === null ? '?' : formatCount(side.macs)],
  );
  return facts(rows);
}

/**
 * The side panel's part for one selected box while comparing: how it differs from the other version (its
 * changes, and its figures there), or for a folded group what changed inside; and the layers removed after it.
 */
export function compareSection(item: VisibleNode, net: GraphNetwork, g: VisibleGraph, c: GraphComparison, overlay: Overlay): HTMLElement | undefined {
  if (c.network !== net.name) return undefined;
  const root = h('div', { class: 'compare' }, h('h4', {}, `Compared with ${c.against}`));
  if (item.kind === 'layer') {
    const node = c.nodes[item.id];
    if (!node) root.append(h('p', { class: 'cmp-status cmp-same' }, 'The same in both versions.'));
    else if (node.status === 'added') root.append(h('p', { class: 'cmp-status cmp-added' }, sign('added'), ` Added: not in ${c.against}.`));
    else {
      root.append(h('p', { class: 'cmp-status cmp-changed' }, sign('changed'), ' Changed:'));
      const ul = h('ul', { class: 'cmp-changes' });
      for (const ch of node.changes) ul.append(h('li', {}, fieldChangeText(ch)));
      root.append(ul);
      if (node.before) root.append(h('p', { class: 'muted note' }, `In ${c.against}:`), sideFacts(node.before, node.before.name !== item.id));
    }
  } else {
    const inside = net.nodes.filter((n) => g.shownAs.get(n.id) === item.id);
    const added = inside.filter((n) => c.nodes[n.id]?.status === 'added').length;
    const changed = inside.filter((n) => c.nodes[n.id]?.status === 'changed').length;
    root.append(
      h(
        'p',
        { class: `cmp-status ${added + changed === 0 ? 'cmp-same' : added === inside.length ? 'cmp-added' : 'cmp-changed'}` },
        `Of its ${formatCount(inside.length)} layers, ${formatCount(added)} added and ${formatCount(changed)} changed: expand it to see which.`,
      ),
    );
  }
  for (const r of overlay.removed.filter((x) => x.box === item.id)) {
    root.append(h('p', { class: 'cmp-status cmp-removed' }, sign('removed'), ` Removed ${r.above ? 'before' : 'after'} it: ${formatCount(r.layers.length)} ${r.layers.length === 1 ? 'layer' : 'layers'}`));
    const ul = h('ul', { class: 'cmp-removed-layers' });
    for (const l of r.layers) ul.append(h('li', {}, `${l.name} (line ${l.line}): ${l.text} → ${l.shape ? formatShape(l.shape) : '?'}, ${formatCount(l.params ?? 0)} params`));
    root.append(ul);
  }
  return root;
}
