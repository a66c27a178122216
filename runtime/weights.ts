import type { WeightInit } from '../language/ops/types.js';
import { ZIGGURAT_WASM } from './ziggurat-wasm.js';

/**
 * Seeded weight initialisation: the same seed and name give the same values on every machine, so a run can
 * be repeated and compared (CPU against CUDA).
 *
 * The values: each tensor has its own mulberry32 stream (`runtime/random.ts`), seeded by hashing the seed
 * and the tensor's name, whose 32-bit outputs, as signed integers, make standard normal values by Marsaglia
 * and Tsang's ziggurat (128 strips; the strip is the low 7 bits, a uniform in (0, 1) is 0.5 + n·2^−32),
 * scaled by σ: He's √(2 / fan_in) (`{he: fan_in}`, PyTorch's `kaiming_normal_` for ReLU) or Xavier's
 * √(2 / (fan_in + fan_out)).
 *
 * A tensor in a buffer from `weightBuffer` (a model's bytes: export.ts) is drawn by ziggurat.wat: the same
 * values, four at a time in WebAssembly SIMD, about twice as fast as the loop here. It hands back only the
 * base strip's tail (about 1 draw in 1,700). The loop here draws everywhere else, and the kernel is tested
 * against it.
 */

/** The stream's seed: the seed, then each UTF-16 unit of the name. */
function streamSeed(seed: number, name: string): number {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x9e3779b1) >>> 0;
  return h;
}

/** The initialisations drawn from a normal distribution. */
type Drawn = Extract<WeightInit, { he: number } | { xavier: readonly [number, number] }>;

/** He's standard deviation √(2 / fan_in), Xavier's √(2 / (fan_in + fan_out)). */
function sigma(init: Drawn): number {
  return 'he' in init ? Math.sqrt(2 / init.he) : Math.sqrt(2 / (init.xavier[0] + init.xavier[1]));
}

/**
 * The tables of Marsaglia and Tsang's ziggurat for the normal distribution (128 strips; "The Ziggurat Method
 * for Generating Random Variables", 2000): most values are one 32-bit draw, a comparison and a product.
 */
const ZIG = (() => {
  const k = new Float64Array(128);
  const w = new Float64Array(128);
  const f = new Float64Array(128);
  const m = 2147483648;
  const v = 9.91256303526217e-3;
  let d = 3.442619855899;
  let t = d;
  const q = v / Math.exp(-0.5 * d * d);
  k[0] = (d / q) * m;
  k[1] = 0;
  w[0] = q / m;
  w[127] = d / m;
  f[0] = 1;
  f[127] = Math.exp(-0.5 * d * d);
  for (let i = 126; i >= 1; i--) {
    d = Math.sqrt(-2 * Math.log(v / d + Math.exp(-0.5 * d * d)));
    k[i + 1] = (d / t) * m;
    t = d;
    f[i] = Math.exp(-0.5 * d * d);
    w[i] = d / m;
  }
  // For the kernel, which decides most of the tail's comparisons with e^(−x²/2) without computing it: the
  // centre c of each strip's range of y = −x²/2 (x from the strip's inner edge to its outer; strip 1's inner
  // edge is 0) and e^c.
  const c = new Float64Array(128);
  const ec = new Float64Array(128);
  for (let i = 1; i < 128; i++) {
    const outer = w[i] * m;
    const inner = i === 1 ? 0 : w[i - 1] * m;
    c[i] = -(outer * outer + inner * inner) / 4;
    ec[i] = Math.exp(c[i]);
  }
  return { k, w, f, r: 3.442619855899, c, ec };
})();

const SCALED = new Float64Array(128);

/** Values a float32 tensor can be filled with, in order, in pieces: no tensor-sized buffer besides the output. */
class Values {
  private state: number;

  constructor(
    private readonly init: WeightInit,
    name: string,
    seed: number,
  ) {
    this.state = streamSeed(seed, name) | 0;
  }

  /** The stream's next 32 bits as a signed integer: mulberry32's output (runtime/random.ts). */
  private int(): number {
    const a = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return t ^ (t >>> 14);
  }

  /** A uniform in (0, 1). */
  private uniform(): number {
    return 0.5 + this.int() * 2.3283064365386963e-10;
  }

  /** The ziggurat's slow path: a draw outside the strip's rectangle (under 2% of them). */
  private tail(hz: number, iz: number): number {
    const { k, w, f, r } = ZIG;
    for (;;) {
      const x = hz * w[iz];
      if (iz === 0) {
        let a: number;
        let b: number;
        do {
          a = -Math.log(this.uniform()) / r;
          b = -Math.log(this.uniform());
        } while (b + b < a * a);
        return hz > 0 ? r + a : -r - a;
      }
      if (f[iz] + this.uniform() * (f[iz - 1] - f[iz]) < Math.exp(-0.5 * x * x)) return x;
      hz = this.int();
      iz = hz & 127;
      if (Math.abs(hz) < k[iz]) return hz * w[iz];
    }
  }

  /** The next `count` values as float32 bytes at `at` in the kernel's memory (ziggurat.wat). */
  nextInKernel(kernel: Kernel, at: number, count: number): void {
    const std = sigma(this.init as Drawn);
    for (let j = 0; j < 128; j++) kernel.widths[j] = std * ZIG.w[j];
    let done = 0;
    for (;;) {
      done += kernel.fill(at + 4 * done, count - done, this.state, kernel.tables, std);
      this.state = kernel.state.value as number;
      if (done >= count) return;
      // The base strip's tail, which the kernel leaves to this class: its draw is made already.
      const hz = kernel.hz.value as number;
      kernel.view.setFloat32(at + 4 * done++, std * this.tail(hz, hz & 127), true);
    }
  }

  /** The next `out.length` values. */
  next(out: Float32Array): void {
    const init = this.init;
    if (init === 'zeros') return void out.fill(0);
    if (init === 'ones') return void out.fill(1);
    if ('fill' in init) return void out.fill(init.fill);
    if ('values' in init || 'int64' in init) throw new Error('a constant is not drawn');
    const std = sigma(init);
    const k = ZIG.k;
    // The strips' widths scaled by σ once, and the draw inlined with its state in a local: this loop runs
    // for every weight of the network.
    const w = SCALED;
    for (let j = 0; j < 128; j++) w[j] = std * ZIG.w[j];
    let a = this.state;
    for (let i = 0; i < out.length; i++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const hz = t ^ (t >>> 14);
      const iz = hz & 127;
      if (Math.abs(hz) < k[iz]) out[i] = hz * w[iz];
      else {
        this.state = a;
        out[i] = std * this.tail(hz, iz);
        a = this.state;
      }
    }
    this.state = a;
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
  const kernel = kernels.get(out.buffer);
  if (kernel && typeof init === 'object' && ('he' in init || 'xavier' in init)) return values.nextInKernel(kernel, out.byteOffset, count);
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

/** ziggurat.wat instantiated on the memory of one buffer, and where its tables are in it. */
interface Kernel {
  fill(at: number, count: number, state: number, tables: number, std: number): number;
  state: WebAssembly.Global;
  hz: WebAssembly.Global;
  tables: number;
  /** The scaled strip widths, rewritten for each tensor's σ. */
  widths: Float64Array;
  view: DataView;
}

const kernels = new WeakMap<ArrayBufferLike, Kernel>();
let compiled: WebAssembly.Module | null | undefined;

/** The kernel's module, compiled once; null where this runtime has no WebAssembly SIMD. */
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(ZIGGURAT_WASM, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** ziggurat.wat's tables: thresholds (u32), then widths scaled by σ, widths, f, the centres c and e^c (f64). */
const TABLE_BYTES = 128 * 4 + 5 * 128 * 8;
const PAGE = 65536;

/**
 * A zeroed buffer for a model's bytes, `byteLength` long, whose float32 tensors `initialiseInto` draws with
 * the kernel: the buffer is the kernel's own memory, so the values are written where they stay. A plain
 * buffer where the kernel cannot be had (no SIMD; a model past WebAssembly's 4 GiB).
 */
export function weightBuffer(byteLength: number): Uint8Array {
  const module = kernelModule();
  const tables = Math.ceil(byteLength / 8) * 8;
  const pages = Math.ceil((tables + TABLE_BYTES) / PAGE);
  if (!module || pages > 65536) return new Uint8Array(byteLength);
  let memory: WebAssembly.Memory;
  let instance: WebAssembly.Instance;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    instance = new WebAssembly.Instance(module, { env: { memory } });
  } catch {
    return new Uint8Array(byteLength);
  }
  const exports = instance.exports as { fill: Kernel['fill']; state: WebAssembly.Global; hz: WebAssembly.Global };
  const thresholds = new Uint32Array(memory.buffer, tables, 128);
  for (let j = 0; j < 128; j++) thresholds[j] = Math.ceil(ZIG.k[j]);
  new Float64Array(memory.buffer, tables + 1536, 128).set(ZIG.w);
  new Float64Array(memory.buffer, tables + 2560, 128).set(ZIG.f);
  new Float64Array(memory.buffer, tables + 3584, 128).set(ZIG.c);
  new Float64Array(memory.buffer, tables + 4608, 128).set(ZIG.ec);
  kernels.set(memory.buffer, { fill: exports.fill, state: exports.state, hz: exports.hz, tables, widths: new Float64Array(memory.buffer, tables + 512, 128), view: new DataView(memory.buffer) });
  return new Uint8Array(memory.buffer, 0, byteLength);
}
