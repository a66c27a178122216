import { Codes, type Diagnostic } from '../base/diagnostics.js';
import { formatBytes, formatCount } from '../base/format.js';
import type { Span } from '../base/text.js';
import type { InferenceMemory } from './inference.js';
import { momentOf, type Totals } from './ledger.js';
import { SERIES, type Moment, type Timeline } from './timeline.js';

export { Ledger, type Totals } from './ledger.js';

export const DTYPES = { float32: 4, float16: 2, bfloat16: 2, float64: 8 } as const;
export type Dtype = keyof typeof DTYPES;

/**
 * How a network trains: one dtype for everything, or mixed precision (Keras's policy names): 16-bit
 * activations and weight copies, with float32 master weights, gradients and optimizer state.
 */
export const PRECISIONS = ['float32', 'float16', 'bfloat16', 'float64', 'mixed_float16', 'mixed_bfloat16'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Bytes per element of each kind of tensor under a precision. */
export interface PrecisionBytes {
  activations: number;
  parameters: number;
  /** The 16-bit weight copies mixed precision keeps for backward; 0 without them. */
  weightCopies: number;
}

export function precisionBytes(p: Precision): PrecisionBytes {
  if (p === 'mixed_float16' || p === 'mixed_bfloat16') return { activations: 2, parameters: 4, weightCopies: 2 };
  return { activations: DTYPES[p], parameters: DTYPES[p], weightCopies: 0 };
}

/**
 * Per optimizer: copies of the trainable parameters it keeps (momentum buffers, squared-gradient averages),
 * and the temporaries its `step()` allocates, in copies of the largest parameter tensor: PyTorch's default
 * single-tensor loops compute `exp_avg_sq.sqrt() / c` (Adam: two tensors alive at once), `square_avg.sqrt()`
 * (RMSProp) or `state_sum.sqrt()` (Adagrad) one parameter at a time; SGD updates in place.
 */
export const OPTIMIZERS = {
  sgd: { state: 0, temporaries: 0 },
  momentum: { state: 1, temporaries: 0 },
  rmsprop: { state: 1, temporaries: 1 },
  adagrad: { state: 1, temporaries: 1 },
  adam: { state: 2, temporaries: 2 },
  adamw: { state: 2, temporaries: 2 },
} as const;
export type Optimizer = keyof typeof OPTIMIZERS;

/**
 * What a GPU framework holds before the first tensor, 282 MiB: the CUDA context with its kernels (287,047,680
 * bytes, 274 MiB, with CUDA's lazy module loading, PyTorch's default since 1.13; 666,632,192 without:
 * pytorch/pytorch#86509) and cuBLAS's default workspace (`:4096:2:16:8`, 8 MiB). Adjustable:
 * `stride.frameworkMemoryMiB`, `--framework MiB`; 0 for a CPU.
 */
export const DEFAULT_FRAMEWORK_BYTES = 282 * 2 ** 20;

export interface MemoryOptions {
  batch: number;
  dtype: Precision;
  optimizer: Optimizer;
  /** GPU memory budget in bytes; none means no check. */
  budget?: number;
  /** The framework's fixed cost on the GPU, in bytes (`DEFAULT_FRAMEWORK_BYTES` when absent). */
  framework?: number;
  /** Channels per NCHWc block of ONNX Runtime's CPU kernels where it runs: 16 with AVX-512, 8 with AVX2 (the default). */
  nchwcBlock?: number;
}

export const DEFAULT_MEMORY: MemoryOptions = { batch: 1, dtype: 'float32', optimizer: 'sgd' };

/** The terms of training memory at its peak; they add up to `trainingPeak`. */
export const TRAINING_TERMS = ['parameters', 'gradients', 'optimizer', 'optimizerTemporaries', 'kept', 'liveActivations', 'activationGradients', 'scratch', 'input'] as const;
export type TrainingTerm = (typeof TRAINING_TERMS)[number];

/** Bytes, for the whole batch; the first eight are the terms at the training step's peak. */
export interface Memory {
  /** Parameters and buffers. */
  parameters: number;
  /** Parameter gradients made by then (all of them at the optimizer step). */
  gradients: number;
  /** Optimizer state, kept between steps. */
  optimizer: number;
  /** What the optimizer's step allocates while it runs (0 outside it). */
  optimizerTemporaries: number;
  /** Activations autograd keeps for backward, with pooling indices, masks and mixed precision's weight copies. */
  kept: number;
  /** Outputs alive only because a later layer reads them. */
  liveActivations: number;
  /** Gradients of activations on their way back. */
  activationGradients: number;
  /** What the running layer's backward allocates and frees again (a conv's reordered tensors). */
  scratch: number;
  input: number;
  /** All tensors at the step's peak: the sum of the terms above. */
  trainingPeak: number;
  /** Where the peak is. */
  peak: { phase: 'forward' | 'backward' | 'step'; layer?: number };
  /** The framework's fixed cost on a GPU (CUDA context, library workspaces). */
  framework: number;
  /** What training needs: the peak and the framework. */
  training: number;
  /** The largest term at the peak. */
  dominant: TrainingTerm;
  /** What autograd keeps for backward when the forward pass ends (the network's input apart). */
  savedForBackward: number;
  /** The notes' rule of thumb: parameters, gradients, optimizer state, every output and its gradient, input. */
  notesRule: number;
  /** The most activations ONNX Runtime's plan holds at once, for the whole batch. */
  activationsInference: number;
  /** What an ONNX Runtime session on the CPU adds to the process that runs it, float32 as Stride exports. */
  inference: number;
  inferenceTerms: InferenceMemory;
  /** Largest batch whose training memory fits the budget; 0 when even the fixed part does not fit. */
  maxBatch?: number;
  budget?: number;
}

/**
 * `inference` is asked for only when a figure of it is read (a summary, a hover): typing, which needs the
 * diagnostics, does not pay for ONNX Runtime's plan.
 */
export function memory(t: Totals, tl: Timeline, o: MemoryOptions, inference: () => InferenceMemory): Memory {
  const p = precisionBytes(o.dtype);
  const opt = OPTIMIZERS[o.optimizer];
  const step = tl.moments - 1;
  const parameters = t.params * p.parameters;
  const optimizer = opt.state * t.trainableParams * p.parameters;
  const framework = o.framework ?? DEFAULT_FRAMEWORK_BYTES;
  const b = o.batch;
  // Mixed precision leaves the input batch in float32; the first layer that keeps it keeps its 16-bit cast.
  const input = t.inputElements * (p.weightCopies > 0 ? p.parameters : p.activations) * b;
  const inputCast = p.weightCopies > 0 ? t.savedInputElements * p.weightCopies * b : 0;
  const perSample = b * p.activations;
  const w = seriesBytes(p);
  // What one moment holds beyond the parameters, the optimizer state and the input.
  const at = (m: number) => {
    const v = tl.at(m);
    return {
      gradients: m === step ? t.trainableParams * p.parameters : v.paramGrads * p.parameters,
      optimizerTemporaries: m === step ? opt.temporaries * t.largestParamTensor * p.parameters : 0,
      kept: b * (v.kept * p.activations + v.keptBytes) + v.weightCopies * p.weightCopies + (m === step ? 0 : inputCast),
      liveActivations: perSample * v.live,
      activationGradients: perSample * v.grads,
      scratch: perSample * v.scratch + v.scratchParams * w.fixed.scratchParams,
    };
  };
  const sum = (v: ReturnType<typeof at>) => v.gradients + v.optimizerTemporaries + v.kept + v.liveActivations + v.activationGradients + v.scratch;
  // The moments before the step, as `at` sums them, in bytes: every series weighted by its bytes at once.
  const bytes = tl.sum(Object.fromEntries(SERIES.map((k) => [k, w.fixed[k] + b * w.perSample[k]])) as Moment);
  // Each `at` walks every span: the step's terms are taken once.
  const atStep = at(step);
  let peakMoment = step;
  let peakValue = sum(atStep);
  for (let m = 0; m < step; m++) {
    const v = bytes[m] + inputCast;
    if (v > peakValue || (v === peakValue && m < peakMoment)) {
      peakValue = v;
      peakMoment = m;
    }
  }
  const terms = { parameters, optimizer, input, ...(peakMoment === step ? atStep : at(peakMoment)) };
  const trainingPeak = parameters + optimizer + input + Math.max(0, peakValue);
  const dominant = TRAINING_TERMS.reduce((a, k) => (terms[k] > terms[a] ? k : a), TRAINING_TERMS[0]);
  const m: Memory = {
    ...terms,
    trainingPeak,
    peak: momentOf(peakMoment, step / 2),
    framework,
    training: trainingPeak + framework,
    dominant,
    savedForBackward: (t.savedElements * p.activations + t.savedExtraBytes) * b,
    notesRule: parameters + t.trainableParams * p.parameters + optimizer + 2 * t.activationElements * p.activations * b + input,
  } as Memory;
  planLazily(m, inference);
  if (o.budget !== undefined) {
    m.budget = o.budget;
    m.maxBatch = largestBatch(t, tl, o, o.budget - parameters - optimizer - framework);
  }
  return m;
}

/** Where a memory keeps how to plan its inference figures, and the plan once made: not enumerable. */
const PLAN = Symbol('inference plan');

interface Planned {
  [PLAN]: { make: () => InferenceMemory; made?: InferenceMemory };
}

function planOf(m: object): InferenceMemory {
  const plan = (m as Planned)[PLAN];
  return (plan.made ??= plan.make());
}

/**
 * The inference figures as enumerable getters (a spread or JSON.stringify of the memory still has them),
 * planned on first read. The getters are these, shared by every memory: getters made afresh for each analysis
 * kept each whole analysis alive through every young-generation collection until the next full one (a
 * 1k-layer file's collections copied ~15 MB, not its ~1 MB, and took 50 ms, not 1–2).
 */
const LAZY: PropertyDescriptorMap = {
  inferenceTerms: { get(this: object) { return planOf(this); }, enumerable: true },
  inference: { get(this: object) { return planOf(this).session; }, enumerable: true },
  activationsInference: { get(this: object) { return planOf(this).activations; }, enumerable: true },
};

function planLazily(m: Memory, inference: () => InferenceMemory): void {
  Object.defineProperty(m, PLAN, { value: { make: inference } });
  Object.defineProperties(m, LAZY);
}

/** The bytes an element of each series takes before the step: a part for the whole batch, and one per sample. */
function seriesBytes(p: PrecisionBytes): { fixed: Moment; perSample: Moment } {
  return {
    // Under autocast a conv's backward works on the 16-bit weight copy.
    fixed: { kept: 0, live: 0, grads: 0, keptBytes: 0, paramGrads: p.parameters, weightCopies: p.weightCopies, scratch: 0, scratchParams: p.weightCopies || p.parameters },
    perSample: { kept: p.activations, live: p.activations, grads: p.activations, keptBytes: 1, paramGrads: 0, weightCopies: 0, scratch: p.activations, scratchParams: 0 },
  };
}

/**
 * The largest batch whose every moment fits `room`: each moment's memory is a fixed part plus a part per
 * sample, so the bound is the smallest over moments of (room − fixed) / per sample.
 */
function largestBatch(t: Totals, tl: Timeline, o: MemoryOptions, room: number): number {
  const p = precisionBytes(o.dtype);
  const opt = OPTIMIZERS[o.optimizer];
  const step = tl.moments - 1;
  const mixed = p.weightCopies > 0;
  const w = seriesBytes(p);
  const fixedAt = tl.sum(w.fixed);
  const perSampleAt = tl.sum(w.perSample);
  let best = Number.MAX_SAFE_INTEGER;
  for (let m = 0; m <= step; m++) {
    const fixed = m === step ? (t.trainableParams + opt.temporaries * t.largestParamTensor) * p.parameters : fixedAt[m];
    const inputBytes = t.inputElements * (mixed ? p.parameters : p.activations) + (mixed && m !== step ? t.savedInputElements * p.weightCopies : 0);
    const perSample = perSampleAt[m] + inputBytes;
    if (fixed > room) return 0;
    if (perSample > 0) best = Math.min(best, Math.floor((room - fixed) / perSample));
  }
  return best;
}

/** The warning for a network whose training memory does not fit the budget, or undefined. */
/** `net` is the network's name and the span of its name in the text, where the warning goes. */
export function budgetDiagnostic(net: { name: string; span?: Span }, m: Memory, o: MemoryOptions): Diagnostic | undefined {
  if (m.budget === undefined || m.training <= m.budget || !net.span) return undefined;
  const fit = m.maxBatch === 0
    ? 'the parameters, gradients and optimizer state alone do not fit: try a smaller dtype or optimizer'
    : `the largest batch that fits is ${formatCount(m.maxBatch ?? 0)}`;
  return {
    code: Codes.memoryOverBudget,
    severity: 'warning',
    message: `training ${net.name} at batch ${formatCount(o.batch)} (${o.dtype}, ${o.optimizer}) needs ${formatBytes(m.training)}, over the ${formatBytes(m.budget)} budget; the largest term is ${TERM_NAMES[m.dominant]} (${formatBytes(m[m.dominant])}); ${fit}`,
    span: { start: net.span.start, end: net.span.end },
  };
}

/** How each term reads in sentences and tables. */
export const TERM_NAMES: Record<TrainingTerm, string> = {
  parameters: 'parameters',
  gradients: 'gradients',
  optimizer: 'optimizer state',
  optimizerTemporaries: "the optimizer step's temporaries",
  kept: 'activations kept for backward',
  liveActivations: 'live activations',
  activationGradients: 'activation gradients',
  scratch: "the backward's scratch (a conv's reordered tensors)",
  input: 'the input batch',
};

/** What layer `i` keeps for backward at the configured batch and precision, in bytes (0 when recomputed). */
export function layerKept(t: Totals, i: number, o: MemoryOptions): number {
  if (t.recomputed[i]) return 0;
  const p = precisionBytes(o.dtype);
  return (t.keptElements[i] * p.activations + t.keptExtraBytes[i]) * o.batch;
}
