import { elements } from '../base/shape.js';
import type { Attrs, LayerFacts, OpDef, OrtRole } from '../ops/types.js';

/** What the rule reads of a layer (`analysis/layer.ts`'s `Layer` has it). */
interface Layer {
  readonly index: number;
  readonly op: OpDef;
  /** How many layers it reads, and the k-th of them. */
  readonly inputCount: number;
  input(k: number): number | undefined;
  readonly attrs: Attrs;
  readonly facts: LayerFacts | undefined;
}

/**
 * What an ONNX Runtime session adds to the memory of the process that runs it: the rule fitted to what
 * `stride run` measures (its run process's peak resident size less its size just before the session is
 * made) with onnxruntime-node on the CPU provider, graph optimisation `all`, the CPU arena and the memory
 * pattern on, glibc's allocator. `bench/ort-memory.ts` measures it against this rule on every example;
 * `docs/memory.md` says how each term was found.
 *
 *   retained  = ORT_FIXED + weights + (CONV_COPIES − 1) × small conv weights + (PACKED_COPIES − 1) × small packed weights
 *               + LARGEST_CONV_RETAINED × the largest small conv weight
 *   create    = retained + max(BIG_CONV_EXTRA × the largest big conv weight, the largest big packed weight)
 *   run       = retained + ACTIVATION_COPIES × the plan's peak of activations + 2 × output + min(OUTPUT_GARBAGE, runs × output)
 *   session   = max(create, run)
 */

const MiB = 2 ** 20;
/** ONNX Runtime's code pages, environment and thread pools (26 MiB), and what the JavaScript side adds (8 MiB). */
export const ORT_FIXED = 34 * MiB;
/** glibc serves blocks from 32 MiB (its highest mmap threshold) with mmap and gives them back when freed. */
export const BIG_TENSOR = 32 * MiB;
/**
 * Resident copies of a conv weight under BIG_TENSOR once the session is made: the parsed model's, the
 * initializer, the NCHWc reorder; the freed ones stay in glibc's heap.
 */
export const CONV_COPIES = 3;
/**
 * The largest conv weight under BIG_TENSOR sometimes stays resident once more, sometimes not (glibc's mmap
 * threshold rises as blocks are freed, in an order the thread pool decides: ResNet-18's 9 MiB weights add
 * 0 to 3 copies between identical runs): counted at its expected half.
 */
export const LARGEST_CONV_RETAINED = 0.5;
/** Resident copies of a Gemm or ConvTranspose weight under BIG_TENSOR: the parsed model's and the prepacked one. */
export const PACKED_COPIES = 2;
/** Passing copies of a conv weight over BIG_TENSOR during its NCHWc reorder, beside the one kept. */
export const BIG_CONV_EXTRA = 4;
/**
 * Activations while running, in units of the plan's peak: the first run takes tensor by tensor from the
 * arena; from the second the memory pattern takes one block of the peak's size, mostly new memory.
 */
export const ACTIVATION_COPIES = 2;
/** Earlier runs' outputs in JavaScript that the collector has not reclaimed yet, at most. */
export const OUTPUT_GARBAGE = 32 * MiB;
/** The timed runs after the first that the inference figure assumes: `stride run`'s default. */
export const RUN_ITERATIONS = 10;
/** The NCHWc block where nothing says otherwise: 8 channels, MLAS's AVX2 kernels (16 with AVX-512). */
export const DEFAULT_NCHWC_BLOCK = 8;

export interface InferenceOptions {
  batch: number;
  /** Channels per NCHWc block on the machine that runs it: 16 with AVX-512, 8 with AVX2. */
  block: number;
  /** Runs after the first (`stride run --iterations`). */
  iterations: number;
}

/** Bytes, for the batch; `session` is the figure, the larger of the two peaks. */
export interface InferenceMemory {
  /** ONNX Runtime's own resident cost, whatever the network. */
  fixed: number;
  /** The initializers (weights, biases, batchnorm statistics), float32. */
  weights: number;
  /** The copies of them that stay resident: the parsed model's, reordered and prepacked ones. */
  weightCopies: number;
  /** The largest copy that exists only while the session is made (a big conv weight's reorder). */
  creating: number;
  /** The most activations alive at once in ONNX Runtime's plan of the optimised graph. */
  activations: number;
  /** The network's output, plain NCHW. */
  output: number;
  /** Peak while the session is made. */
  create: number;
  /** Peak while it runs: twice the plan's activations (first run and memory pattern) and copies of the output. */
  run: number;
  session: number;
}

/** The session's memory for `layers` (an analysed network) at a batch. */
export function inferenceMemory(layers: readonly Layer[], output: number | undefined, o: InferenceOptions): InferenceMemory {
  const w = weightBytes(layers);
  const retained = ORT_FIXED + w.total + (CONV_COPIES - 1) * w.convSmall + (PACKED_COPIES - 1) * w.packedSmall + LARGEST_CONV_RETAINED * w.convSmallLargest;
  const creating = Math.max(BIG_CONV_EXTRA * w.convBig, w.packedBig);
  const plan = planPeak(layers, output ?? layers.length - 1, o.batch, o.block);
  const run = retained + ACTIVATION_COPIES * plan.peak + 2 * plan.output + Math.min(OUTPUT_GARBAGE, o.iterations * plan.output);
  const create = retained + creating;
  return {
    fixed: ORT_FIXED,
    weights: w.total,
    weightCopies: retained - ORT_FIXED - w.total,
    creating,
    activations: plan.peak,
    output: plan.output,
    create,
    run,
    session: Math.max(create, run),
  };
}

const role = (l: Layer): OrtRole | undefined => l.op.ort?.role;

/**
 * The initializers, float32, from each layer's parameters and buffers; a layer's weight and bias are taken
 * as one tensor (the bias is one value per channel, too small to move a weight across BIG_TENSOR).
 */
function weightBytes(layers: readonly Layer[]): { total: number; convSmall: number; convSmallLargest: number; packedSmall: number; convBig: number; packedBig: number } {
  const out = { total: 0, convSmall: 0, convSmallLargest: 0, packedSmall: 0, convBig: 0, packedBig: 0 };
  for (const l of layers) {
    if (!l.facts) continue;
    const bytes = 4 * (l.facts.params + (l.facts.buffers ?? 0));
    out.total += bytes;
    const r = role(l);
    if (r === 'conv') {
      if (bytes > BIG_TENSOR) out.convBig = Math.max(out.convBig, bytes);
      else {
        out.convSmall += bytes;
        out.convSmallLargest = Math.max(out.convSmallLargest, bytes);
      }
    } else if (r === 'gemm' || r === 'packed') {
      if (bytes > BIG_TENSOR) out.packedBig = Math.max(out.packedBig, bytes);
      else out.packedSmall += bytes;
    }
  }
  return out;
}

/** How ORT runs a layer: the value made outside (the input), fused into an earlier node, a view of its input, or a node. */
const SOURCE = 0;
const FUSED = 1;
const ALIAS = 2;
const NODE = 3;

/** No buffer: the value is the caller's (the input) or not made. */
const NONE = -1;

/**
 * The peak of live activations when ONNX Runtime runs the network: each node's output is allocated when it
 * runs and freed after its last reader, in the network's order. What ORT does to the graph first: a
 * batchnorm after a conv is folded into it; an activation after a conv or a dense is fused into it; an add
 * of a conv's output (its only reader) is fused into that conv, which writes over the add's other operand
 * when nothing reads that later; dropout and flatten cost nothing; an elementwise node reuses an input that
 * nothing reads later. Convs, pools and concats of whole blocks run in NCHWc, channels rounded up to the
 * block; a value read in the other layout (by LRN, ConvTranspose, a flatten, the graph's output, a pool or
 * concat of channels off the block, or a plain input read blocked) gets a reorder copy right after it is
 * made. ConvTranspose also holds its column buffer for one image, LRN a scale buffer of its size. The
 * network's input is not counted: it is the caller's buffer.
 *
 * Flat typed arrays throughout: the language server runs this on every analysis, up to a million layers.
 */
function planPeak(layers: readonly Layer[], outputIndex: number, batch: number, block: number): { peak: number; output: number } {
  const n = layers.length;
  // Each layer's input slots, in one array: slot inStart[i] + k is layer i's k-th input.
  const inStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) inStart[i + 1] = inStart[i] + layers[i].inputCount;
  /** Slot inStart[i] + k: the layer that layer i reads k-th. */
  const slot = new Int32Array(inStart[n]);
  for (let i = 0; i < n; i++) for (let k = inStart[i]; k < inStart[i + 1]; k++) slot[k] = layers[i].input(k - inStart[i])!;
  const inputOf = (l: Layer, k: number) => slot[inStart[l.index] + k];
  const countOf = (l: Layer) => inStart[l.index + 1] - inStart[l.index];
  const firstOf = (l: Layer) => (countOf(l) > 0 ? inputOf(l, 0) : NONE);
  /** The slot of layer l that reads layer j, or -1. */
  const slotOf = (l: Layer, j: number) => {
    for (let k = inStart[l.index]; k < inStart[l.index + 1]; k++) if (slot[k] === j) return k - inStart[l.index];
    return -1;
  };
  const readerCount = new Int32Array(n);
  const soleReader = new Int32Array(n).fill(NONE);
  for (let i = 0; i < n; i++) {
    for (let k = inStart[i]; k < inStart[i + 1]; k++) {
      readerCount[slot[k]]++;
      soleReader[slot[k]] = i;
    }
  }
  const sole = (i: number) => (readerCount[i] === 1 && i !== outputIndex ? soleReader[i] : NONE);
  const channels = (i: number) => {
    const s = layers[i].facts?.shape;
    return s && s.length === 3 ? s[2] : 0;
  };
  const whole = (i: number) => channels(i) > 0 && channels(i) % block === 0;

  // Fusions: conv [→ batchnorm] [→ add] [→ activation], dense [→ activation].
  const fusedInto = new Int32Array(n).fill(NONE);
  for (const l of layers) {
    const r = role(l);
    if (r !== 'conv' && r !== 'gemm') continue;
    let end = l.index;
    const bn = sole(end);
    if (r === 'conv' && bn !== NONE && role(layers[bn]) === 'batchnorm') fusedInto[(end = bn)] = l.index;
    const next = sole(end);
    if (next !== NONE && role(layers[next]) === 'activation') fusedInto[next] = l.index;
  }
  // The conv an add is fused into: of the operands made by a conv (or a conv and its batchnorm) that only
  // the add reads, the one made last, so that the other operand exists when it runs.
  const sumOf = new Int32Array(n).fill(NONE);
  const addOf = new Int32Array(n).fill(NONE);
  const convOf = (i: number) => (role(layers[i]) === 'conv' ? i : role(layers[i]) === 'batchnorm' ? fusedInto[i] : NONE);
  for (const l of layers) {
    if (role(l) !== 'add' || countOf(l) !== 2) continue;
    const x = inputOf(l, 0);
    const y = inputOf(l, 1);
    const fits = (i: number) => sole(i) === l.index && convOf(i) !== NONE;
    const operand = fits(x) && fits(y) ? Math.max(x, y) : fits(x) ? x : fits(y) ? y : NONE;
    if (operand === NONE || x === y) continue;
    const c = convOf(operand);
    fusedInto[l.index] = c;
    sumOf[c] = operand === x ? y : x;
    addOf[c] = l.index;
    const next = sole(l.index);
    if (next !== NONE && role(layers[next]) === 'activation') fusedInto[next] = c;
  }

  // Layouts, in order: each layer's from its inputs'. A fused add needs its other operand blocked too:
  // where it is not, ORT leaves the add alone, and the layouts are worked out again.
  const kind = new Uint8Array(n);
  const blocked = new Uint8Array(n);
  /** Whether each input slot is read blocked. */
  const reads = new Uint8Array(inStart[n]);
  const allBlocked = (l: Layer) => {
    for (let k = inStart[l.index]; k < inStart[l.index + 1]; k++) if (blocked[slot[k]] !== 1) return false;
    return true;
  };
  const layouts = () => {
    for (const l of layers) {
      const i = l.index;
      const in0 = firstOf(l);
      const r = role(l);
      let k = NODE;
      let b = false;
      let first = false;
      if (l.op.source) k = SOURCE;
      else if (fusedInto[i] !== NONE) {
        k = FUSED;
        b = blocked[fusedInto[i]] === 1;
      } else if (r === 'conv') {
        const groups = l.op.ort?.groups?.(l.attrs) ?? 1;
        b = groups === 1 || (whole(in0) && whole(i));
        first = b && whole(in0);
      } else if (r === 'pool') first = b = whole(in0);
      else if (r === 'concat') {
        b = true;
        for (let s = inStart[i]; s < inStart[i + 1]; s++) if (blocked[slot[s]] !== 1 || !whole(slot[s])) b = false;
      }
      else if (r === 'add' || r === 'elementwise' || r === 'activation' || r === 'resize') b = allBlocked(l);
      else if (r === 'dropout' || r === 'view') {
        k = ALIAS;
        first = b = r === 'dropout' && blocked[in0] === 1;
      }
      kind[i] = k;
      blocked[i] = b ? 1 : 0;
      // A conv or pool reads its one input as worked out above; every other node reads all inputs as it runs.
      const each = r === 'conv' || r === 'pool' || k === ALIAS ? first : b;
      for (let s = inStart[i]; s < inStart[i + 1]; s++) reads[s] = each ? 1 : 0;
    }
  };
  for (;;) {
    layouts();
    let changed = false;
    for (let c = 0; c < n; c++) {
      if (sumOf[c] === NONE || blocked[sumOf[c]] === 1) continue;
      const add = addOf[c];
      fusedInto[add] = NONE;
      const next = sole(add);
      if (next !== NONE && fusedInto[next] === c) fusedInto[next] = NONE;
      sumOf[c] = NONE;
      changed = true;
    }
    if (!changed) break;
  }

  // Readers of each value in each layout; the graph's output is read plain, once.
  const wantPlain = new Int32Array(n);
  const wantBlocked = new Int32Array(n);
  for (let s = 0; s < slot.length; s++) {
    if (reads[s] === 1) wantBlocked[slot[s]]++;
    else wantPlain[slot[s]]++;
  }
  if (outputIndex >= 0 && outputIndex < n) wantPlain[outputIndex]++;
  const wanting = (i: number, inBlocks: boolean) => (inBlocks ? wantBlocked[i] : wantPlain[i]);

  // The walk: buffers, at most two per layer (its value and a reorder copy), with the readers they still have.
  const size = new Float64Array(2 * n);
  const left = new Int32Array(2 * n);
  let buffers = 0;
  let current = 0;
  let peak = 0;
  const bytesOf = (i: number, inBlocks: boolean) => {
    const shape = layers[i].facts!.shape;
    if (!inBlocks || shape.length !== 3) return 4 * batch * elements(shape);
    return 4 * batch * shape[0] * shape[1] * Math.ceil(shape[2] / block) * block;
  };
  const alloc = (bytes: number, readers: number) => {
    size[buffers] = bytes;
    left[buffers] = readers;
    current += bytes;
    if (current > peak) peak = current;
    return buffers++;
  };
  const free = (id: number) => {
    current -= size[id];
    size[id] = 0;
    left[id] = -1;
  };
  const alive = (id: number) => id !== NONE && left[id] >= 0;
  const release = (id: number) => {
    if (alive(id) && --left[id] <= 0) free(id);
  };
  // Which buffer holds each layer's value, plain and blocked.
  const plainBuf = new Int32Array(n).fill(NONE);
  const blockBuf = new Int32Array(n).fill(NONE);
  const bufferOf = (i: number, inBlocks: boolean) => (inBlocks ? blockBuf[i] : plainBuf[i]);
  const setBuffer = (i: number, inBlocks: boolean, id: number) => ((inBlocks ? blockBuf : plainBuf)[i] = id);
  const source = (l: Layer, k: number) => bufferOf(inputOf(l, k), reads[inStart[l.index] + k] === 1);
  /** After `i` is made: a reorder copy for its readers of the other layout, then its buffer freed if nothing reads it. */
  const made = (i: number, id: number) => {
    const own = blocked[i] === 1;
    const other = wanting(i, !own);
    if (other > 0) {
      setBuffer(i, !own, alloc(bytesOf(i, !own), other));
      const mine = bufferOf(i, own);
      if (alive(mine) && left[mine] <= 0) free(mine);
    }
    if (alive(id) && left[id] <= 0) free(id);
  };
  const releaseInputs = (l: Layer, except: number) => {
    for (let k = 0; k < countOf(l); k++) {
      const s = source(l, k);
      if (s !== except) release(s);
    }
  };

  // ORT frees a concat's inputs only after the node that follows it.
  let deferred: Layer | undefined;
  for (const l of layers) {
    if (!l.facts) continue;
    const i = l.index;
    const b = blocked[i] === 1;
    const readCount = wanting(i, b);
    if (kind[i] === SOURCE) {
      made(i, NONE);
      continue;
    }
    if (kind[i] === FUSED) {
      // Done by the conv or dense before it: its buffer, now read by this layer's readers.
      const c = fusedInto[i];
      let producer = NONE;
      for (let k = 0; k < countOf(l) && producer === NONE; k++) if (inputOf(l, k) === c || fusedInto[inputOf(l, k)] === c) producer = inputOf(l, k);
      const id = bufferOf(producer, b);
      setBuffer(i, b, id);
      if (alive(id)) left[id] = readCount;
      if (role(l) === 'add') {
        const s = source(l, slotOf(l, sumOf[c]));
        if (s !== id) release(s);
      }
      made(i, id);
      continue;
    }
    if (kind[i] === ALIAS) {
      const id = source(l, 0);
      setBuffer(i, b, id);
      if (alive(id)) left[id] += readCount - 1;
      made(i, id);
      continue;
    }
    const out = bytesOf(i, b);
    // In place: a fused add's other operand, or an elementwise node's input, that nothing reads later.
    let into = NONE;
    const reusable = (s: number) => alive(s) && left[s] === 1 && size[s] === out;
    if (sumOf[i] !== NONE) {
      const s = bufferOf(sumOf[i], b);
      if (reusable(s)) into = s;
    } else if (role(l) === 'add' || role(l) === 'elementwise' || role(l) === 'activation') {
      for (let k = 0; k < countOf(l) && into === NONE; k++) if (reusable(source(l, k))) into = source(l, k);
    }
    if (into !== NONE) {
      setBuffer(i, b, into);
      releaseInputs(l, into);
      left[into] = readCount;
      made(i, into);
      continue;
    }
    const id = alloc(out, readCount);
    const scratch = l.op.ort?.scratch?.({ input: layers[firstOf(l)]?.facts?.shape ?? [], output: l.facts.shape, attrs: l.attrs, batch }) ?? 0;
    if (current + scratch > peak) peak = current + scratch;
    setBuffer(i, b, id);
    const late = deferred;
    deferred = undefined;
    if (role(l) === 'concat') deferred = l;
    else releaseInputs(l, NONE);
    if (late) releaseInputs(late, NONE);
    made(i, id);
  }
  if (deferred) releaseInputs(deferred, NONE);
  return { peak, output: layers[outputIndex]?.facts ? bytesOf(outputIndex, false) : 0 };
}
