import { edgeKey, type VisibleGraph } from '../model/visible-graph.js';

/** A source or target outside the container being laid out: the edge crosses its top or bottom border. */
export const ENTRY = -1;
export const EXIT = -2;

/**
 * An edge as one container sees it: between two of its units, or between one of them and the container's
 * border. `edge` indexes `Structure.edges`.
 */
export interface LocalEdge {
  edge: number;
  from: number;
  to: number;
}

export interface Edge {
  from: number;
  to: number;
  key: string;
}

/**
 * A visible graph as indexes: boxes 0..n-1 in text order, frames 0..f-1, and the containers (every frame and
 * the diagram itself, numbered f). A container's units are what lies directly in it, boxes and frames alike:
 * a unit is a box's index, or `n + frame` for a frame.
 */
export interface Structure {
  ids: string[];
  frameIds: string[];
  /** Each frame's container. */
  frameParent: Int32Array;
  /** Each frame's enclosing frames from the outermost, itself last. */
  frameChain: Int32Array[];
  /** Each box's innermost frame, or the root. */
  boxFrame: Int32Array;
  /** The first box (in text order) inside each frame, at any depth. */
  frameFirst: Int32Array;
  /** Edges that go forward in text order, in the graph's order. */
  edges: Edge[];
  /** Edges that do not, which only a collapsed group whose layers are not all together in the text makes. */
  backward: Edge[];
  /** Each container's units in text order; the root is container `frameIds.length`. */
  units: number[][];
  /** Each container's view of the edges that touch it. */
  localEdges: LocalEdge[][];
}

export function structureOf(g: VisibleGraph): Structure {
  const ids = g.nodes.map((n) => n.id);
  const boxIndex = new Map(ids.map((id, i) => [id, i]));
  const frameIds = g.frames.map((f) => f.id);
  const frameIndex = new Map(frameIds.map((id, i) => [id, i]));
  const root = frameIds.length;
  const containerOf = (parent: string | undefined) => (parent === undefined ? root : (frameIndex.get(parent) ?? root));

  const frameParent = Int32Array.from(g.frames, (f) => containerOf(f.parent));
  const frameChain = frameChainsOf(frameParent, root);
  const boxFrame = Int32Array.from(g.nodes, (n) => containerOf(n.parent));
  const frameFirst = new Int32Array(frameIds.length).fill(-1);
  for (let n = 0; n < ids.length; n++) for (const f of chainOfBox(frameChain, boxFrame, n, root)) if (frameFirst[f] < 0) frameFirst[f] = n;

  const edges: Edge[] = [];
  const backward: Edge[] = [];
  for (const e of g.edges) {
    const from = boxIndex.get(e.from);
    const to = boxIndex.get(e.to);
    if (from === undefined || to === undefined || from === to) continue;
    (from < to ? edges : backward).push({ from, to, key: edgeKey(e.from, e.to) });
  }

  const s: Structure = { ids, frameIds, frameParent, frameChain, boxFrame, frameFirst, edges, backward, units: [], localEdges: [] };
  s.units = unitsOf(s);
  s.localEdges = localEdgesOf(s);
  return s;
}

/** The frames around a box, from the outermost. */
export function chainOfBox(frameChain: Int32Array[], boxFrame: Int32Array, box: number, root: number): Int32Array {
  const f = boxFrame[box];
  return f === root ? EMPTY : frameChain[f];
}

const EMPTY = new Int32Array(0);

/** Frames arrive parents first, but a missing or later parent is tolerated: it is walked to. */
function frameChainsOf(parent: Int32Array, root: number): Int32Array[] {
  const chains: (Int32Array | undefined)[] = new Array(parent.length);
  const visiting = new Uint8Array(parent.length);
  const chain = (f: number): Int32Array => {
    const known = chains[f];
    if (known) return known;
    const p = parent[f];
    // A frame that is its own ancestor is treated as a top-level one rather than looping.
    visiting[f] = 1;
    const above = p === root || visiting[p] ? EMPTY : chain(p);
    visiting[f] = 0;
    const c = new Int32Array(above.length + 1);
    c.set(above);
    c[above.length] = f;
    chains[f] = c;
    return c;
  };
  return Array.from(parent, (_, f) => chain(f));
}

/** The unit a box stands in at a level of its chain: the frame it is in there, or itself. */
function unitAt(s: Structure, chain: Int32Array, level: number, box: number): number {
  return level < chain.length ? s.ids.length + chain[level] : box;
}

/** The container at a level of a chain: the root, or the frame at the level above. */
function containerAt(s: Structure, chain: Int32Array, level: number): number {
  return level === 0 ? s.frameIds.length : chain[level - 1];
}

function unitsOf(s: Structure): number[][] {
  const root = s.frameIds.length;
  const units: number[][] = Array.from({ length: root + 1 }, () => []);
  for (let n = 0; n < s.ids.length; n++) {
    const chain = chainOfBox(s.frameChain, s.boxFrame, n, root);
    for (let level = 0; level <= chain.length; level++) {
      // A frame joins its container's list at its first box, which keeps the list in text order.
      if (level < chain.length && s.frameFirst[chain[level]] !== n) continue;
      units[containerAt(s, chain, level)].push(unitAt(s, chain, level, n));
    }
  }
  return units;
}

/**
 * Splits every edge among the containers it passes: inside the innermost container holding both ends it
 * joins two units; in each frame it leaves on the way it ends at the bottom border (EXIT), and in each frame
 * it enters on the way it starts at the top border (ENTRY).
 */
function localEdgesOf(s: Structure): LocalEdge[][] {
  const root = s.frameIds.length;
  const local: LocalEdge[][] = Array.from({ length: root + 1 }, () => []);
  s.edges.forEach((e, edge) => {
    const cs = chainOfBox(s.frameChain, s.boxFrame, e.from, root);
    const ct = chainOfBox(s.frameChain, s.boxFrame, e.to, root);
    let common = 0;
    while (common < cs.length && common < ct.length && cs[common] === ct[common]) common++;
    local[containerAt(s, cs, common)].push({ edge, from: unitAt(s, cs, common, e.from), to: unitAt(s, ct, common, e.to) });
    for (let level = common + 1; level <= cs.length; level++) local[cs[level - 1]].push({ edge, from: unitAt(s, cs, level, e.from), to: EXIT });
    for (let level = common + 1; level <= ct.length; level++) local[ct[level - 1]].push({ edge, from: ENTRY, to: unitAt(s, ct, level, e.to) });
  });
  return local;
}
