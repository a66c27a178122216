import type { Chains, Unit } from './layered-chains.js';

/** Room between two boxes (or frames) side by side, between a box and a line, between two lines. */
const BOX_GAP = 28;
const BOX_LINE_GAP = 16;
const LINE_GAP = 12;

/** Where a container's units and runs go across, about its main column's axis (x = 0). */
export interface Columns {
  unitX: Float64Array;
  runX: Float64Array;
  minX: number;
  maxX: number;
}

interface Piece {
  top: number;
  bottom: number;
  left: number;
  right: number;
  line: boolean;
}

/** A jog a chain or lane makes in the gap below `gap`, towards a column at position `to` on its left. */
interface Turn {
  gap: number;
  to: number;
}

/**
 * Gives each chain and each lane a column, left to right: the main chain first, every branch in the
 * first column right of its fork that is free over all its rows (a chain fed only from outside the
 * container in the first free one), then the lanes, shortest first, so that the lanes of nested skips nest
 * instead of crossing. Where the way to a free column would turn across a frame, a new column is put in
 * before that frame instead. Columns are then pushed apart only as far as what they hold on shared rows needs.
 */
export function placeColumns(units: Unit[], chains: Chains): Columns {
  const cols = new ColumnSet();
  const chainCol = chains.units.map(() => -1);
  const feeder = headFeeders(chains);
  for (let k = 0; k < chains.units.length; k++) {
    const parent = chains.parent[k];
    const from = parent >= 0 ? cols.position(chainCol[parent]) + 1 : 0;
    // The column's top comes from its fork, or from the unit whose edge runs down it; its bottom goes back left.
    const fed = feeder[k] >= 0 && chainCol[feeder[k]] >= 0 ? cols.position(chainCol[feeder[k]]) : from - 1;
    const turns = [turn(chains.top[k] - 1, fed), turn(chains.bottom[k], from - 1)].filter((t) => t.to >= 0);
    chainCol[k] = cols.place(from, chains.top[k], chains.bottom[k], turns);
    for (const u of chains.units[k]) if (units[u].bottom > units[u].top) cols.addFrame(chainCol[k], units[u].top, units[u].bottom);
  }
  const runCol = chains.runs.map((r) => (r.chain >= 0 ? chainCol[r.chain] : -1));
  const lanes = chains.runs.map((_, i) => i).filter((i) => chains.runs[i].chain < 0);
  lanes.sort((i, j) => span(chains, i) - span(chains, j) || chains.runs[i].from - chains.runs[j].from || i - j);
  for (const i of lanes) {
    const r = chains.runs[i];
    const ends = [r.a, r.b].map((u) => (u >= 0 ? cols.position(chainCol[chains.of[u]]) : -1));
    const known = ends.filter((p) => p >= 0);
    const turns = [turn(r.from - 1, ends[0]), turn(r.to, ends[1])].filter((t) => t.to >= 0);
    runCol[i] = cols.place(known.length > 0 ? Math.min(...known) + 1 : 0, r.from, r.to, turns);
  }

  const byId: Piece[][] = cols.order.map(() => []);
  units.forEach((u, i) => byId[chainCol[chains.of[i]]].push({ top: u.top, bottom: u.bottom, left: u.left, right: u.right, line: false }));
  chains.runs.forEach((r, i) => byId[runCol[i]].push({ top: r.from, bottom: r.to, left: 0, right: 0, line: true }));
  const ordered = cols.order.map((id) => byId[id].sort((p, q) => p.top - q.top));
  const x = compact(ordered);
  const xOf = new Float64Array(cols.order.length);
  cols.order.forEach((id, k) => (xOf[id] = x[k]));

  let minX = Infinity;
  let maxX = -Infinity;
  ordered.forEach((c, k) => {
    for (const p of c) {
      minX = Math.min(minX, x[k] - p.left);
      maxX = Math.max(maxX, x[k] + p.right);
    }
  });
  return {
    unitX: Float64Array.from(units, (_, i) => xOf[chainCol[chains.of[i]]]),
    runX: Float64Array.from(runCol, (id) => xOf[id]),
    minX: Number.isFinite(minX) ? minX : 0,
    maxX: Number.isFinite(maxX) ? maxX : 0,
  };
}

/** For each chain whose column starts above its head for an edge, the chain that edge comes from (else -1). */
function headFeeders(chains: Chains): number[] {
  const feeder = chains.units.map(() => -1);
  for (const r of chains.runs) {
    if (r.chain < 0 || r.b < 0 || chains.units[r.chain][0] !== r.b || r.a < 0 || chains.of[r.a] === r.chain) continue;
    feeder[r.chain] = chains.of[r.a];
  }
  return feeder;
}

function turn(gap: number, to: number): Turn {
  return { gap, to };
}

function span(chains: Chains, i: number): number {
  return chains.runs[i].to - chains.runs[i].from;
}

/** Columns by id in their left-to-right order, with the rows each has taken and the frames it holds. */
class ColumnSet {
  readonly order: number[] = [];
  private readonly taken: number[][] = [];
  private readonly frames: number[][] = [];

  position(id: number): number {
    return this.order.indexOf(id);
  }

  /**
   * The first column from position `from` on that is free over rows top..bottom, now taken there; a new one
   * where none is, or where reaching the next would turn across a frame in it.
   */
  place(from: number, top: number, bottom: number, turns: Turn[]): number {
    for (let pos = Math.max(0, from); pos < this.order.length; pos++) {
      const id = this.order[pos];
      if (turns.some((t) => t.to < pos && this.frameAcross(id, t.gap))) return this.add(pos, top, bottom);
      if (this.free(id, top, bottom)) {
        this.taken[id].push(top, bottom);
        return id;
      }
    }
    return this.add(this.order.length, top, bottom);
  }

  addFrame(id: number, top: number, bottom: number): void {
    this.frames[id].push(top, bottom);
  }

  private add(pos: number, top: number, bottom: number): number {
    const id = this.taken.length;
    this.taken.push([top, bottom]);
    this.frames.push([]);
    this.order.splice(pos, 0, id);
    return id;
  }

  private free(id: number, top: number, bottom: number): boolean {
    const c = this.taken[id];
    for (let i = 0; i < c.length; i += 2) if (c[i + 1] >= top && c[i] <= bottom) return false;
    return true;
  }

  /** Whether a frame in the column spans the gap below rank `gap`. */
  private frameAcross(id: number, gap: number): boolean {
    const f = this.frames[id];
    for (let i = 0; i < f.length; i += 2) if (f[i] <= gap && f[i + 1] > gap) return true;
    return false;
  }
}

/** Each column's axis: right of every column before it, by what their pieces on shared rows need. */
function compact(columns: Piece[][]): number[] {
  const x = columns.map(() => 0);
  for (let k = 1; k < columns.length; k++) {
    let at = x[k - 1];
    for (let j = 0; j < k; j++) at = Math.max(at, x[j] + overlapNeed(columns[j], columns[k]));
    x[k] = at;
  }
  return x;
}

/** How far right of column `a`'s axis column `b`'s must be: pieces on shared rows keep their gap. */
function overlapNeed(a: Piece[], b: Piece[]): number {
  let need = -Infinity;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const p = a[i];
    const q = b[j];
    if (p.bottom < q.top) i++;
    else if (q.bottom < p.top) j++;
    else {
      const gap = p.line && q.line ? LINE_GAP : p.line || q.line ? BOX_LINE_GAP : BOX_GAP;
      need = Math.max(need, p.right + gap + q.left);
      if (p.bottom < q.bottom) i++;
      else j++;
    }
  }
  return need;
}
