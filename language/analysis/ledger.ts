import type { LayerFacts, Saved } from '../ops/types.js';
import { elements, type Shape } from '../base/shape.js';
import { Column } from './column.js';
import { Timeline, type Lifetimes } from './timeline.js';

/** Element counts that do not depend on batch, dtype or optimizer; computed once per analysis. */
export interface Totals {
  params: number;
  trainableParams: number;
  buffers: number;
  macs: number;
  /** Sum of every layer's output except the input: what the notes' rule keeps for backward. */
  activationElements: number;
  inputElements: number;
  /**
   * What autograd keeps for backward when the forward pass ends, per sample: elements of the activations
   * kept (each storage once, the network's input apart), and bytes of the extra state kept (pooling indices).
   */
  savedElements: number;
  savedInputElements: number;
  savedExtraBytes: number;
  /** The largest single parameter tensor (a layer's weight): what an optimizer's per-tensor temporaries scale with. */
  largestParamTensor: number;
  /** What each layer keeps for backward, per sample: elements (first keeper of a storage counts it) and bytes. */
  keptElements: Float64Array;
  keptExtraBytes: Float64Array;
  /** For each layer, the layer whose output storage it keeps for backward, or −1. */
  keptStorage: Int32Array;
  /** Layers recomputed in backward (inside `checkpoint { … }`). */
  recomputed: Uint8Array;
  /** False when some layer's shape is unknown: the totals then undercount. */
  complete: boolean;
}

const NONE = -1;

/**
 * Accumulates totals while layers are made, when their facts are still in cache; a second pass over a
 * large network's objects would cost more than the analysis itself. Per-layer facts are kept in columns of
 * numbers (column.ts); those that decide how long tensors live are read by the step's Timeline.
 */
export class Ledger implements Lifetimes {
  readonly elements = new Column();
  private readonly shapes: Shape[] = [];
  readonly lastUse = new Column();
  /** Each layer's output storage: its own, or for an in-place layer or a view, its input's. */
  readonly storage = new Column();
  readonly storageElements = new Column();
  /** 1 where the storage is the network's input. */
  readonly storageIsInput = new Column();
  /** 1 where a layer's output needs a gradient: it has parameters, or an input that needs one. */
  readonly grad = new Column(1);
  readonly params = new Column();
  readonly castWeights = new Column();
  readonly extraElements = new Column();
  readonly extraBytes = new Column();
  /** 1 where a layer's extras (pooling indices, masks) are kept for backward. */
  readonly extrasKept = new Column(1);
  readonly scratch = new Column();
  readonly scratchParams = new Column();
  readonly consumers = new Column();
  /** The single layer that reads this output and hands back a view of its own gradient, or −1. */
  readonly viewConsumer = new Column(NONE);
  /** Per layer, its checkpoint segment or −1. */
  readonly segment = new Column(NONE);
  private readonly segmentStart: number[] = [];
  readonly segmentEnd: number[] = [];
  /** Per storage (a layer's index): the first layer keeping it in the forward pass, the first and last recomputed layers keeping it; −1 for none. */
  readonly firstKeeper = new Column(NONE);
  readonly firstRecomputedKeeper = new Column(NONE);
  readonly lastRecomputedSegment = new Column(NONE);
  private readonly keptElements = new Column();
  private readonly keptExtraBytes = new Column();
  private readonly keptStorage = new Column(NONE);
  private largest = 0;
  private readonly t = { params: 0, trainableParams: 0, buffers: 0, macs: 0, activationElements: 0, inputElements: 0, savedElements: 0, savedInputElements: 0, savedExtraBytes: 0, complete: true };

  /** Starts a `checkpoint { … }` region: its layers keep nothing in the forward pass and run again in backward. */
  openSegment(): number {
    this.segmentStart.push(this.elements.length);
    this.segmentEnd.push(this.elements.length - 1);
    return this.segmentStart.length - 1;
  }

  add(index: number, facts: LayerFacts | undefined, source: boolean, inputs: readonly number[], saved: Saved | undefined, segment = NONE): void {
    for (let k = 0; k < inputs.length; k++) {
      const i = inputs[k];
      this.lastUse.set(i, index);
      this.consumers.add(i, 1);
      this.viewConsumer.set(i, this.consumers.get(i) === 1 && saved?.gradView ? index : NONE);
    }
    this.lastUse.push(index);
    this.consumers.push(0);
    this.viewConsumer.push(NONE);
    this.segment.push(segment);
    if (segment !== NONE) this.segmentEnd[segment] = index;
    this.keptElements.push(0);
    this.keptExtraBytes.push(0);
    this.keptStorage.push(NONE);
    this.firstKeeper.push(NONE);
    this.firstRecomputedKeeper.push(NONE);
    this.lastRecomputedSegment.push(NONE);
    if (!facts) {
      this.t.complete = false;
      this.shapes.push([]);
      this.elements.push(0);
      this.storage.push(index);
      this.storageElements.push(0);
      this.storageIsInput.push(0);
      this.grad.push(1);
      this.params.push(0);
      this.castWeights.push(0);
      this.extraElements.push(0);
      this.extraBytes.push(0);
      this.extrasKept.push(0);
      this.scratch.push(0);
      this.scratchParams.push(0);
      return;
    }
    const n = elements(facts.shape);
    this.shapes.push(facts.shape);
    const own = !(saved?.inPlace && inputs.length > 0);
    this.storage.push(own ? index : this.storage.get(inputs[0]));
    this.storageElements.push(own ? n : 0);
    this.storageIsInput.push(source ? 1 : 0);
    let grad = facts.params > 0;
    for (let k = 0; k < inputs.length && !grad; k++) grad = this.grad.get(inputs[k]) === 1;
    this.grad.push(grad ? 1 : 0);
    this.params.push(facts.params);
    this.castWeights.push(saved?.castsWeights ? facts.params : 0);
    const weight = facts.params - (facts.shape.length > 0 ? facts.shape[facts.shape.length - 1] : 0);
    if (facts.params > 0) this.largest = Math.max(this.largest, weight > 0 ? weight : facts.params);
    // Autograd records nothing for a layer that no gradient passes through (before the first weights).
    const keeps = saved !== undefined && grad;
    // The forward pass makes the extras (pooling indices, masks) either way; only a gradient keeps them.
    const extraN = (saved?.copies ?? 0) * n;
    const extraB = (saved?.extraBytesPerOutput ?? 0) * n;
    this.extraElements.push(extraN);
    this.extraBytes.push(extraB);
    this.extrasKept.push(keeps ? 1 : 0);
    const scratch = keeps && saved.scratch && inputs.length > 0 ? saved.scratch({ input: this.shapes[inputs[0]], output: facts.shape, params: facts.params }) : undefined;
    this.scratch.push(scratch?.elements ?? 0);
    this.scratchParams.push(scratch?.params ?? 0);
    if (keeps) {
      const recomputed = segment !== NONE;
      if (saved.keeps === 'input' && inputs.length > 0) this.keep(index, this.storage.get(inputs[0]), index, recomputed);
      else if (saved.keeps === 'inputs') for (let k = 0; k < inputs.length; k++) this.keep(index, this.storage.get(inputs[k]), index, recomputed);
      else if (saved.keeps === 'output') this.keep(index, this.storage.get(index), index, recomputed);
      this.keptElements.add(index, extraN);
      this.keptExtraBytes.add(index, extraB);
      if (!recomputed) {
        this.t.savedElements += extraN;
        this.t.savedExtraBytes += extraB;
      }
    }
    // A checkpointed region keeps its inputs from outside it: backward runs the region again from them.
    if (segment !== NONE) {
      for (let k = 0; k < inputs.length; k++) if (this.segment.get(inputs[k]) !== segment) this.keep(index, this.storage.get(inputs[k]), this.segmentStart[segment], false);
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

  /**
   * Storage `s` kept for backward by layer `by` until the walk passes layer `until`. Counted once however
   * many keep it, at its first keeper in the forward pass; a recomputed layer keeps it only in backward.
   */
  private keep(by: number, s: number, until: number, recomputed: boolean): void {
    if (this.keptStorage.get(by) === NONE) this.keptStorage.set(by, s);
    const first = recomputed ? this.firstRecomputedKeeper : this.firstKeeper;
    const earlier = first.get(s);
    if (earlier === NONE || until < earlier) first.set(s, until);
    if (recomputed) {
      this.lastRecomputedSegment.set(s, this.segment.get(by));
      return;
    }
    if (earlier !== NONE) return;
    this.keptElements.add(by, this.storageElements.get(s));
    if (this.storageIsInput.get(s) === 1) this.t.savedInputElements += this.storageElements.get(s);
    else this.t.savedElements += this.storageElements.get(s);
  }

  /** The network was not analysed to its end (stopped at a limit): its totals undercount. */
  incomplete(): void {
    this.t.complete = false;
  }

  /** The totals, kept with the analysis, and the timeline, read for the memory figures and then let go. */
  finish(output: number | undefined): { totals: Totals; timeline: Timeline } {
    const count = this.elements.length;
    if (count === 0) this.t.complete = false;
    // A segment stays marked when a later error ended the recomputed region's layers: keep only real ones.
    const recomputed = new Uint8Array(count);
    for (let k = 0; k < count; k++) recomputed[k] = this.segment.get(k) === NONE ? 0 : 1;
    const totals: Totals = {
      ...this.t,
      params: this.t.trainableParams + this.t.buffers,
      largestParamTensor: this.largest,
      keptElements: this.keptElements.to(Float64Array),
      keptExtraBytes: this.keptExtraBytes.to(Float64Array),
      keptStorage: this.keptStorage.to(Int32Array),
      recomputed,
    };
    return { totals, timeline: new Timeline(this, output) };
  }
}

/** Which layer runs at a moment of the timeline, and in which phase. */
export function momentOf(moment: number, layers: number): { phase: 'forward' | 'backward' | 'step'; layer?: number } {
  if (moment >= 2 * layers) return { phase: 'step' };
  if (moment < layers) return { phase: 'forward', layer: moment };
  return { phase: 'backward', layer: 2 * layers - 1 - moment };
}
