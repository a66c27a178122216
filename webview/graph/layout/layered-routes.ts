import { NODE_W } from '../model/geometry.js';
import { MARGIN, type Across } from './layered-place.js';
import type { Ranks } from './layered-ranks.js';
import type { Structure } from './layered-structure.js';

/** Edges that turn leave a box this far from its centre, and no further than SPREAD_TO: clear of its shape label. */
const SPREAD_FROM = 72;
const SPREAD_STEP = 10;
const SPREAD_TO = NODE_W / 2 - 8;

/** Jogs closer than this side by side are put on different tracks. */
const TRACK_CLEARANCE = 6;
/** Above this many jogs in one gap the ordering is the plain sort: trying every place costs n³. */
const REORDER_UP_TO = 24;

/** A horizontal stretch of an edge between two ranks: from x1 (coming from above) to x2 (going on down). */
export interface Jog {
  edge: number;
  gap: number;
  x1: number;
  x2: number;
  /** The edge's source and target box, so jogs of one tensor or into one box may meet. */
  from: number;
  to: number;
  /** Its track in the gap, 0 the highest. */
  track: number;
}

/** An edge's route before the rows are known: its vertical stretches at their x, and its jogs between them. */
export interface Route {
  xs: number[];
  jogs: Jog[];
}

/**
 * Where each edge leaves its source: the bottom centre for a box's only edge; otherwise an edge that goes
 * straight on leaves where it goes on (the centre for the main column), and the others from spread points on
 * the side they turn to, the farthest outermost, so that their jogs nest like stairs instead of crossing.
 */
export function startsOf(s: Structure, a: Across): Float64Array {
  const start = new Float64Array(s.edges.length);
  const out: number[][] = Array.from({ length: s.ids.length }, () => []);
  s.edges.forEach((e, i) => out[e.from].push(i));
  const next = (i: number) => a.stretches[i][0]?.x ?? a.boxX[s.edges[i].to];
  for (let b = 0; b < out.length; b++) {
    const cx = a.boxX[b];
    if (out[b].length === 1) {
      start[out[b][0]] = cx;
      continue;
    }
    const right: number[] = [];
    const left: number[] = [];
    for (const i of out[b]) {
      const d = next(i) - cx;
      if (Math.abs(d) <= SPREAD_TO) start[i] = cx + d;
      else (d > 0 ? right : left).push(i);
    }
    right.sort((i, j) => next(i) - next(j));
    left.sort((i, j) => next(j) - next(i));
    right.forEach((i, k) => (start[i] = cx + spread(k, right.length)));
    left.forEach((i, k) => (start[i] = cx - spread(k, left.length)));
  }
  return start;
}

function spread(k: number, n: number): number {
  return SPREAD_FROM + k * (n > 1 ? Math.min(SPREAD_STEP, (SPREAD_TO - SPREAD_FROM) / (n - 1)) : 0);
}

/** Each edge's x at its start, along its stretches and at its end, with a jog wherever the x changes. */
export function routesOf(s: Structure, ranks: Ranks, a: Across, start: Float64Array): Route[] {
  return s.edges.map((e, edge) => {
    const xs = [start[edge]];
    const lasts = [ranks.box[e.from]];
    for (const st of a.stretches[edge]) {
      xs.push(st.x);
      lasts.push(st.to);
    }
    xs.push(a.boxX[e.to]);
    const jogs: Jog[] = [];
    for (let i = 0; i + 1 < xs.length; i++) {
      if (xs[i] !== xs[i + 1]) jogs.push({ edge, gap: lasts[i], x1: xs[i], x2: xs[i + 1], from: e.from, to: e.to, track: 0 });
    }
    return { xs, jogs };
  });
}

/** Room between the diagram's right side and the lanes of edges that go back up, and between those lanes. */
const RETURN_GAP = 16;

/**
 * Routes for edges against the text's order, which only a collapsed group whose layers are not all together
 * in the text makes (the box stands where its first layer is, and a layer between its others feeds it):
 * out of the source's bottom, right to a lane of its own beyond everything, along it to the gap above the
 * target, and into its top. The jogs go through the gaps' tracks like any other; a gap outside the ranks
 * (above the first, below the last) is the margin. Returns the routes and the width their lanes add.
 */
export function backwardRoutes(s: Structure, ranks: Ranks, a: Across): { routes: Route[]; width: number } {
  const routes = s.backward.map((e, i): Route => {
    const lane = a.width - MARGIN + RETURN_GAP * (i + 1);
    const start = a.boxX[e.from] + SPREAD_TO;
    const end = a.boxX[e.to];
    const jog = (gap: number, x1: number, x2: number): Jog => ({ edge: -1 - i, gap, x1, x2, from: e.from, to: e.to, track: 0 });
    return { xs: [start, lane, end], jogs: [jog(ranks.box[e.from], start, lane), jog(ranks.box[e.to] - 1, lane, end)] };
  });
  return { routes, width: RETURN_GAP * s.backward.length };
}

/**
 * Puts each gap's jogs on tracks, in an order that crosses as few of each other's vertical ends as it can;
 * jogs side by side share one. Returns how many tracks each gap has.
 */
export function assignTracks(routes: Route[], gaps: number): Int32Array {
  const byGap: Jog[][] = Array.from({ length: gaps }, () => []);
  for (const r of routes) for (const j of r.jogs) byGap[j.gap]?.push(j);
  const tracks = new Int32Array(gaps);
  byGap.forEach((jogs, gap) => {
    if (jogs.length === 0) return;
    const order = orderJogs(jogs);
    let most = 0;
    order.forEach((j, i) => {
      let t = 0;
      for (let q = 0; q < i; q++) if (overlap(order[q], j)) t = Math.max(t, order[q].track + 1);
      j.track = t;
      most = Math.max(most, t + 1);
    });
    tracks[gap] = most;
  });
  return tracks;
}

/**
 * Jogs turning right first, the farthest-reaching highest, then those turning left, the nearest highest
 * (the shapes of a fork and of a merge); each is then moved to the place that crosses the fewest others.
 */
function orderJogs(jogs: Jog[]): Jog[] {
  const sorted = [...jogs].sort((j, k) => {
    const jr = j.x2 > j.x1 ? 0 : 1;
    const kr = k.x2 > k.x1 ? 0 : 1;
    if (jr !== kr) return jr - kr;
    return jr === 0 ? k.x2 - j.x2 || j.x1 - k.x1 : j.x1 - k.x1 || k.x2 - j.x2;
  });
  if (sorted.length > REORDER_UP_TO) return sorted;
  const order: Jog[] = [];
  for (const j of sorted) {
    let best = order.length;
    let bestCost = Infinity;
    for (let p = order.length; p >= 0; p--) {
      let cost = 0;
      for (let q = 0; q < order.length; q++) cost += q < p ? +crosses(order[q], j) : +crosses(j, order[q]);
      if (cost < bestCost) {
        bestCost = cost;
        best = p;
      }
    }
    order.splice(best, 0, j);
  }
  return order;
}

/** Whether jog `hi` on a track above jog `lo` crosses it: one's vertical end runs through the other's level. */
function crosses(hi: Jog, lo: Jog): boolean {
  if (hi.from === lo.from || hi.to === lo.to) return false;
  return within(hi.x2, lo) || within(lo.x1, hi);
}

function within(x: number, j: Jog): boolean {
  return x >= Math.min(j.x1, j.x2) - 0.5 && x <= Math.max(j.x1, j.x2) + 0.5;
}

function overlap(j: Jog, k: Jog): boolean {
  return Math.min(j.x1, j.x2) - TRACK_CLEARANCE < Math.max(k.x1, k.x2) && Math.min(k.x1, k.x2) - TRACK_CLEARANCE < Math.max(j.x1, j.x2);
}
