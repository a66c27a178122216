import type { Span } from '../base/text.js';
import { formatShape, PIXEL } from '../base/shape.js';
import type { Attrs, LayerFacts, OpDef, Tensor } from '../ops/types.js';
import type { Arg, BlockDecl, Expr, NetworkDecl, Stmt } from '../syntax/syntax.js';
import type { Totals } from './memory.js';
import type { Value } from './values.js';

/** What elaboration makes: layers, the networks they form, and the scope a statement is expanded in. */

/** A block call on the way from a network to a layer. */
export interface CallFrame {
  block: BlockDecl;
  /** The calling statement. */
  call: Stmt;
  /** The values its parameters have in this call (filled as the call is bound). */
  params: ReadonlyMap<string, Value>;
  /** The expression written for each parameter, by position; undefined where its default applies. */
  args: readonly (Expr | undefined)[];
}

/** One executed layer: a `repeat` of 3 gives 3 layers from one statement. */
export class Layer {
  constructor(
    readonly index: number,
    readonly op: OpDef,
    /** The block-call path it sits in, `Bottleneck_2.`; shared by the layers of one call. */
    readonly prefix: string,
    /** Which of its op's layers in that path it is, from 1. */
    private readonly ordinal: number,
    /** The statement that made it; for a residual's add, the `residual` statement. */
    readonly stmt: Stmt,
    readonly calls: readonly CallFrame[],
    /** The layer whose output it reads first (the current tensor), or -1 for an input layer. */
    private readonly first: number,
    /** The layers it reads after the first (an add's or concat's other tensors); most layers read one. */
    private readonly rest: readonly number[] | undefined,
    readonly attrs: Attrs,
    /** Undefined when the shape could not be computed (an error here or upstream). */
    readonly facts: LayerFacts | undefined,
  ) {}

  /**
   * Layers whose outputs this one reads, the current tensor first: a new array each time. The analysis reads
   * `inputCount` and `input(k)` instead, which make nothing; an array per layer was an eighth of what a large
   * analysis keeps.
   */
  get inputs(): number[] {
    if (this.first < 0) return [];
    return this.rest === undefined ? [this.first] : [this.first, ...this.rest];
  }

  get inputCount(): number {
    return this.first < 0 ? 0 : this.rest === undefined ? 1 : 1 + this.rest.length;
  }

  /** The k-th layer it reads, from 0; undefined past the last. */
  input(k: number): number | undefined {
    return k === 0 ? (this.first < 0 ? undefined : this.first) : this.rest?.[k - 1];
  }

  /** Unique within the network: `conv_3`, `Bottleneck_2.conv_1`. Built when asked: most never are. */
  get name(): string {
    return `${this.prefix}${this.op.name}_${this.ordinal}`;
  }
}

export interface NamedTensor {
  layer: number;
  /** Where the name was given (`as NAME`). */
  span: Span;
}

export interface ElaboratedNetwork {
  decl: NetworkDecl;
  name: string;
  layers: Layer[];
  /** The layer whose output is the network's output. */
  output?: number;
  /** Names given with `as` at the network's own level. */
  tensors: Map<string, NamedTensor>;
  totals: Totals;
}

/** Where a statement is expanded: the parameter values and named tensors it sees, and its call path. */
export interface Scope {
  params: Map<string, Value>;
  tensors: Map<string, NamedTensor>;
  counters: Map<string, number>;
  prefix: string;
  calls: readonly CallFrame[];
}

/** From the head to the last value: the part of a statement a layer diagnostic underlines. */
export function lineSpan(stmt: Stmt): Span {
  const last: Arg | undefined = stmt.args[stmt.args.length - 1];
  return { start: stmt.head.start, end: last ? last.end : stmt.head.end };
}

export function signature(block: BlockDecl): string {
  const params = block.params.map((p) => p.name.name + (p.default ? ' = …' : '')).join(', ');
  return `${block.name?.name ?? 'block'}(${params})`;
}

/** The output-size arithmetic of a layer, for hovers and reports; empty for ops without one. */
export function layerFormula(layers: readonly Layer[], layer: Layer): string[] {
  if (!layer.facts || !layer.op.formula) return [];
  const inputs: Tensor[] = layer.inputs.map((i) => ({ shape: layers[i].facts?.shape ?? [], rf: layers[i].facts?.rf ?? PIXEL, producer: i }));
  return layer.op.formula({ inputs, attrs: layer.attrs });
}

/** Whether facts rest on a broken layer upstream, taken to pass its input through. */
export function isAssumed(f: LayerFacts): boolean {
  return f.assumedFrom !== undefined && f.assumedFrom >= 0;
}

/** A shape as people read it: `≈` before one that rests on such an assumption. */
export function shapeText(f: LayerFacts, gap = ''): string {
  return `${isAssumed(f) ? `≈${gap}` : ''}${formatShape(f.shape)}`;
}
