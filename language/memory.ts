import { Codes, type Diagnostic } from './diagnostics.js';
import type { ElaboratedNetwork } from './elaborate.js';
import { formatBytes, formatCount } from './format.js';
import { elements } from './shape.js';

export const DTYPES = { float32: 4, float16: 2, bfloat16: 2, float64: 8 } as const;
export type Dtype = keyof typeof DTYPES;

/** Copies of the trainable parameters each optimizer keeps (momentum buffers, squared-gradient averages). */
export const OPTIMIZERS = { sgd: 0, momentum: 1, rmsprop: 1, adagrad: 1, adam: 2, adamw: 2 } as const;
export type Optimizer = keyof typeof OPTIMIZERS;

export interface MemoryOptions {
  batch: number;
  dtype: Dtype;
  optimizer: Optimizer;
  /** GPU memory budget in bytes; none means no check. */
  budget?: number;
}

export const DEFAULT_MEMORY: MemoryOptions = { batch: 1, dtype: 'float32', optimizer: 'sgd' };

/** Element counts that do not depend on batch, dtype or optimizer; computed once per analysis. */
export interface Totals {
  params: number;
  trainableParams: number;
  buffers: number;
  macs: number;
  /** Sum of every layer's output except the input: what training keeps for backward. */
  activationElements: number;
  /** Most elements alive at once when only live tensors are kept (inference). */
  peakLiveElements: number;
  inputElements: number;
  /** False when some layer's shape is unknown: the totals then undercount. */
  complete: boolean;
}

export function totals(net: ElaboratedNetwork): Totals {
  const t: Totals = { params: 0, trainableParams: 0, buffers: 0, macs: 0, activationElements: 0, peakLiveElements: 0, inputElements: 0, complete: net.layers.length > 0 };
  const lastUse = net.layers.map((l) => l.index);
  for (const l of net.layers) for (const i of l.inputs) lastUse[i] = Math.max(lastUse[i], l.index);
  if (net.output !== undefined) lastUse[net.output] = net.layers.length;
  // Elements released once layer i has run: the outputs whose last reader is i.
  const freedAfter = new Float64Array(net.layers.length);
  let live = 0;
  for (const l of net.layers) {
    const f = l.facts;
    if (!f) {
      t.complete = false;
      live -= freedAfter[l.index];
      continue;
    }
    t.trainableParams += f.params;
    t.buffers += f.buffers ?? 0;
    t.macs += f.macs ?? 0;
    const n = elements(f.shape);
    if (l.op.source) {
      t.inputElements += n;
    } else {
      t.activationElements += n;
      live += n;
      t.peakLiveElements = Math.max(t.peakLiveElements, live);
      if (lastUse[l.index] < net.layers.length) freedAfter[lastUse[l.index]] += n;
    }
    live -= freedAfter[l.index];
  }
  t.params = t.trainableParams + t.buffers;
  return t;
}

export interface Memory {
  /** Parameters and buffers. */
  parameters: number;
  gradients: number;
  optimizer: number;
  /** Activations and their gradients kept for backward, for the whole batch. */
  activations: number;
  /** Only the live activations, for the whole batch. */
  activationsInference: number;
  input: number;
  training: number;
  inference: number;
  /** The largest term of the training total. */
  dominant: 'parameters' | 'gradients' | 'optimizer' | 'activations' | 'input';
  /** Largest batch whose training memory fits the budget; 0 when even the fixed part does not fit. */
  maxBatch?: number;
  budget?: number;
}

export function memory(t: Totals, o: MemoryOptions): Memory {
  const b = DTYPES[o.dtype];
  const parameters = t.params * b;
  const gradients = t.trainableParams * b;
  const optimizer = OPTIMIZERS[o.optimizer] * t.trainableParams * b;
  const activationsPerSample = 2 * t.activationElements * b;
  const inputPerSample = t.inputElements * b;
  const activations = activationsPerSample * o.batch;
  const input = inputPerSample * o.batch;
  const terms = { parameters, gradients, optimizer, activations, input };
  const dominant = (Object.keys(terms) as Memory['dominant'][]).reduce((a, k) => (terms[k] > terms[a] ? k : a), 'parameters');
  const m: Memory = {
    parameters,
    gradients,
    optimizer,
    activations,
    activationsInference: t.peakLiveElements * b * o.batch,
    input,
    training: parameters + gradients + optimizer + activations + input,
    inference: parameters + t.peakLiveElements * b * o.batch + input,
    dominant,
  };
  if (o.budget !== undefined) {
    m.budget = o.budget;
    const perSample = activationsPerSample + inputPerSample;
    const room = o.budget - (parameters + gradients + optimizer);
    m.maxBatch = room <= 0 ? 0 : perSample === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(room / perSample);
  }
  return m;
}

/** The warning for a network whose training memory does not fit the budget, or undefined. */
export function budgetDiagnostic(net: ElaboratedNetwork, m: Memory, o: MemoryOptions): Diagnostic | undefined {
  if (m.budget === undefined || m.training <= m.budget || !net.decl.name) return undefined;
  const fit = m.maxBatch === 0
    ? 'the parameters, gradients and optimizer state alone do not fit: try a smaller dtype or optimizer'
    : `the largest batch that fits is ${formatCount(m.maxBatch ?? 0)}`;
  return {
    code: Codes.memoryOverBudget,
    severity: 'warning',
    message: `training ${net.name} at batch ${formatCount(o.batch)} (${o.dtype}, ${o.optimizer}) needs ${formatBytes(m.training)}, over the ${formatBytes(m.budget)} budget; ${m.dominant} dominate (${formatBytes(m[m.dominant])}); ${fit}`,
    span: { start: net.decl.name.start, end: net.decl.name.end },
  };
}
