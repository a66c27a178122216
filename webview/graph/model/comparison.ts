import type { DiffSide, FieldChange, GraphComparison } from '../../../language/views/diff.js';
import type { GraphNetwork } from '../../../language/views/graph.js';
import type { VisibleGraph } from './visible-graph.js';

/**
 * A comparison (Stride: Compare with…) as it marks what is drawn: which boxes and frames hold layers added
 * or changed since the other version, and where the removed layers were. A group, folded or open, takes the
 * mark of the layers inside it: added when all of them are, changed when any is added or changed.
 */

export type Mark = 'added' | 'changed';

export interface BoxMark {
  mark: Mark;
  /**
   * Every change is the receptive field alone: a layer upstream grew or shrank and this one moved with it.
   * Drawn more quietly than a change of the layer itself.
   */
  fieldOnly: boolean;
}

/** Removed layers, drawn beside the box that shows the newer layer they followed (above the first box when none). */
export interface RemovedMark {
  box: string;
  above: boolean;
  layers: DiffSide[];
}

export interface Overlay {
  /** Drawn boxes (layers and folded groups) by id. */
  boxes: Map<string, BoxMark>;
  /** Open groups' frames by id. */
  frames: Map<string, BoxMark>;
  removed: RemovedMark[];
}

/** Whether a change is one the layer itself made, not its receptive field moving with an upstream change. */
export function ownChange(changes: readonly FieldChange[]): boolean {
  return changes.some((c) => c.field !== 'receptiveField');
}

interface Tally {
  layers: number;
  added: number;
  own: number;
  fieldOnly: number;
}

function markOf(t: Tally | undefined): BoxMark | undefined {
  if (!t || t.added + t.own + t.fieldOnly === 0) return undefined;
  if (t.added === t.layers) return { mark: 'added', fieldOnly: false };
  return { mark: 'changed', fieldOnly: t.added + t.own === 0 };
}

/** The marks of a comparison on the network drawn as `g`; none when the comparison is of another network. */
export function comparisonOverlay(net: GraphNetwork, g: VisibleGraph, c: GraphComparison): Overlay {
  const overlay: Overlay = { boxes: new Map(), frames: new Map(), removed: [] };
  if (c.network !== net.name) return overlay;
  const parents = new Map(net.groups.map((gr) => [gr.id, gr.parent]));
  const groups = new Map<string, Tally>();
  for (const n of net.nodes) {
    const node = c.nodes[n.id];
    for (let id = n.group; id !== undefined; id = parents.get(id)) {
      let t = groups.get(id);
      if (!t) groups.set(id, (t = { layers: 0, added: 0, own: 0, fieldOnly: 0 }));
      t.layers++;
      if (node?.status === 'added') t.added++;
      else if (node?.status === 'changed') {
        if (ownChange(node.changes)) t.own++;
        else t.fieldOnly++;
      }
    }
  }
  for (const box of g.nodes) {
    if (box.kind === 'layer') {
      const node = c.nodes[box.id];
      if (node) overlay.boxes.set(box.id, { mark: node.status, fieldOnly: node.status === 'changed' && !ownChange(node.changes) });
    } else {
      const m = markOf(groups.get(box.id));
      if (m) overlay.boxes.set(box.id, m);
    }
  }
  for (const f of g.frames) {
    const m = markOf(groups.get(f.id));
    if (m) overlay.frames.set(f.id, m);
  }
  const first = g.nodes[0]?.id;
  // Layers removed after several layers now folded into one group: one mark after that group.
  const at = new Map<string, RemovedMark>();
  for (const r of c.removed) {
    const box = r.after !== undefined ? g.shownAs.get(r.after) : first;
    if (box === undefined) continue;
    const above = r.after === undefined;
    const key = `${above ? '^' : 'v'}${box}`;
    const mark = at.get(key);
    if (mark) mark.layers.push(r.side);
    else {
      const m: RemovedMark = { box, above, layers: [r.side] };
      at.set(key, m);
      overlay.removed.push(m);
    }
  }
  return overlay;
}
