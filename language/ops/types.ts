import type { Code, Related } from '../diagnostics.js';
import type { ReceptiveField, Shape } from '../shape.js';

/** Explicit padding per side, or ONNX-style automatic padding. */
export type Pads =
  | { mode: 'explicit'; top: number; left: number; bottom: number; right: number }
  | { mode: 'same' }
  | { mode: 'valid' };

export type AttrKind =
  | 'int' //      64
  | 'float' //    0.5, 1e-5
  | 'pair' //     3 or 3x3 → [h, w]
  | 'pads' //     1, 1x2, (top, left, bottom, right), same, valid
  | 'shape' //    224x224x3 or 784
  | 'flag' //     nobias
  | 'enum' //     nearest | bilinear
  | 'tensors'; // enc1 enc2 (named tensors)

export interface AttrSpec {
  name: string;
  kind: AttrKind;
  doc: string;
  /** Filled by position, in spec order, when written without its name. */
  positional?: boolean;
  required?: boolean;
  /** Shown in documentation and used when the attribute is absent. */
  default?: AttrValue;
  /** How the default reads when it is computed rather than fixed (`= kernel`). */
  defaultText?: string;
  min?: number;
  max?: number;
  /** `float` only: the maximum is excluded. */
  maxExclusive?: boolean;
  values?: readonly string[];
}

/** A named tensor an op reads besides the current one, with where its name was written. */
export interface TensorArg {
  name: string;
  tensor: Tensor;
  span: { start: number; end: number };
}

export type AttrValue = number | readonly number[] | string | boolean | Pads | readonly TensorArg[];

export interface Tensor {
  shape: Shape;
  rf: ReceptiveField;
  /** Index of the layer that produced it. */
  producer: number;
}

/** Attribute values after checking, with the spec's defaults filled in. */
export class Attrs {
  constructor(private readonly values: Map<string, AttrValue>) {}

  has(name: string): boolean {
    return this.values.has(name);
  }
  int(name: string): number {
    return this.values.get(name) as number;
  }
  float(name: string): number {
    return this.values.get(name) as number;
  }
  pair(name: string): [number, number] {
    const v = this.values.get(name) as readonly number[];
    return [v[0], v[1]];
  }
  optionalPair(name: string): [number, number] | undefined {
    return this.values.has(name) ? this.pair(name) : undefined;
  }
  pads(name: string): Pads {
    return this.values.get(name) as Pads;
  }
  shape(name: string): Shape {
    return this.values.get(name) as Shape;
  }
  flag(name: string): boolean {
    return this.values.get(name) === true;
  }
  word(name: string): string {
    return this.values.get(name) as string;
  }
  tensors(name: string): readonly TensorArg[] {
    return (this.values.get(name) as readonly TensorArg[] | undefined) ?? [];
  }
  entries(): [string, AttrValue][] {
    return [...this.values.entries()];
  }
}

/**
 * A fix an op can compute without knowing the text: new values for attributes, a layer to insert before
 * this one, or a whole new layer line in place of this one.
 */
export type OpFix =
  | { title: string; preferred?: boolean; set: Record<string, string> }
  | { title: string; preferred?: boolean; insertBefore: string }
  | { title: string; preferred?: boolean; replaceWith: string };

export interface Problem {
  code: Code;
  message: string;
  /** The attribute the problem is about; the diagnostic underlines its value. */
  attr?: string;
  /** A named input the problem is about; the diagnostic underlines that name. */
  input?: number;
  fixes?: OpFix[];
  related?: Related[];
}

export interface InferInput {
  /** The current tensor, then the tensors named in `tensors` attributes. */
  inputs: Tensor[];
  attrs: Attrs;
  error(p: Problem): void;
  warning(p: Problem): void;
}

/** What one layer instance computes and costs. */
export interface LayerFacts {
  shape: Shape;
  /** Trainable parameters. */
  params: number;
  /** Non-trainable state saved with the model (BatchNorm running statistics). */
  buffers?: number;
  /** Parameters the layer would have without weight sharing (a locally connected layer). */
  unsharedParams?: number;
  /** Multiply-accumulates of weight multiplications, as torchvision counts them. */
  macs?: number;
  rf: ReceptiveField;
  /** The output-size arithmetic with this layer's numbers, one line per axis that differs. */
  formula?: string[];
}

export interface OpDef {
  name: string;
  aliases?: readonly string[];
  /** The file under `ops/` that defines it: conv, pool, dense, norm, activation, merge, shape. */
  family: string;
  /** One line for completion lists and hovers. */
  summary: string;
  attrs: readonly AttrSpec[];
  /** `input` starts a network; every other op reads the current tensor. */
  source?: boolean;
  /** Undefined means the layer's shape could not be computed; the op has reported why. */
  infer(x: InferInput): LayerFacts | undefined;
}
