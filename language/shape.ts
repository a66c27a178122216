/** A tensor shape without the batch: `[H, W, C]` for a feature map, `[F]` for a flat vector. */
export type Shape = readonly number[];

export function isSpatial(s: Shape): boolean {
  return s.length === 3;
}

export function channels(s: Shape): number {
  return s[s.length - 1];
}

export function elements(s: Shape): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** H×W×C as the notes write it: `55x55x96`; a flat tensor is its feature count. */
export function formatShape(s: Shape): string {
  return s.join('x');
}

/**
 * Receptive field of one output position in input pixels (`size`), the distance in input pixels between
 * neighbouring output positions (`jump`), and for a flat tensor the extent a layer that reads all of it sees.
 */
export interface ReceptiveField {
  size: readonly [number, number];
  jump: readonly [number, number];
  /** For flat tensors: the receptive field of a unit connected to every position of the map it came from. */
  full?: readonly [number, number];
}

export const PIXEL: ReceptiveField = { size: [1, 1], jump: [1, 1] };

/**
 * Fields stop growing here: a thousand stride-2 layers would otherwise overflow to Infinity. No input is
 * anywhere near this size, so a clamped field still reads as "all of it".
 */
export const MAX_FIELD = Number.MAX_SAFE_INTEGER;

export function clampField(v: number): number {
  return Math.min(v, MAX_FIELD);
}

/** A window of `kernel` (already dilated) at `stride` over a map with field `rf`. */
export function throughWindow(rf: ReceptiveField, kernel: readonly [number, number], stride: readonly [number, number]): ReceptiveField {
  return {
    size: [clampField(rf.size[0] + (kernel[0] - 1) * rf.jump[0]), clampField(rf.size[1] + (kernel[1] - 1) * rf.jump[1])],
    jump: [clampField(rf.jump[0] * stride[0]), clampField(rf.jump[1] * stride[1])],
  };
}

/** A unit that sees a whole `h`×`w` map. */
export function wholeMap(rf: ReceptiveField, h: number, w: number): ReceptiveField {
  const seen = throughWindow(rf, [h, w], [1, 1]);
  return { size: seen.size, jump: seen.size };
}

/** The widest of several fields, for merges: a unit of an add or concat sees what any input saw. */
export function widest(fields: ReceptiveField[]): ReceptiveField {
  let best = fields[0];
  for (const f of fields) if (f.size[0] * f.size[1] > best.size[0] * best.size[1]) best = f;
  return best;
}
