import { Codes, type Diagnostic } from '../base/diagnostics.js';
import type { LayerFacts, Saved } from '../ops/types.js';
import { formatBytes, formatCount } from '../base/format.js';
import { elements } from '../base/shape.js';
import type { Span } from '../base/text.js';

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
  /**
   * What autograd keeps for backward, per sample: elements of the activations kept (each storage once,
   * the network's input apart), and bytes of the extra state kept (pooling indices, dropout masks).
   */
  savedElements: number;
  savedInputElements: number;
  savedExtraBytes: number;
  /** False when some layer's shape is unknown: the totals then undercount. */
  complete: boolean;
}

/**
 * Accumulates totals while layers are made, when their facts are still in cache; a second pass over a
 * large network's objects would cost more than the analysis itself. Liveness is kept in flat arrays.
 */
export class Ledger {
  private readonly elements: number[] = [];
  private readonly lastUse: number[] = [];
  /** Each layer's output storage: its own, or for an in-place layer or a view, its input's. */
  private readonly storage: number[] = [];
  private readonly storageElements: number[] = [];
  private readonly storageIsInput: boolean[] = [];
  private readonly kept: boolean[] = [];
  /** Whether a layer's output needs a gradient: it has parameters, or an input that needs one. */
  private readonly grad: boolean[] = [];
  private readonly t: Totals = { params: 0, trainableParams: 0, buffers: 0, macs: 0, activationElements: 0, peakLiveElements: 0, inputElements: 0, savedElements: 0, savedInputElements: 0, savedExtraBytes: 0, complete: true };

  add(index: number, facts: LayerFacts | undefined, source: boolean, inputs: readonly number[], saved?: Saved): void {
    for (let k = 0; k < inputs.length; k++) this.lastUse[inputs[k]] = index;
    this.lastUse.push(index);
    if (!facts) {
      this.t.complete = false;
      this.elements.push(0);
      this.storage.push(index);
      this.storageElements.push(0);
      this.storageIsInput.push(false);
      this.grad.push(true);
      return;
    }
    const n = elements(facts.shape);
    const own = !(saved?.inPlace && inputs.length > 0);
    this.storage.push(own ? index : this.storage[inputs[0]]);
    this.storageElements.push(own ? n : 0);
    this.storageIsInput.push(source);
    let grad = facts.params > 0;
    for (let k = 0; k < inputs.length && !grad; k++) grad = this.grad[inputs[k]];
    this.grad.push(grad);
    // Autograd records nothing for a layer that no gradient passes through (before the first weights).
    if (saved && grad) {
      if (saved.keeps === 'input' && inputs.length > 0) this.keep(this.storage[inputs[0]]);
      else if (saved.keeps === 'output') this.keep(this.storage[index]);
      if (saved.copies) this.t.savedElements += saved.copies * n;
      if (saved.extraBytesPerOutput) this.t.savedExtraBytes += saved.extraBytesPerOutput * n;
    }
    this.t.trainableParams += facts.params;
    this.t.buffers += facts.buffers ?? 0;
    this.t.macs += facts.macs ?? 0;
    if (source) {
      this.t.inputElements += n;
      this.elements.push(0);
    } else {
      this.t.activationElements += n;
      this.elements.push(n);
    }
  }

  /** A storage kept for backward, counted once however many layers keep it. */
  private keep(s: number): void {
    if (this.kept[s]) return;
    this.kept[s] = true;
    if (this.storageIsInput[s]) this.t.savedInputElements += this.storageElements[s];
    else this.t.savedElements += this.storageElements[s];
  }

  /** The network was not analysed to its end (stopped at a limit): its totals undercount. */
  incomplete(): void {
    this.t.complete = false;
  }

  finish(output: number | undefined): Totals {
    const count = this.elements.length;
    // Elements released once layer i has run: the outputs whose last reader is i. The output is never released.
    const freedAfter = new Float64Array(count);
    for (let k = 0; k < count; k++) if (k !== output) freedAfter[this.lastUse[k]] += this.elements[k];
    let live = 0;
    for (let k = 0; k < count; k++) {
      live += this.elements[k];
      if (live > this.t.peakLiveElements) this.t.peakLiveElements = live;
      live -= freedAfter[k];
    }
    if (count === 0) this.t.complete = false;
    this.t.params = this.t.trainableParams + this.t.buffers;
    return this.t;
  }
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
  /**
   * What PyTorch's autograd keeps for backward, for the whole batch: the activations its modules save
   * (each storage once, in-place ReLU sharing the tensor it overwrote) and their extra state (pooling
   * indices, dropout masks); the input batch, when a layer keeps it, is in `input`.
   */
  savedForBackward: number;
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
    savedForBackward: (t.savedElements * b + t.savedExtraBytes) * o.batch,
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
/** `net` is the network's name and the span of its name in the text, where the warning goes. */
export function budgetDiagnostic(net: { name: string; span?: Span }, m: Memory, o: MemoryOptions): Diagnostic | undefined {
  if (m.budget === undefined || m.training <= m.budget || !net.span) return undefined;
  const fit = m.maxBatch === 0
    ? 'the parameters, gradients and optimizer state alone do not fit: try a smaller dtype or optimizer'
    : `the largest batch that fits is ${formatCount(m.maxBatch ?? 0)}`;
  return {
    code: Codes.memoryOverBudget,
    severity: 'warning',
    message: `training ${net.name} at batch ${formatCount(o.batch)} (${o.dtype}, ${o.optimizer}) needs ${formatBytes(m.training)}, over the ${formatBytes(m.budget)} budget; ${m.dominant} dominate (${formatBytes(m[m.dominant])}); ${fit}`,
    span: { start: net.span.start, end: net.span.end },
  };
}
