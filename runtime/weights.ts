import type { WeightInit } from '../language/ops/types.js';

/**
 * Seeded weight initialisation: the same seed and name give the same values on every machine, so a run can
 * be repeated and compared (CPU against CUDA).
 *
 * The values: each tensor has its own mulberry32 stream (`runtime/random.ts`), seeded by hashing the seed
 * and the tensor's name. Its uniforms, taken in pairs as u = 2x − 1, v = 2y − 1, make normal values by
 * Marsaglia's polar method: a pair with s = u² + v² in (0, 1) gives u·f and v·f, f = σ·√(−2 ln s / s); other
 * pairs are skipped. σ is He's √(2 / fan_in) (`{he: fan_in}`, PyTorch's `kaiming_normal_` for ReLU) or
 * Xavier's √(2 / (fan_in + fan_out)).
 */

/** The stream's seed: the seed, then each UTF-16 unit of the name. */
function streamSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x9e3779b1) >>> 0;
  return h;
}

/** He's standard deviation √(2 / fan_in), Xavier's √(2 / (fan_in + fan_out)). */
function sigma(init: Extract<WeightInit, { he: number } | { xavier: readonly [number, number] }>): number {
  return 'he' in init ? Math.sqrt(2 / init.he) : Math.sqrt(2 / (init.xavier[0] + init.xavier[1]));
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
    const std = sigma(init);
    // Marsaglia's polar method: pairs of uniforms in the unit disc, one log and one square root a pair.
    // mulberry32 is inlined: the same numbers as runtime/random.ts's, without a call per value.
    let a = this.state;
    let i = 0;
    if (this.spare !== undefined && out.length > 0) {
      out[i++] = this.spare;
      this.spare = undefined;
    }
    while (i < out.length) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const u = (((t ^ (t >>> 14)) >>> 0) / 2147483648) - 1;
      a = (a + 0x6d2b79f5) | 0;
      t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const v = (((t ^ (t >>> 14)) >>> 0) / 2147483648) - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = std * Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = u * f;
      if (i < out.length) out[i++] = v * f;
      else this.spare = v * f;
    }
    this.state = a >>> 0;
  }

  /** The second value of a pair drawn at the end of a piece: the first of the next. */
  private spare: number | undefined;
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
