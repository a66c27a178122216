import { chainOfBox, ENTRY, type Structure } from './layered-structure.js';

export interface Ranks {
  /** Each box's rank: its row, counted from the top. */
  box: Int32Array;
  /** Each frame's first and last rank (-1 for a frame with no box). */
  frameTop: Int32Array;
  frameBottom: Int32Array;
  count: number;
}

/**
 * Longest path from the sources, in text order (every edge goes forward in it), with frames kept whole: a
 * frame starts below everything that feeds it and below the frames before it in its container (so the
 * frames covering any one rank are nested in each other, and each can be a plain rectangle), and a box fed
 * from inside a frame it is not in starts below that frame. Edges then enter frames through their top and
 * leave through their bottom; only a frame whose layers are not all together in the text (a repeat inside
 * a repeat) has units of its container beside it, which its edges reach through its side.
 */
export function ranksOf(s: Structure): Ranks {
  const n = s.ids.length;
  const frames = s.frameIds.length;
  const root = frames;
  const box = new Int32Array(n);
  const frameTop = new Int32Array(frames).fill(-1);
  const frameBottom = new Int32Array(frames).fill(-1);
  /** The first rank a frame's boxes may take. */
  const floor = new Int32Array(frames);
  /** The last rank of the frames already placed in each container. */
  const stackedTo = new Int32Array(frames + 1).fill(-1);
  const preds = predecessors(s);
  const fedFrom = entrySources(s);

  let count = 0;
  for (let b = 0; b < n; b++) {
    const chain = chainOfBox(s.frameChain, s.boxFrame, b, root);
    for (const f of chain) {
      if (s.frameFirst[f] !== b) continue;
      const p = s.frameParent[f];
      let at = Math.max(p === root ? 0 : floor[p], stackedTo[p] + 1);
      // Sources later in the text feed a frame whose layers are not all together: they stay beside it.
      for (const src of fedFrom[f]) if (src < b) at = Math.max(at, box[src] + 1);
      floor[f] = at;
    }
    let r = chain.length > 0 ? floor[chain[chain.length - 1]] : 0;
    for (const p of preds[b]) r = Math.max(r, box[p] + 1, belowFramesLeft(s, frameBottom, p, chain, root));
    box[b] = r;
    count = Math.max(count, r + 1);
    for (const f of chain) {
      if (frameTop[f] < 0 || r < frameTop[f]) frameTop[f] = r;
      if (r > frameBottom[f]) frameBottom[f] = r;
      const p = s.frameParent[f];
      if (frameBottom[f] > stackedTo[p]) stackedTo[p] = frameBottom[f];
    }
  }
  return { box, frameTop, frameBottom, count };
}

/** The first rank below every frame that holds `from` but not the box whose frames are `to`. */
function belowFramesLeft(s: Structure, frameBottom: Int32Array, from: number, to: Int32Array, root: number): number {
  const chain = chainOfBox(s.frameChain, s.boxFrame, from, root);
  let common = 0;
  while (common < chain.length && common < to.length && chain[common] === to[common]) common++;
  return common < chain.length ? frameBottom[chain[common]] + 1 : 0;
}

function predecessors(s: Structure): number[][] {
  const preds: number[][] = Array.from({ length: s.ids.length }, () => []);
  for (const e of s.edges) preds[e.to].push(e.from);
  return preds;
}

/** For each frame, the boxes outside it that feed a box inside it. */
function entrySources(s: Structure): number[][] {
  return s.frameIds.map((_, f) => s.localEdges[f].filter((e) => e.from === ENTRY).map((e) => s.edges[e.edge].from));
}
