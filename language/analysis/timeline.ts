import type { Column } from './column.js';

/**
 * One training step as PyTorch runs it, moment by moment: moments 0 … n−1 are the forward pass (layer k),
 * n … 2n−1 the backward walk (layer 2n−1−k, from the last layer back), 2n the optimizer step. What is alive
 * at a moment falls into eight series; activation figures are per sample, in elements.
 */
export const SERIES = [
  /** Activations autograd keeps for backward (each storage once), and the copies and masks layers keep. */
  'kept',
  /** Outputs alive only because a later layer still reads them (or the caller holds the output). */
  'live',
  /** Gradients of activations, from the layer that makes one to the layer that uses it up. */
  'grads',
  /** Kept state whose size does not follow the dtype, in bytes per sample: max pooling's int64 indices. */
  'keptBytes',
  /** Elements of parameter gradients made so far. */
  'paramGrads',
  /** Elements of the 16-bit weight copies mixed precision makes and keeps for backward. */
  'weightCopies',
  /** What the running layer's backward allocates and frees again: elements per sample, and parameters' worth. */
  'scratch',
  'scratchParams',
] as const;
export type Series = (typeof SERIES)[number];
/** A figure per series: what is alive at one moment, or the weight each series is given in a sum. */
export type Moment = Record<Series, number>;

const KEPT = 0, LIVE = 1, GRADS = 2, KEPT_BYTES = 3, PARAM_GRADS = 4, WEIGHT_COPIES = 5, SCRATCH = 6, SCRATCH_PARAMS = 7;
const NONE = -1;

/** What the ledger knows of each layer that decides how long its tensors live (ledger.ts says what each holds). */
export interface Lifetimes {
  storage: Column;
  storageElements: Column;
  storageIsInput: Column;
  lastUse: Column;
  segment: Column;
  segmentEnd: readonly number[];
  extrasKept: Column;
  extraElements: Column;
  extraBytes: Column;
  castWeights: Column;
  params: Column;
  scratch: Column;
  scratchParams: Column;
  grad: Column;
  elements: Column;
  consumers: Column;
  viewConsumer: Column;
  firstKeeper: Column;
  firstRecomputedKeeper: Column;
  lastRecomputedSegment: Column;
}

type Sink = (series: number, from: number, to: number, v: number) => void;

/**
 * The step's timeline, asked for what the memory figures need: a weighted sum of the series at every moment
 * (the total to find the peak in), and the series themselves at one moment (the terms at the peak). It keeps
 * spans, not one array per series: eight arrays of 2n moments were sixteen numbers per layer, allocated at
 * once outside the heap, which made V8 mark a million-layer heap once more at the end of each analysis.
 */
export class Timeline {
  readonly moments: number;
  private readonly n: number;
  /** Per storage, the last moment a reader needs it (the step for the network's output). */
  private readonly readUntil: Float64Array;
  /** Per layer, the layer whose gradient buffer its gradient is a view of, and where that buffer's life ends. */
  private readonly root: Int32Array;
  private readonly gradEnd: Float64Array;

  /** `output`: the network's output layer, which the caller holds until the step. */
  constructor(
    private readonly l: Lifetimes,
    private readonly output: number | undefined,
  ) {
    const n = (this.n = l.elements.length);
    this.moments = 2 * n + 1;
    this.readUntil = new Float64Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const s = l.storage.get(i);
      this.readUntil[s] = Math.max(this.readUntil[s], i === output ? 2 * n : l.lastUse.get(i));
    }
    // An activation's gradient is made when the backward walk reaches its last reader, and used up by its
    // producer. A reader that hands back a view of its own gradient (add, concat, flatten) makes none: its
    // gradient then lives until the view's producer has run.
    this.root = new Int32Array(n);
    this.gradEnd = new Float64Array(n);
    for (let t = n - 1; t >= 0; t--) {
      this.root[t] = t;
      this.gradEnd[t] = this.back(t);
      if (!this.carries(t)) continue;
      const v = l.viewConsumer.get(t);
      if (l.consumers.get(t) === 1 && v !== NONE && l.grad.get(v) === 1) {
        const r = (this.root[t] = this.root[v]);
        this.gradEnd[r] = Math.max(this.gradEnd[r], this.back(t));
      }
    }
  }

  /** Σ weights[s] × series s, at every moment. */
  sum(weights: Moment): Float64Array {
    const w = SERIES.map((s) => weights[s]);
    const d = new Float64Array(this.moments + 1);
    this.spans((s, from, to, v) => {
      const x = w[s] * v;
      if (x === 0) return;
      d[from] += x;
      d[to + 1] -= x;
    });
    let acc = 0;
    for (let m = 0; m < this.moments; m++) d[m] = acc += d[m];
    return d.subarray(0, this.moments);
  }

  /** Each series at moment `m`. */
  at(m: number): Moment {
    const v = new Float64Array(SERIES.length);
    this.spans((s, from, to, x) => {
      if (from <= m && m <= to) v[s] += x;
    });
    return Object.fromEntries(SERIES.map((s, i) => [s, v[i]])) as Moment;
  }

  private back(i: number): number {
    return 2 * this.n - 1 - i;
  }

  private carries(t: number): boolean {
    const l = this.l;
    return l.grad.get(t) === 1 && l.storageIsInput.get(t) === 0 && l.elements.get(t) !== 0 && (l.consumers.get(t) !== 0 || t === this.output);
  }

  /** Every span of every series: `v` alive from moment `from` to moment `to`, both included. */
  private spans(emit: Sink): void {
    const { l, n, readUntil } = this;
    const step = 2 * n;
    const span = (s: number, from: number, to: number, v: number) => {
      if (v !== 0 && to >= from) emit(s, from, to, v);
    };
    // Each storage lives until its last reader has run, or until the backward walk passes its first keeper.
    for (let s = 0; s < n; s++) {
      const size = l.storageElements.get(s);
      if (l.storage.get(s) !== s || size === 0 || l.storageIsInput.get(s) === 1) continue;
      const keeper = l.firstKeeper.get(s);
      const again = l.firstRecomputedKeeper.get(s);
      if (keeper !== NONE) {
        span(KEPT, s, Math.max(readUntil[s], this.back(again === NONE ? keeper : Math.min(keeper, again))), size);
        continue;
      }
      span(LIVE, s, readUntil[s], size);
      if (again !== NONE) span(KEPT, this.back(l.segmentEnd[l.lastRecomputedSegment.get(s)]), this.back(again), size);
    }
    for (let i = 0; i < n; i++) {
      const seg = l.segment.get(i);
      const back = this.back(i);
      const from = seg === NONE ? i : this.back(l.segmentEnd[seg]);
      const kept = l.extrasKept.get(i) === 1;
      const until = kept ? back : i;
      span(KEPT, kept ? from : i, until, l.extraElements.get(i));
      span(KEPT_BYTES, kept ? from : i, until, l.extraBytes.get(i));
      // Mixed precision's weight casts are cached for the whole forward pass, then kept until the layer's backward.
      const cast = l.castWeights.get(i);
      if (seg === NONE) span(WEIGHT_COPIES, i, back, cast);
      else {
        span(WEIGHT_COPIES, i, n - 1, cast);
        span(WEIGHT_COPIES, from, back, cast);
      }
      span(PARAM_GRADS, back, step, l.params.get(i));
      span(SCRATCH, back, back, l.scratch.get(i));
      span(SCRATCH_PARAMS, back, back, l.scratchParams.get(i));
    }
    for (let t = 0; t < n; t++) {
      if (this.root[t] !== t || !this.carries(t)) continue;
      span(GRADS, this.back(l.lastUse.get(t)), this.gradEnd[t], l.elements.get(t));
    }
  }
}
