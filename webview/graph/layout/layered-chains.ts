/** A unit of a container as its layout sees it: rows it spans, and how it sits about its own axis. */
export interface Unit {
  top: number;
  bottom: number;
  /** Width to the left and right of its axis (a box's centre, a frame's main column). */
  left: number;
  right: number;
  /** For a frame: where each edge crossing its border does so, from its axis. */
  entry?: Map<number, number>;
  exit?: Map<number, number>;
}

/**
 * A container's view of an edge: the units it leaves and reaches by local index (-1 where it crosses the
 * container's border instead), and the rows between, which it runs down through in this container.
 */
export interface Span {
  edge: number;
  a: number;
  b: number;
  from: number;
  to: number;
}

/** An edge's vertical stretch over rows from..to: in the column of a chain (`chain` ≥ 0), or in a lane of its own (-1). */
export interface Run {
  edge: number;
  from: number;
  to: number;
  chain: number;
  a: number;
  b: number;
}

/**
 * Chains: the units one column holds. A unit continues the chain of a predecessor when it is that
 * predecessor's first successor below it in text order (the reader's main path) and the chain has not gone
 * on elsewhere; a merge continues the oldest such chain, so an add or a concat comes back to the main
 * column. Every other unit starts a chain: a branch, beside its fork.
 */
export interface Chains {
  /** Each unit's chain, by local index, and its place in it. */
  of: Int32Array;
  pos: Int32Array;
  /** Each chain's units, top to bottom. */
  units: number[][];
  /** The chain each one forked from (its head's first predecessor's), or -1. */
  parent: number[];
  /** The rows each one's column is taken, with the edges that run in it above its head or below its tail. */
  top: number[];
  bottom: number[];
  runs: Run[];
  /** The run of each span that has one, else -1. */
  runOf: Int32Array;
}

export function chainsOf(units: Unit[], spans: Span[]): Chains {
  const m = units.length;
  const firstSucc = new Int32Array(m).fill(m);
  const preds: number[][] = Array.from({ length: m }, () => []);
  for (const s of spans) {
    // An edge back up the order (into a frame whose layers are not all together in the text) joins no chain.
    if (s.a < 0 || s.b <= s.a) continue;
    preds[s.b].push(s.a);
    if (s.b < firstSucc[s.a] && units[s.b].top > units[s.a].bottom) firstSucc[s.a] = s.b;
  }
  const c: Chains = { of: new Int32Array(m), pos: new Int32Array(m), units: [], parent: [], top: [], bottom: [], runs: [], runOf: new Int32Array(spans.length).fill(-1) };
  for (let u = 0; u < m; u++) {
    let chain = -1;
    for (const p of preds[u]) {
      const k = c.of[p];
      if (firstSucc[p] === u && c.units[k].at(-1) === p && (chain < 0 || k < chain)) chain = k;
    }
    if (chain < 0) {
      chain = c.units.length;
      c.units.push([]);
      c.parent.push(preds[u].length > 0 ? c.of[preds[u][0]] : -1);
      c.top.push(units[u].top);
      c.bottom.push(units[u].bottom);
    }
    c.of[u] = chain;
    c.pos[u] = c.units[chain].length;
    c.units[chain].push(u);
    c.bottom[chain] = Math.max(c.bottom[chain], units[u].bottom);
  }
  c.runs = chainRuns(c, units, spans);
  return c;
}

/**
 * The runs of edges that can stay in a chain's column, and the lanes the others need. An edge keeps to a
 * column when it joins two successive units of the chain (the first such edge), leaves a chain's last unit
 * from its axis (the column goes on down to it), or reaches a chain's first unit at its axis (the column
 * starts above it; one edge only, the longest).
 */
function chainRuns(c: Chains, units: Unit[], spans: Span[]): Run[] {
  const runs: Run[] = [];
  const spineTaken = new Uint8Array(units.length);
  const headEdge = longestHeadEdges(c, units, spans);
  spans.forEach((s, i) => {
    if (s.to < s.from) return;
    const { a, b } = s;
    const run: Run = { edge: s.edge, from: s.from, to: s.to, chain: -1, a, b };
    if (a >= 0 && b >= 0 && c.of[a] === c.of[b] && c.pos[b] === c.pos[a] + 1 && !spineTaken[b]) {
      spineTaken[b] = 1;
      run.chain = c.of[a];
    } else if (keepsToTail(c, units, s)) {
      run.chain = c.of[a];
      c.bottom[run.chain] = Math.max(c.bottom[run.chain], s.to);
    } else if (b >= 0 && headEdge[b] === i) {
      run.chain = c.of[b];
      c.top[run.chain] = Math.min(c.top[run.chain], s.from);
    }
    c.runOf[i] = runs.length;
    runs.push(run);
  });
  return runs;
}

/** Whether an edge leaves the last unit of a chain from its bottom, at its axis: the chain's column goes on down for it. */
function keepsToTail(c: Chains, units: Unit[], s: Span): boolean {
  return s.a >= 0 && c.units[c.of[s.a]].at(-1) === s.a && s.from === units[s.a].bottom + 1 && (units[s.a].exit?.get(s.edge) ?? 0) === 0;
}

/**
 * For each chain's first unit, the span that comes from highest up into its top at its axis, if any runs:
 * from above the container, or from the chain's fork (the column stands right of it, so an edge from
 * elsewhere could only reach it across what lies between).
 */
function longestHeadEdges(c: Chains, units: Unit[], spans: Span[]): Int32Array {
  const best = new Int32Array(units.length).fill(-1);
  spans.forEach((s, i) => {
    const b = s.b;
    if (b < 0 || s.to < s.from || s.to !== units[b].top - 1 || c.units[c.of[b]][0] !== b) return;
    if (s.a >= 0 && c.of[s.a] !== c.parent[c.of[b]]) return;
    if ((units[b].entry?.get(s.edge) ?? 0) !== 0 || keepsToTail(c, units, s)) return;
    if (best[b] < 0 || s.from < spans[best[b]].from) best[b] = i;
  });
  return best;
}
