import { formatCount } from '../../../language/base/format.js';
import { s, tooltip } from './dom.js';
import { NODE_H, NODE_W, type Rect } from '../model/geometry.js';
import type { BoxMark, Mark, RemovedMark } from '../model/comparison.js';

/** What a comparison's mark says besides its colour: + added, ~ changed, − removed. */
export const MARK_SIGN: Record<Mark | 'removed', string> = { added: '+', changed: '~', removed: '−' };

/** The classes a marked box or frame carries: `cmp-added`, `cmp-changed`, and `cmp-field-only` for a knock-on change. */
export function markClasses(m: BoxMark): string[] {
  return m.fieldOnly ? [`cmp-${m.mark}`, 'cmp-field-only'] : [`cmp-${m.mark}`];
}

/** The sign of a mark in a small disc, at a box's or frame's corner. */
export function markBadge(m: BoxMark, x: number, y: number): SVGGElement {
  const title = m.mark === 'added' ? 'added' : m.fieldOnly ? 'changed: its receptive field alone' : 'changed';
  return s('g', { class: `cmp-badge ${markClasses(m).join(' ')}`, transform: `translate(${x},${y})` }, tooltip(title), s('circle', { r: 8 }), s('text', { y: 4, 'text-anchor': 'middle' }, MARK_SIGN[m.mark]));
}

/** Where a box's badge goes: its top right corner, left of a diagnostics marker if it has one. */
export function badgeAt(hasMarker: boolean): { x: number; y: number } {
  return { x: NODE_W - (hasMarker ? 22 : 2), y: 2 };
}

/**
 * Layers removed where they were: a dashed tag in the gap under the box they followed, beside the edge
 * leaving it (over the first box for layers removed before it); its tooltip names them.
 */
export function removedMarker(m: RemovedMark, at: Rect): SVGGElement {
  const text = `${MARK_SIGN.removed} ${formatCount(m.layers.length)} removed`;
  const w = 12 + text.length * 6.2;
  // Inside the room a frame leaves under its last box (FRAME_PAD.bottom), so it never sits on the frame's border.
  const y = m.above ? at.y - 17 : at.y + NODE_H + 2;
  const g = s('g', { class: 'removed-marker', 'data-action': 'show-removed', 'data-removed-after': m.box, transform: `translate(${at.x + NODE_W / 2 + 8},${y})` });
  g.append(tooltip(`removed ${m.above ? 'before' : 'after'} ${m.box}:\n${m.layers.map((l) => `${l.name} (${l.op}, line ${l.line})`).join('\n')}`));
  g.append(s('rect', { width: w.toFixed(0), height: 15, rx: 7.5 }), s('text', { x: 6, y: 11.5 }, text));
  return g;
}
