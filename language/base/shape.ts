/** A tensor shape without the batch: `[H, W, C]` for a feature map, `[F]` for a flat vector. */
export type Shape = readonly number[];

const shapes = new Map<number, Shape>();
const AXIS = 2 ** 17;

/**
 * One shared array per distinct shape: a network's layers mostly repeat a few shapes, and each layer
 * keeps its own. Shapes past the key's range are returned as they are.
 */
export function internShape(s: Shape): Shape {
  let key: number;
  if (s.length === 3 && s[0] < AXIS && s[1] < AXIS && s[2] < AXIS) key = (s[0] * AXIS + s[1]) * AXIS + s[2];
  else if (s.length === 1 && s[0] < 2 ** 50) key = -1 - s[0];
  else return s;
  const shared = shapes.get(key);
  if (shared) return shared;
  if (shapes.size < 65_536) shapes.set(key, s);
  return s;
}

export function isSpatial(s: Shape): boolean {
  return s.length === 3;
}

export function channels(s: Shape): number {
  return s[s.length - 1];
}

// Indexed loops: these run for every layer, and `for … of` over a shape allocates an iterator each time.
export function elements(s: Shape): number {
  let n = 1;
  for (let i = 0; i < s.length; i++) n *= s[i];
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** H×W×C as the notes write it: `55x55x96`; a flat tensor is its feature count. */
export function formatShape(s: Shape): string {
  return s.join('x');
}

/**
 * Receptive field of one output position in input pixels (`h`×`w`), the distance in input pixels between
 * neighbouring output positions (`jh`, `jw`), and what a unit that reads the whole tensor sees (`fh`×`fw`:
 * for a flat tensor, the map it was flattened from). Flat fields, one object: every layer holds one.
 */
export interface ReceptiveField {
  readonly h: number;
  readonly w: number;
  readonly jh: number;
  readonly jw: number;
  readonly fh: number;
  readonly fw: number;
}

/**
 * Fields stop growing here: a thousand stride-2 layers would otherwise overflow to Infinity. No input is
 * anywhere near this size, so a clamped field still reads as "all of it".
 */
export const MAX_FIELD = Number.MAX_SAFE_INTEGER;

export function field(h: number, w: number, jh: number, jw: number, fh = h, fw = w): ReceptiveField {
  return { h: Math.min(h, MAX_FIELD), w: Math.min(w, MAX_FIELD), jh: Math.min(jh, MAX_FIELD), jw: Math.min(jw, MAX_FIELD), fh: Math.min(fh, MAX_FIELD), fw: Math.min(fw, MAX_FIELD) };
}

export const PIXEL: ReceptiveField = field(1, 1, 1, 1);

/** A window of `kernel` (already dilated) at `stride` over a map with field `rf`. */
export function throughWindow(rf: ReceptiveField, kernel: readonly [number, number], stride: readonly [number, number]): ReceptiveField {
  return field(rf.h + (kernel[0] - 1) * rf.jh, rf.w + (kernel[1] - 1) * rf.jw, rf.jh * stride[0], rf.jw * stride[1]);
}

/** A unit that sees a whole `h`×`w` map. */
export function wholeMap(rf: ReceptiveField, h: number, w: number): ReceptiveField {
  const seen = throughWindow(rf, [h, w], [1, 1]);
  return field(seen.h, seen.w, seen.h, seen.w);
}

/**
 * The field of a merge (add, concat, residual): a unit sees what any input saw, so on each axis the
 * largest extent of any input — a 1x3 and a 3x1 branch together see 3x3, not either one.
 */
export function widest(fields: ReceptiveField[]): ReceptiveField {
  let best = fields[0];
  let same = true;
  for (let i = 1; i < fields.length; i++) {
    const f = fields[i];
    if (f.h !== best.h || f.w !== best.w || f.jh !== best.jh || f.jw !== best.jw || f.fh !== best.fh || f.fw !== best.fw) same = false;
  }
  if (same) return best;
  let h = 0, w = 0, jh = 0, jw = 0, fh = 0, fw = 0;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    h = Math.max(h, f.h);
    w = Math.max(w, f.w);
    jh = Math.max(jh, f.jh);
    jw = Math.max(jw, f.jw);
    fh = Math.max(fh, f.fh);
    fw = Math.max(fw, f.fw);
  }
  return field(h, w, jh, jw, fh, fw);
}
