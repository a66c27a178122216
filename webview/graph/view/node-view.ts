import { formatBytes, formatCompact, formatCount } from '../../../language/base/format.js';
import type { GraphDiagnostic } from '../../../language/views/graph.js';
import { ellipsize, s, tooltip } from './dom.js';
import { NODE_H, NODE_W, type Rect } from '../model/geometry.js';
import type { GroupBox, LayerBox } from '../model/visible-graph.js';

/** What drawing a box needs besides the box: the heaviest box's MACs, the layer that keeps the most. */
export interface NodeStyleContext {
  /** The largest MACs share among the boxes drawn: bars are relative to it, so the heaviest fills its track. */
  maxShare: number;
  /** The most one layer of the network keeps for backward: memory bars are relative to it. */
  maxKept: number;
}

const PAD = 12;
/** Approximate advance of a character at the diagram's font sizes, for cutting text that would overflow. */
const CHAR_W = 7;
const BAR_W = 64;

/**
 * A layer: op and written values, output shape, parameters, a bar for its share of the network's MACs, and a
 * thin line under it for what it keeps for backward.
 */
export function layerNode(box: LayerBox, at: Rect, ctx: NodeStyleContext): SVGGElement {
  const n = box.node;
  const g = s('g', { class: `node layer family-${n.family}${severityClass(n.diagnostics)}`, 'data-node-id': n.id, transform: `translate(${at.x},${at.y})` });
  g.append(tooltip(layerTooltip(box)));
  g.append(s('rect', { class: 'box', width: NODE_W, height: NODE_H, rx: 4 }));
  g.append(s('rect', { class: 'stripe', width: 4, height: NODE_H, rx: 2 }));
  const room = Math.floor((NODE_W - 2 * PAD) / CHAR_W) - n.op.length - 1;
  g.append(
    s('text', { class: 'title', x: PAD, y: 19 }, s('tspan', { class: 'op' }, n.op), n.label && room > 2 ? s('tspan', { class: 'label', dx: 6 }, ellipsize(n.label, room)) : undefined),
  );
  g.append(s('text', { class: 'shape', x: PAD, y: 37 }, n.shape ?? '?'));
  if (n.params > 0) g.append(s('text', { class: 'params', x: NODE_W - PAD, y: 37, 'text-anchor': 'end' }, `${formatCompact(n.params)} params`));
  if (n.macs > 0) g.append(...macsBar(n.macs, n.macsShare, ctx.maxShare));
  if (n.kept > 0 && ctx.maxKept > 0) g.append(keptBar(n.kept, ctx.maxKept));
  const marker = diagnosticMarker(n.diagnostics.length, n.diagnostics.some((d) => d.severity === 'error'));
  if (marker) g.append(marker);
  return g;
}

/** A collapsed group: its call or repeat as written, its layer count, its output and its summed costs. */
export function groupNode(box: GroupBox, at: Rect, ctx: NodeStyleContext): SVGGElement {
  const gr = box.group;
  const sev = box.errors > 0 ? ' error' : box.warnings > 0 ? ' warning' : '';
  const g = s('g', { class: `node group-node collapsed kind-${gr.kind}${sev}`, 'data-group-id': gr.id, transform: `translate(${at.x},${at.y})` });
  g.append(tooltip(`${gr.label} (line ${gr.line + 1})\n${formatCount(gr.layers)} layers, collapsed: click ▸ to expand\n${box.shape ?? 'shape unknown'}\n${formatCount(box.params)} params · ${formatCount(box.macs)} MACs\n${keptLine(box.kept)}`));
  // A second sheet behind the box: a stack of layers.
  g.append(s('rect', { class: 'box sheet', x: 4, y: -4, width: NODE_W, height: NODE_H, rx: 4 }));
  g.append(s('rect', { class: 'box', width: NODE_W, height: NODE_H, rx: 4 }));
  const room = Math.floor((NODE_W - 2 * PAD) / CHAR_W) - 3;
  g.append(s('text', { class: 'title', x: PAD, y: 19 }, s('tspan', { class: 'toggle', 'data-action': 'expand' }, '▸'), s('tspan', { class: 'op', dx: 6 }, ellipsize(gr.label, room))));
  g.append(s('text', { class: 'shape', x: PAD, y: 37 }, box.shape ?? '?'));
  g.append(s('text', { class: 'params', x: NODE_W - PAD, y: 37, 'text-anchor': 'end' }, `${formatCount(gr.layers)} layers · ${formatCompact(box.params)}`));
  if (box.macs > 0) g.append(...macsBar(box.macs, box.macsShare, ctx.maxShare));
  const marker = diagnosticMarker(box.errors + box.warnings, box.errors > 0);
  if (marker) g.append(marker);
  return g;
}

function macsBar(macs: number, share: number, maxShare: number): SVGElement[] {
  const w = maxShare > 0 ? Math.max(2, (BAR_W * share) / maxShare) : 0;
  const y = NODE_H - 13;
  return [
    s('rect', { class: 'macs-track', x: PAD, y, width: BAR_W, height: 5, rx: 2 }),
    s('rect', { class: 'macs-bar', x: PAD, y, width: w.toFixed(1), height: 5, rx: 2 }),
    s('text', { class: 'macs', x: NODE_W - PAD, y: NODE_H - 8, 'text-anchor': 'end' }, `${formatCompact(macs)} MACs · ${percent(share)}`),
  ];
}

/**
 * What a layer keeps for backward, relative to the layer that keeps the most: a line under the MACs bar, on
 * the same scale of width, without a track, so it reads as a detail. A collapsed group has none: its layers
 * together would overflow a scale set by single layers (its tooltip gives the sum).
 */
function keptBar(kept: number, maxKept: number): SVGElement {
  const w = Math.max(1, (BAR_W * kept) / maxKept);
  return s('rect', { class: 'kept-bar', x: PAD, y: NODE_H - 6, width: w.toFixed(1), height: 2, rx: 1 });
}

/** The tooltip's memory line: what the layer keeps for backward at the batch the editor is set to. */
function keptLine(kept: number): string {
  return kept > 0 ? `keeps ${formatBytes(kept)} for backward` : 'keeps nothing for backward';
}

function diagnosticMarker(count: number, error: boolean): SVGGElement | undefined {
  if (count === 0) return undefined;
  return s('g', { class: `marker ${error ? 'error' : 'warning'}`, transform: `translate(${NODE_W - 2},2)` }, s('circle', { r: 8 }), s('text', { y: 4, 'text-anchor': 'middle' }, count > 1 ? String(count) : '!'));
}

function severityClass(ds: readonly GraphDiagnostic[]): string {
  if (ds.some((d) => d.severity === 'error')) return ' error';
  if (ds.some((d) => d.severity === 'warning')) return ' warning';
  return '';
}

function layerTooltip(box: LayerBox): string {
  const n = box.node;
  const lines = [`${n.id} (line ${n.line + 1})`, `${n.op} ${n.label}`.trim(), n.shape ?? 'shape unknown', `${formatCount(n.params)} params · ${formatCount(n.macs)} MACs (${percent(n.macsShare)})`, keptLine(n.kept)];
  for (const d of n.diagnostics) lines.push(`${d.severity}: ${d.message}`);
  return lines.join('\n');
}

export function percent(share: number): string {
  const p = share * 100;
  if (p === 0) return '0%';
  return p >= 10 ? `${p.toFixed(0)}%` : p >= 1 ? `${p.toFixed(1)}%` : '<1%';
}
