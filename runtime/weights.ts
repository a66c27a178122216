import type { WeightInit } from '../language/ops/types.js';

/**
 * Seeded weight initialisation: the same seed and name give the same values on every machine, so a run can
 * be repeated and compared (CPU against CUDA).
 *
 * The values: each tensor has its own mulberry32 stream (`runtime/random.ts`), seeded with FNV-style hashing
 * of the seed and the tensor's name; its k-th uniform u_k in [0, 1) becomes (2u_k − 1)·b, uniform on
 * [−b, b). He (`{he: fan_in}`) takes b = √(6 / fan_in), PyTorch's `kaiming_uniform_(w, nonlinearity='relu')`;
 * Xavier (`{xavier: [fan_in, fan_out]}`) b = √(6 / (fan_in + fan_out)), `xavier_uniform_`: the standard
 * deviations of He and Xavier (√(2 / fan_in), √(2 / (fan_in + fan_out))), one multiply-add a value.
 */

/** The stream's seed: the seed, then each UTF-16 unit of the name. */
function streamSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x9e3779b1) >>> 0;
  return h;
}

/** Half the width of the uniform range: √3 × the standard deviation. */
function bound(init: Extract<WeightInit, { he: number } | { xavier: readonly [number, number] }>): number {
  return 'he' in init ? Math.sqrt(6 / init.he) : Math.sqrt(6 / (init.xavier[0] + init.xavier[1]));
}

/** Values a float32 tensor can be filled with, in order, in pieces: no tensor-sized buffer besides the output. */
class Values {
  private state: number;

  constructor(
    private readonly init: WeightInit,
    name: string,
    seed: number,
  ) {
    this.state = streamSeed(seed, name);
  }

  /** The next `out.length` values. */
  next(out: Float32Array): void {
    const init = this.init;
    if (init === 'zeros') return void out.fill(0);
    if (init === 'ones') return void out.fill(1);
    if ('fill' in init) return void out.fill(init.fill);
    if ('values' in init || 'int64' in init) throw new Error('a constant is not drawn');
    const b = bound(init);
    const scale = (2 * b) / 4294967296;
    // mulberry32, inlined: the same numbers as runtime/random.ts's, without a call per value.
    let a = this.state;
    for (let i = 0; i < out.length; i++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = ((t ^ (t >>> 14)) >>> 0) * scale - b;
    }
    this.state = a >>> 0;
  }
}

/** A tensor's initial values. */
export function initialise(name: string, count: number, init: WeightInit, seed: number): Float32Array {
  if (typeof init === 'object' && 'values' in init) return Float32Array.from(init.values);
  const out = new Float32Array(count);
  new Values(init, name, seed).next(out);
  return out;
}

const PIECE = 1 << 16;
let scratch: Float32Array | undefined;

/** A tensor's initial values as little-endian float32 bytes, written into `out` (4 × count bytes) in pieces. */
export function initialiseInto(out: Uint8Array, name: string, count: number, init: WeightInit, seed: number): void {
  if (typeof init === 'object' && 'values' in init) {
    const v = Float32Array.from(init.values);
    out.set(new Uint8Array(v.buffer));
    return;
  }
  const values = new Values(init, name, seed);
  // Aligned output takes the values in place; otherwise each piece goes through a small buffer.
  if (out.byteOffset % 4 === 0) return values.next(new Float32Array(out.buffer, out.byteOffset, count));
  scratch ??= new Float32Array(PIECE);
  const bytes = new Uint8Array(scratch.buffer);
  for (let at = 0; at < count; at += PIECE) {
    const n = Math.min(PIECE, count - at);
    const piece = n === PIECE ? scratch : scratch.subarray(0, n);
    values.next(piece);
    out.set(n === PIECE ? bytes : bytes.subarray(0, 4 * n), 4 * at);
  }
}
