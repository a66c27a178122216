import type { Code, Related } from '../base/diagnostics.js';
import type { ReceptiveField, Shape } from '../base/shape.js';

/** Explicit padding per side, or ONNX-style automatic padding. */
export type Pads =
  | { mode: 'explicit'; top: number; left: number; bottom: number; right: number; sides: Sides }
  | { mode: 'same' }
  | { mode: 'valid' };

/** Padding as [top, left, bottom, right], ONNX's order for 2-D `pads`. */
export type Sides = readonly [number, number, number, number];

const padCache = new Map<number, Pads>();

/** Explicit padding; small equal paddings share one object, since most layers pad alike. */
export function explicitPads(top: number, left: number, bottom: number, right: number): Pads {
  const small = Math.max(top, left, bottom, right) < 64 && Number.isInteger(top + left + bottom + right);
  const key = ((top * 64 + left) * 64 + bottom) * 64 + right;
  let p = small ? padCache.get(key) : undefined;
  if (!p) {
    p = { mode: 'explicit', top, left, bottom, right, sides: [top, left, bottom, right] };
    if (small) padCache.set(key, p);
  }
  return p;
}

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

export type Pair = readonly [number, number];

export interface Tensor {
  shape: Shape;
  rf: ReceptiveField;
  /** Index of the layer that produced it. */
  producer: number;
}

const NO_TENSORS: readonly TensorArg[] = [];

/** An op's attribute specs indexed for binding: built once per op and shared by all its layers. */
export class AttrLayout {
  readonly byName = new Map<string, AttrSpec>();
  readonly position = new Map<string, number>();
  readonly defaults: (AttrValue | undefined)[];
  readonly positional: AttrSpec[];
  readonly variadic?: AttrSpec;
  /** Whether any attribute must be written. */
  readonly required: boolean;

  constructor(readonly specs: readonly AttrSpec[]) {
    specs.forEach((spec, i) => {
      this.byName.set(spec.name, spec);
      this.position.set(spec.name, i);
    });
    this.defaults = specs.map((spec) => spec.default);
    this.positional = specs.filter((spec) => spec.positional);
    this.variadic = this.positional.find((spec) => spec.kind === 'tensors');
    this.required = specs.some((spec) => spec.required);
  }

  private bareAttrs?: Attrs;
  /** The attributes of a layer written without values: all defaults, shared by every such layer. */
  get bare(): Attrs {
    return (this.bareAttrs ??= new Attrs(this, []));
  }
}

/**
 * Attribute values after checking, in spec order. Defaults are read from the layout rather than copied into
 * every layer: a network holds many layers, and most attributes keep their defaults.
 */
export class Attrs {
  static readonly EMPTY = new Attrs(new AttrLayout([]), []);

  constructor(
    readonly layout: AttrLayout,
    /** The values written in the text, by spec position. */
    readonly given: readonly (AttrValue | undefined)[],
  ) {}

  private get(name: string): AttrValue | undefined {
    const i = this.layout.position.get(name);
    if (i === undefined) return undefined;
    const v = this.given[i];
    return v !== undefined ? v : this.layout.defaults[i];
  }
  /** Whether the attribute is written in the text (not just defaulted). */
  has(name: string): boolean {
    const i = this.layout.position.get(name);
    return i !== undefined && this.given[i] !== undefined;
  }
  int(name: string): number {
    return this.get(name) as number;
  }
  float(name: string): number {
    return this.get(name) as number;
  }
  /** The stored pair itself, shared: never mutate it. */
  pair(name: string): Pair {
    return this.get(name) as Pair;
  }
  optionalPair(name: string): Pair | undefined {
    return this.get(name) !== undefined ? this.pair(name) : undefined;
  }
  pads(name: string): Pads {
    return this.get(name) as Pads;
  }
  shape(name: string): Shape {
    return this.get(name) as Shape;
  }
  flag(name: string): boolean {
    return this.get(name) === true;
  }
  word(name: string): string {
    return this.get(name) as string;
  }
  tensors(name: string): readonly TensorArg[] {
    return (this.get(name) as readonly TensorArg[] | undefined) ?? NO_TENSORS;
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
  /**
   * The layer upstream that could not be analysed and is assumed to pass its input through, so that the
   * problems after it are still found; -1 (or absent) when this shape rests on no assumption.
   */
  assumedFrom?: number;
}

/** An ONNX attribute value, tagged so that integers and floats stay apart. */
export type OnnxAttr = { i: number } | { f: number } | { ints: readonly number[] } | { s: string };

/** One ONNX node as plain data; runtime/ turns it into protobuf. */
export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, OnnxAttr>;
}

/** How a weight starts: He (ReLU nets) or Xavier normal with the given fan-in, zeros, ones, one value (`fill`: PReLU's 0.25), or constants. */
export type WeightInit = { he: number } | { xavier: [number, number] } | 'zeros' | 'ones' | { values: readonly number[] } | { int64: readonly number[] } | { fill: number };

/**
 * A constant the lowering makes itself (clip bounds, resize scales, pads, target shapes), fixed float32
 * `values` or `int64` ones: not a weight, never in a weights file.
 */
export function isConstant(init: WeightInit): init is { values: readonly number[] } | { int64: readonly number[] } {
  return typeof init === 'object' && ('values' in init || 'int64' in init);
}

/** A layer that ONNX cannot express; the message says why and what would. */
export class LoweringError extends Error {}

export interface LowerInput {
  /** NCHW tensor names of the inputs, the current tensor first. */
  inputs: string[];
  /** The name the layer's output must have. */
  output: string;
  /** Input shapes as the analysis has them (H×W×C or features). */
  shapes: Shape[];
  /** The output shape the analysis computed. */
  shape: Shape;
  attrs: Attrs;
  /** Declares a weight (an initializer) of this layer and returns its name, `<layer>.<name>`. */
  weight(name: string, dims: number[], init: WeightInit): string;
  /** A name for an intermediate tensor inside this layer's nodes. */
  temp(suffix: string): string;
  /** The ONNX opset being written: an op newer than it is lowered to older ops that compute the same. */
  opset: number;
}

/** What an op's PyTorch form is given: the layer as the analysis has it. */
export interface TorchInput {
  /** Input shapes as the analysis has them (H×W×C or features), the current tensor first. */
  shapes: Shape[];
  /** The output shape the analysis computed. */
  shape: Shape;
  attrs: Attrs;
  /** Whether the layer may write over its input (`inplace=True`): nothing else reads that tensor. */
  inPlace: boolean;
}

/**
 * A layer as a PyTorch user writes it (runtime's `.py` export, `views/pytorch.ts`):
 * - `module`: the module built in `__init__` as the layer's attribute, named as the layer (`conv_3`), so
 *   that `state_dict()` keys are its weight names (`conv_3.weight`): `nn.Conv2d(3, 64, 3, padding=1)`.
 *   Its parameters and buffers must be exactly the weights `lower` declares (constants aside), same
 *   names, same shapes;
 * - `forward`: the expression computing the output from the input expressions (the current tensor first)
 *   and `m`, the module's reference (`self.conv_3`); absent: `m(inputs[0])`. An op without a module is
 *   only this expression (`x + y`);
 * - `helpers`: classes from `ops/torch.ts` the module uses, written once at the top of the file.
 * It throws a `LoweringError` for a layer PyTorch cannot express as written; the export says where.
 */
export interface TorchForm {
  module?: string;
  /** Its output may be its input's storage (a view, or the identity in eval): nothing after it writes in place. */
  view?: boolean;
  forward?(inputs: string[], m: string): string;
  helpers?: readonly TorchHelper[];
}

/** A class (or import) a PyTorch form needs beside `torch` and `nn`, with its Python source. */
export interface TorchHelper {
  name: string;
  source: string;
}

/** See `OpDef.saved`. */
export interface Saved {
  /** `input`: the current tensor; `inputs`: every input (a product's). */
  keeps?: 'input' | 'inputs' | 'output';
  /** New tensors of its output's size it keeps besides (a copy of its input, a mask, intermediates). */
  copies?: number;
  extraBytesPerOutput?: number;
  inPlace?: boolean;
  /** Its backward hands its inputs views of its output's gradient, not new tensors (add, concat, flatten). */
  gradView?: boolean;
  /** Mixed precision casts its weights to 16 bits, and the cast copy is kept for backward (conv, dense). */
  castsWeights?: boolean;
  /** What it keeps and why, as a hover says it: `its input, which its weight gradient is computed from`. */
  why?: string;
  /**
   * What its backward allocates while it runs and frees before it returns, beyond the gradients it
   * makes: elements per sample (in the activations' dtype) and parameters' worth (in theirs).
   */
  scratch?(x: { input: Shape; output: Shape; params: number }): { elements: number; params: number };
}

/**
 * What ONNX Runtime's CPU provider makes of an op once it has optimised the graph (level `all`), for the
 * inference memory rule (`analysis/inference.ts`):
 * - `conv`: runs in the NCHWc layout (channels in blocks), folds a batchnorm after it, and takes in an add
 *   of its output and an activation after that; its weights are reordered, and the copies stay resident;
 * - `gemm`: prepacks its weights and takes in an activation after it (dense);
 * - `packed`: prepacks its weights, runs in plain NCHW (transposed conv);
 * - `batchnorm`: folded into a conv before it, else a node of its own;
 * - `activation`: taken into the conv or dense before it, else elementwise;
 * - `add`: taken into a conv, else elementwise; `elementwise` (mul, scale): in its inputs' layout, writing
 *   over an input nothing reads later;
 * - `pool`, `concat`: run blocked when every input's channels are whole blocks;
 * - `resize`: keeps its input's layout;
 * - `dropout`: the identity, in its input's layout; `view`: a plain NCHW view (flatten).
 * Absent: a node of its own in plain NCHW.
 */
export type OrtRole = 'conv' | 'gemm' | 'packed' | 'batchnorm' | 'activation' | 'add' | 'elementwise' | 'pool' | 'concat' | 'resize' | 'dropout' | 'view';

export interface OrtPlan {
  /** Absent: a node of its own in plain NCHW. */
  role?: OrtRole;
  /** A conv's groups: a grouped conv runs NCHWc only when its input and output channels are whole blocks. */
  groups?(attrs: Attrs): number;
  /** Bytes it allocates while it runs and frees before the next node, for a batch (a column buffer). */
  scratch?(x: { input: Shape; output: Shape; attrs: Attrs; batch: number }): number;
}

export interface OpDef {
  name: string;
  aliases?: readonly string[];
  /** The file under `ops/` that defines it: conv, pool, dense, norm, activation, merge, shape. */
  family: string;
  /** One line for completion lists and hovers. */
  summary: string;
  attrs: readonly AttrSpec[];
  /**
   * A complete statement with typical values (`conv 64 3x3 pad 1`), for an op with required attributes,
   * which have no default to show; others read as their name and their positional defaults (`dropout 0.5`).
   */
  example?: string;
  /** `input` starts a network; every other op reads the current tensor. */
  source?: boolean;
  /** Undefined means the layer's shape could not be computed; the op has reported why. */
  infer(x: InferInput): LayerFacts | undefined;
  /**
   * The output-size arithmetic with this layer's numbers (`(227 − 11 + 2·0) / 4 + 1 = 55`), one line, or one
   * per axis when they differ. Asked for on demand, for layers whose `infer` succeeded.
   */
  formula?(x: { inputs: Tensor[]; attrs: Attrs }): string[];
  /** The ONNX nodes computing this layer (NCHW), for a layer whose analysis succeeded. */
  lower?(x: LowerInput): OnnxNode[];
  /** The layer as PyTorch modules and expressions; see `TorchForm`. Every op of the language has one. */
  torch?(x: TorchInput): TorchForm;
  /**
   * What PyTorch's autograd keeps of this layer for backward, as torchvision's modules run it (ReLU in
   * place): its input or its output; extra bytes per output element (maxpool's int64 indices, dropout's
   * 1-byte mask); and whether its output is its input's own storage (in-place ReLU, flatten's view).
   * Absent: it keeps nothing (add, concat, average pooling, upsampling).
   */
  saved?: Saved;
  /** How ONNX Runtime's CPU provider runs it; see `OrtPlan`. */
  ort?: OrtPlan;
}

/** How an attribute's default reads in messages, hovers and completion: `1`, `3x3`, `same`, `required`. */
export function defaultText(spec: AttrSpec): string {
  if (spec.defaultText) return spec.defaultText;
  const d = spec.default;
  if (d === undefined) return spec.required ? 'required' : '—';
  return valueText(d);
}

/** An attribute's value as a statement would write it: `64`, `3` for 3x3, `2x1`, `same`, `(1, 0, 1, 0)`. */
export function valueText(d: AttrValue): string {
  if (Array.isArray(d)) return d.length === 2 && d[0] === d[1] ? `${d[0]}` : d.join('x');
  if (typeof d === 'object' && d !== null && 'mode' in d) return d.mode === 'explicit' ? formatSides(d.sides) : d.mode;
  return String(d);
}

function formatSides([t, l, b, r]: Sides): string {
  if (t === l && l === b && b === r) return `${t}`;
  return t === b && l === r ? `${t}x${l}` : `(${t}, ${l}, ${b}, ${r})`;
}
