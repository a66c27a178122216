import { FRAME_PAD, NODE_H } from '../model/geometry.js';
import { MARGIN } from './layered-place.js';
import type { Ranks } from './layered-ranks.js';
import type { Structure } from './layered-structure.js';

/** Between two ranks with no frame border: room for the shape label under the box and the arrow above the next. */
const GAP = 34;
/** Between ranks where a frame ends or starts, whose padding already gives some of that room. */
const FRAMED_GAP = 20;
/** The first jog's track below a box (under its shape label), or below a frame's bottom border. */
const TRACK_TOP = 20;
const FRAMED_TRACK_TOP = 10;
/** From the last track down to the next box, or to a frame's top border. */
const TRACK_BOTTOM = 14;
const FRAMED_TRACK_BOTTOM = 6;
const TRACK_STEP = 8;

export interface Rows {
  /** Each rank's top. */
  y: Float64Array;
  /** Each frame's top and bottom (NaN for a frame with no box). */
  frameTop: Float64Array;
  frameBottom: Float64Array;
  height: number;
  /** The y of a gap's track; the gaps above the first rank and below the last are the margins. */
  trackY(gap: number, track: number): number;
}

/**
 * The rows from the top: each rank as tall as a box, and each gap between ranks as tall as the frame borders
 * it holds (nested frames ending or starting there, each with its padding) and the tracks of its jogs need.
 */
export function rowsOf(s: Structure, ranks: Ranks, tracks: Int32Array): Rows {
  const n = ranks.count;
  const opens = new Int32Array(n);
  const closes = new Int32Array(n);
  const openDepth = new Int32Array(s.frameIds.length);
  const closeDepth = new Int32Array(s.frameIds.length);
  nestingAt(s, ranks.frameTop, opens, openDepth);
  nestingAt(s, ranks.frameBottom, closes, closeDepth);

  const y = new Float64Array(n);
  const trackTop = new Float64Array(Math.max(0, n - 1));
  let at = MARGIN + (n > 0 ? opens[0] : 0) * FRAME_PAD.top;
  for (let r = 0; r < n; r++) {
    y[r] = at;
    if (r + 1 === n) break;
    const below = at + NODE_H + closes[r] * FRAME_PAD.bottom;
    const framed = closes[r] > 0 || opens[r + 1] > 0;
    const first = closes[r] > 0 ? FRAMED_TRACK_TOP : TRACK_TOP;
    const last = opens[r + 1] > 0 ? FRAMED_TRACK_BOTTOM : TRACK_BOTTOM;
    const middle = Math.max(framed ? FRAMED_GAP : GAP, tracks[r] > 0 ? first + (tracks[r] - 1) * TRACK_STEP + last : 0);
    trackTop[r] = below + first;
    at = below + middle + opens[r + 1] * FRAME_PAD.top;
  }

  const frameTop = new Float64Array(s.frameIds.length).fill(NaN);
  const frameBottom = new Float64Array(s.frameIds.length).fill(NaN);
  for (let f = 0; f < s.frameIds.length; f++) {
    if (ranks.frameTop[f] < 0) continue;
    frameTop[f] = y[ranks.frameTop[f]] - openDepth[f] * FRAME_PAD.top;
    frameBottom[f] = y[ranks.frameBottom[f]] + NODE_H + closeDepth[f] * FRAME_PAD.bottom;
  }
  const height = n > 0 ? y[n - 1] + NODE_H + closes[n - 1] * FRAME_PAD.bottom + MARGIN : 2 * MARGIN;
  const trackY = (gap: number, track: number) => (gap < 0 ? MARGIN / 2 : gap >= n - 1 ? height - MARGIN / 2 : trackTop[gap] + track * TRACK_STEP);
  return { y, frameTop, frameBottom, height, trackY };
}

/**
 * How many frames have a border at each rank, and for each frame how many of those at its rank are it or
 * inside it. The frames sharing a rank are nested in each other (ranksOf stacks the others), so those
 * inside are the deeper ones.
 */
function nestingAt(s: Structure, rankOf: Int32Array, count: Int32Array, depthFromInside: Int32Array): void {
  const frames = Array.from({ length: s.frameIds.length }, (_, f) => f).filter((f) => rankOf[f] >= 0);
  frames.sort((a, b) => rankOf[a] - rankOf[b] || s.frameChain[b].length - s.frameChain[a].length);
  let run = 0;
  frames.forEach((f, i) => {
    run = i > 0 && rankOf[frames[i - 1]] === rankOf[f] ? run + 1 : 1;
    depthFromInside[f] = run;
    count[rankOf[f]]++;
  });
}
