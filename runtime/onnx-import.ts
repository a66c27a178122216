import { analyze, isConstant } from '../language/index.js';
import { declaredWeights, pickNetwork } from './export.js';
import { ModelProto } from './onnx/proto.js';

/**
 * An ONNX model (NCHW, as torch.onnx.export writes it) → `.stride` text and its weights under Stride's names.
 *
 * 1. Every node becomes a layer (`Conv` → `conv`, `BatchNormalization` → `batchnorm`, `Gemm` → `dense` …),
 *    is dropped as the identity (`Dropout`, `Identity`, a `Pad` of nothing, a `Concat` of one tensor), or is a
 *    problem naming the node. Shapes computed in the graph (`Shape` → `Gather` / `Slice` → `Unsqueeze` →
 *    `Concat`) are followed as values, and each tensor's size where it is known, so that a `Reshape` to [N, -1]
 *    is `flatten`, a `Resize` to whole multiples of its input's size is `upsample`, and `auto_pad` SAME is
 *    `pad same` or explicit pads.
 * 2. The layers are laid out as structure: from a tensor read by several layers, the first tensor every path
 *    goes through is the merge (`Add` → `residual { … } shortcut { … }`, `Concat` → `concat { branch … }`,
 *    `Mul` of the tensor itself → `as t … mul t`); a graph that does not decompose so is written with
 *    `as NAME` / `from NAME` / `add NAME` / `concat NAME`.
 * 3. Units alike up to their channel counts and strides become one `block` with parameters, called once each
 *    (consecutive equal calls as `repeat N`): residual units (`Res`, `ResDown`), then dense layers (`Dense`), then
 *    runs of layers repeated anywhere in the structure (`Unit`, `Down`: MobileNetV2's units without a skip, a
 *    U-Net's double conv at every level).
 * 4. The text is analysed and its weights listed as `stride export` names them (runtime/export.ts); the
 *    model's tensors are matched to them in order, shape by shape.
 */

export class ImportError extends Error {
  constructor(
    message: string,
    /** One line per ONNX node that cannot be expressed. */
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

export interface ImportedWeight {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface ImportResult {
  text: string;
  network: string;
  weights: ImportedWeight[];
  /** ONNX nodes read, layers written, block declarations and calls. */
  nodes: number;
  layers: number;
  blocks: number;
  calls: number;
}

interface Const {
  dims: number[];
  floats?: Float32Array;
  ints?: number[];
}

interface Weight {
  dims: number[];
  data: Float32Array;
}

/**
 * An element of a shape computed in the graph (Shape → Gather / Slice → Unsqueeze → Concat): a number, or
 * dimension `dim` of tensor `of`, as torch.onnx.export writes `x.view(x.size(0), -1)` and `interpolate(size=…)`.
 */
type Sym = number | { of: string; dim: number };

/** A piece of a layer's text: words, or a number that may become a block parameter (a channel count, a stride). */
type Part = string | { v: number; stride?: true };

interface Layer {
  node: string;
  parts: Part[];
  /** The data tensors it reads (merges: several), after dropped nodes are seen through. */
  inputs: string[];
  output: string;
  weights: Weight[];
  merge?: 'add' | 'mul' | 'concat';
}

type Stmt =
  | { kind: 'layer'; layer: Layer }
  | { kind: 'residual'; body: Stmt[]; shortcut: Stmt[] }
  | { kind: 'concat'; branches: Stmt[][] }
  | { kind: 'gate'; name: string; body: Stmt[]; layer: Layer }
  | { kind: 'call'; block: Block; args: number[]; stride?: number; unit: Stmt[]; count: number }
  | { kind: 'name'; name: string }
  | { kind: 'from'; name: string };

interface Block {
  name: string;
  params: string[];
  template: Stmt[];
  /** Per hole of the template, in order: how it reads (`c`, `c*4`, `64`; a stride ` stride 2`, ` stride stride`, nothing for 1). */
  holes: string[];
}

interface OnnxAttr {
  name?: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
  type?: number;
}
interface OnnxTensor {
  name?: string;
  dims?: number[];
  data_type?: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
}
interface OnnxNode {
  name?: string;
  op_type?: string;
  input?: string[];
  output?: string[];
  attribute?: OnnxAttr[];
  domain?: string;
}
interface OnnxValue {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: { dim_value?: number; dim_param?: string }[] } } };
}
interface OnnxModel {
  graph?: { node?: OnnxNode[]; name?: string; initializer?: OnnxTensor[]; input?: OnnxValue[]; output?: OnnxValue[] };
  opset_import?: { domain?: string; version?: number }[];
}

/** Reads the model; a file that is not one (truncated, another format) is an ImportError with one message. */
function decodeModel(bytes: Uint8Array, file: string): OnnxModel {
  let model: OnnxModel;
  try {
    model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as OnnxModel;
  } catch (e) {
    throw new ImportError(`${file}: not an ONNX model, or a truncated one (${(e as Error).message}); export it again, e.g. with torch.onnx.export`);
  }
  if (!model.graph || !(model.graph.node?.length) || !(model.graph.input?.length) || !(model.graph.output?.length)) {
    throw new ImportError(`${file}: not an ONNX model, or a truncated one: it has no graph with nodes, an input and an output; export it again, e.g. with torch.onnx.export`);
  }
  return model;
}

function tensorOf(t: OnnxTensor): Const | string {
  const dims = (t.dims ?? []).map(Number);
  const count = dims.reduce((a, d) => a * d, 1);
  const raw = t.raw_data && t.raw_data.length > 0 ? new Uint8Array(t.raw_data) : undefined;
  switch (t.data_type) {
    case 1: {
      const floats = raw ? new Float32Array(raw.buffer, 0, Math.floor(raw.length / 4)) : Float32Array.from(t.float_data ?? []);
      return floats.length === count ? { dims, floats } : `holds ${floats.length} values for shape ${dims.join('×')}`;
    }
    case 11: {
      const d = raw ? Array.from(new Float64Array(raw.buffer, 0, Math.floor(raw.length / 8))) : (t.double_data ?? []);
      return d.length === count ? { dims, floats: Float32Array.from(d) } : `holds ${d.length} values for shape ${dims.join('×')}`;
    }
    case 7: {
      const ints = raw ? Array.from(new BigInt64Array(raw.buffer, 0, Math.floor(raw.length / 8)), Number) : (t.int64_data ?? []).map(Number);
      return ints.length === count ? { dims, ints } : `holds ${ints.length} values for shape ${dims.join('×')}`;
    }
    case 6: {
      const ints = raw ? Array.from(new Int32Array(raw.buffer, 0, Math.floor(raw.length / 4))) : (t.int32_data ?? []).map(Number);
      return ints.length === count ? { dims, ints } : `holds ${ints.length} values for shape ${dims.join('×')}`;
    }
    default:
      return `is of ONNX type ${t.data_type}, which Stride does not read (float32, float64, int32, int64)`;
  }
}

/** The shortest decimal that reads back as the same float32. */
export function float32Text(f: number): string {
  const x = Math.fround(f);
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return String(s);
  }
  return String(x);
}

const pair = (h: number, w: number) => (h === w ? `${h}` : `${h}x${w}`);
const sides = (t: number, l: number, b: number, r: number) => (t === l && l === b && b === r ? `${t}` : t === b && l === r ? `${t}x${l}` : `(${t}, ${l}, ${b}, ${r})`);

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = w[i * cols + j];
  return out;
}

class Reader {
  readonly consts = new Map<string, Const>();
  readonly alias = new Map<string, string>();
  readonly rank = new Map<string, number>();
  /** A tensor's shape after the batch ([C, H, W] or [F]), where every layer before it is known. */
  readonly shape = new Map<string, number[]>();
  /** Integer tensors computed from shapes: 1-D (dims [n]) or a scalar (dims []). */
  readonly syms = new Map<string, { dims: number[]; vals: Sym[] }>();
  readonly layers: Layer[] = [];
  readonly problems: string[] = [];
  /** Nodes taken into the layer before them (the Add of a MatMul's bias). */
  private readonly absorbed = new Set<OnnxNode>();
  private consumers = new Map<string, OnnxNode[]>();

  constructor(private readonly nodes: OnnxNode[]) {
    for (const n of nodes) for (const i of n.input ?? []) if (i) (this.consumers.get(i) ?? this.consumers.set(i, []).get(i)!).push(n);
  }

  resolve(t: string): string {
    let r = t;
    for (let i = 0; i < 10000 && this.alias.has(r); i++) r = this.alias.get(r)!;
    return r;
  }

  private label(n: OnnxNode): string {
    return `node ${n.name ? `'${n.name}'` : `#${this.nodes.indexOf(n)}`} (${n.op_type})`;
  }

  private problem(n: OnnxNode, why: string): void {
    this.problems.push(`${this.label(n)}: ${why}`);
  }

  private attr(n: OnnxNode, name: string): OnnxAttr | undefined {
    return n.attribute?.find((a) => a.name === name);
  }
  private int(n: OnnxNode, name: string, dflt: number): number {
    const a = this.attr(n, name);
    return a?.i !== undefined ? Number(a.i) : dflt;
  }
  private float(n: OnnxNode, name: string, dflt: number): number {
    const a = this.attr(n, name);
    return a?.f !== undefined ? a.f : dflt;
  }
  private ints(n: OnnxNode, name: string): number[] | undefined {
    const a = this.attr(n, name);
    return a?.ints ? a.ints.map(Number) : undefined;
  }
  private str(n: OnnxNode, name: string, dflt: string): string {
    const a = this.attr(n, name);
    return a?.s ? new TextDecoder().decode(a.s) : dflt;
  }

  private constant(name: string | undefined): Const | undefined {
    return name ? this.consts.get(name) : undefined;
  }

  private data(n: OnnxNode, i: number): string | undefined {
    const name = n.input?.[i];
    if (!name || this.consts.has(name) || this.syms.has(name)) return undefined;
    return this.resolve(name);
  }

  private weight(n: OnnxNode, i: number, what: string): Const & { floats: Float32Array } {
    const c = this.constant(n.input?.[i]);
    if (!c?.floats) throw new NodeProblem(`its ${what} (${n.input?.[i] ?? 'input ' + i}) is not a float constant: Stride imports weights stored in the model`);
    return c as Const & { floats: Float32Array };
  }

  private emit(n: OnnxNode, parts: Part[], inputs: string[], weights: Weight[], merge?: Layer['merge'], rank?: number): void {
    const output = n.output![0];
    this.layers.push({ node: this.label(n), parts, inputs, output, weights, merge });
    const r = rank ?? this.rank.get(inputs[0]) ?? 4;
    this.rank.set(output, r);
    const s = this.shape.get(inputs[0]);
    if (s && s.length + 1 === r) this.shape.set(output, s);
  }

  /** The integers of a constant or a computed shape, 1-D or a scalar. */
  private symOf(name: string | undefined): { dims: number[]; vals: Sym[] } | undefined {
    if (!name) return undefined;
    const c = this.consts.get(name);
    if (c?.ints && c.dims.length <= 1) return { dims: c.dims, vals: c.ints };
    return this.syms.get(name);
  }

  /** The shape a window (conv, pool) gives: [H, W] from [H, W] with kernel, strides, pads and dilations. */
  private windowed(hw: number[] | undefined, k: number[], s: number[], p: number[], d: number[], ceil = false): number[] | undefined {
    if (!hw) return undefined;
    return [0, 1].map((i) => {
      const span = hw[i] + p[i] + p[i + 2] - d[i] * (k[i] - 1) - 1;
      return (ceil ? Math.ceil(span / s[i]) : Math.floor(span / s[i])) + 1;
    });
  }

  /**
   * Explicit pads [top, left, bottom, right] for a node's auto_pad SAME_UPPER / SAME_LOWER (the extra one at the
   * end / the start), or its `pads`; with a stride over 1 they depend on the input's size, which must be known.
   */
  private pads(n: OnnxNode, x: string | undefined, k: number[]): number[] {
    const auto = this.str(n, 'auto_pad', 'NOTSET');
    const s = this.ints(n, 'strides') ?? [1, 1];
    const d = this.ints(n, 'dilations') ?? [1, 1];
    if (auto === 'VALID') return [0, 0, 0, 0];
    if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') return this.ints(n, 'pads') ?? [0, 0, 0, 0];
    const hw = x ? this.shape.get(x)?.slice(1) : undefined;
    if ((s[0] !== 1 || s[1] !== 1) && !hw) throw new NodeProblem(`auto_pad ${auto} with stride ${s.join('x')}: its pads depend on the input's size, which is not known here; export with explicit pads`);
    const total = [0, 1].map((i) => Math.max(0, (hw ? (Math.ceil(hw[i] / s[i]) - 1) * s[i] - hw[i] : -1) + d[i] * (k[i] - 1) + 1));
    const small = total.map((t) => Math.floor(t / 2));
    const big = total.map((t) => t - Math.floor(t / 2));
    return auto === 'SAME_UPPER' ? [...small, ...big] : [...big, ...small];
  }

  read(): void {
    for (const n of this.nodes) {
      if (this.absorbed.has(n)) continue;
      try {
        this.node(n);
      } catch (e) {
        if (e instanceof NodeProblem) this.problem(n, e.message);
        else throw e;
      }
    }
  }

  private spatial(n: OnnxNode, what: string): void {
    const auto = this.str(n, 'auto_pad', 'NOTSET');
    if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(auto)) throw new NodeProblem(`auto_pad ${auto} is not an ONNX padding`);
    if (auto.startsWith('SAME') && what === 'transposed convolution') throw new NodeProblem(`auto_pad ${auto} on a transposed convolution is not imported (Stride's convtranspose takes explicit pads); export with explicit pads`);
    const kernel = this.ints(n, 'kernel_shape');
    if (kernel && kernel.length !== 2) throw new NodeProblem(`a ${kernel.length}-D ${what}: Stride's layers are 2-D`);
  }

  private convParts(n: OnnxNode, op: string, channels: number, kh: number, kw: number, groups: number, bias: boolean, extra: Part[] = []): Part[] {
    const s = this.ints(n, 'strides') ?? [1, 1];
    const p = this.pads(n, this.data(n, 0), [kh, kw]);
    const d = this.ints(n, 'dilations') ?? [1, 1];
    const parts: Part[] = [`${op} `, { v: channels }, ` ${kh}x${kw}`];
    // A square stride is a number a block may take as its `stride` parameter; 1 is not written.
    if (s[0] === s[1]) parts.push({ v: s[0], stride: true });
    else parts.push(` stride ${pair(s[0], s[1])}`);
    // SAME_UPPER is Stride's `pad same`; its pads are the ones computed, so the text reads the same at any size.
    // (ONNX Runtime has no SAME_UPPER with dilation: a dilated one is written out.)
    if (this.str(n, 'auto_pad', 'NOTSET') === 'SAME_UPPER' && op === 'conv' && d[0] === 1 && d[1] === 1 && p.some((x) => x !== 0)) parts.push(' pad same');
    else if (p.some((x) => x !== 0)) parts.push(` pad ${sides(p[0], p[1], p[2], p[3])}`);
    parts.push(...extra);
    if (d[0] !== 1 || d[1] !== 1) parts.push(` dilation ${pair(d[0], d[1])}`);
    if (groups !== 1) parts.push(' groups ', { v: groups });
    if (!bias) parts.push(' nobias');
    return parts;
  }

  private flatten(n: OnnxNode, x: string): void {
    this.emit(n, ['flatten'], [x], [], undefined, 2);
    const s = this.shape.get(x);
    if (s) this.shape.set(n.output![0], [s.reduce((a, v) => a * v, 1)]);
    else this.shape.delete(n.output![0]);
  }

  /**
   * A Resize to `sizes` [N, C, H, W] as scales: N and C the input's own (read by Shape) and H, W whole multiples
   * of the input's, whose size must be known.
   */
  private resizeScales(n: OnnxNode, x: string): number[] {
    const sizes = this.symOf(n.input?.[3]);
    if (!sizes || sizes.dims.length !== 1 || sizes.vals.length !== 4) throw new NodeProblem('it resizes neither by constant scales nor to sizes of 4 values over N, C, H, W; Stride imports an upsampling by a constant integer scale');
    const ins = this.shape.get(x);
    if (!ins || ins.length !== 3) throw new NodeProblem("it resizes to sizes, and the size of its input is not known here; Stride imports an upsampling by a constant integer scale");
    const [sn, sc] = sizes.vals;
    // H and W read from a tensor of known size (`size=x.shape[2:]`) are numbers.
    const [sh, sw] = sizes.vals.slice(2).map((v) => (typeof v === 'object' && v.dim >= 1 ? (this.shape.get(this.resolve(v.of))?.[v.dim - 1] ?? v) : v));
    const own = (v: Sym, dim: number, size: number) => (typeof v === 'number' ? v === size : v.dim === dim && (dim === 0 || this.resolve(v.of) === x));
    if (!own(sn, 0, 1) || !own(sc, 1, ins[0]) || typeof sh !== 'number' || typeof sw !== 'number') {
      throw new NodeProblem(`it resizes to sizes (${sizes.vals.map(symText).join(', ')}); Stride imports sizes that keep the batch and the channels and are whole multiples of H and W`);
    }
    if (sh % ins[1] !== 0 || sw % ins[2] !== 0) throw new NodeProblem(`it resizes ${ins[1]}x${ins[2]} to ${sh}x${sw}; Stride upsamples H and W by whole numbers`);
    return [1, 1, sh / ins[1], sw / ins[2]];
  }

  /** Gather, Slice, Unsqueeze, Squeeze and Cast of a computed shape or an integer constant: a computed shape. */
  private shapeOp(n: OnnxNode, op: string, out: string): void {
    const v = this.symOf(n.input?.[0]);
    const c = this.constant(n.input?.[0]);
    if (op === 'Cast' && c) {
      const to = this.int(n, 'to', 1);
      const vals = c.ints ?? (c.floats ? [...c.floats] : []);
      if (to === 6 || to === 7) this.consts.set(out, { dims: c.dims, ints: vals.map(Math.trunc) });
      else if (to === 1 || to === 11) this.consts.set(out, { dims: c.dims, floats: Float32Array.from(vals) });
      else throw new NodeProblem(`a cast to ONNX type ${to}`);
      return;
    }
    if (!v) throw new NodeProblem(`Stride has no layer for ${op}; it reads a ${op} only of a shape or an integer constant`);
    const rank = v.dims.length;
    const axes = (i: number, attr: string) => {
      const a = this.symOf(n.input?.[i])?.vals ?? this.ints(n, attr);
      if (a && a.some((e) => typeof e !== 'number')) throw new NodeProblem(`its ${attr} are not constant`);
      return a as number[] | undefined;
    };
    let res: { dims: number[]; vals: Sym[] };
    switch (op) {
      case 'Cast':
        if (![6, 7].includes(this.int(n, 'to', 1))) throw new NodeProblem('a cast of a shape to a type that is not an integer');
        res = v;
        break;
      case 'Gather': {
        const idx = this.symOf(n.input?.[1]);
        if (rank !== 1 || this.int(n, 'axis', 0) !== 0 || !idx || idx.vals.some((e) => typeof e !== 'number')) throw new NodeProblem('a gather Stride cannot read: it reads a constant index of a shape');
        const pick = (idx.vals as number[]).map((i) => v.vals[i < 0 ? i + v.vals.length : i]);
        if (pick.some((e) => e === undefined)) throw new NodeProblem('an index out of the shape');
        res = { dims: idx.dims, vals: pick };
        break;
      }
      case 'Slice': {
        const [st, en, ax, sp] = [axes(1, 'starts'), axes(2, 'ends'), axes(3, 'axes'), axes(4, 'steps')];
        if (rank !== 1 || !st || !en || st.length !== 1 || (ax && ax[0] !== 0 && ax[0] !== -1) || (sp && sp[0] !== 1)) throw new NodeProblem('a slice Stride cannot read: it reads a constant slice of a shape, by step 1');
        const len = v.vals.length;
        const clamp = (i: number) => Math.min(len, Math.max(0, i < 0 ? i + len : i));
        const vals = v.vals.slice(clamp(st[0]), clamp(en[0]));
        res = { dims: [vals.length], vals };
        break;
      }
      default: {
        const a = axes(1, 'axes');
        if (op === 'Unsqueeze' && rank === 0 && a?.length === 1 && (a[0] === 0 || a[0] === -1)) res = { dims: [1], vals: v.vals };
        else if (op === 'Squeeze' && rank === 1 && v.vals.length === 1 && (!a || (a.length === 1 && (a[0] === 0 || a[0] === -1)))) res = { dims: [], vals: v.vals };
        else throw new NodeProblem(`${op.toLowerCase()} of a shape of rank ${rank} that Stride cannot read`);
      }
    }
    if (c && res.vals.every((e) => typeof e === 'number')) this.consts.set(out, { dims: res.dims, ints: res.vals as number[] });
    else this.syms.set(out, res);
  }

  private node(n: OnnxNode): void {
    const op = n.op_type ?? '';
    if (n.domain && n.domain !== 'ai.onnx') throw new NodeProblem(`its domain ${n.domain} is not the standard ONNX one`);
    if (!n.output?.[0]) throw new NodeProblem('it has no output');
    const x = this.data(n, 0);
    const out = n.output[0];
    const single = (text: string) => {
      if (!x) throw new NodeProblem('its input is a constant, not a tensor computed from the network input');
      this.emit(n, [text], [x], []);
    };
    switch (op) {
      case 'Constant': {
        const v = this.attr(n, 'value');
        if (v?.t) {
          const c = tensorOf(v.t);
          if (typeof c === 'string') throw new NodeProblem(`its value ${c}`);
          this.consts.set(out, c);
        } else if (v?.f !== undefined || this.attr(n, 'value_float')) this.consts.set(out, { dims: [], floats: Float32Array.of(v?.f ?? this.float(n, 'value_float', 0)) });
        else if (this.attr(n, 'value_int')) this.consts.set(out, { dims: [], ints: [this.int(n, 'value_int', 0)] });
        else if (this.attr(n, 'value_ints')) this.consts.set(out, { dims: [this.ints(n, 'value_ints')!.length], ints: this.ints(n, 'value_ints') });
        else throw new NodeProblem('a constant of a kind Stride does not read');
        return;
      }
      case 'Identity':
      case 'Dropout':
        if (!x) {
          const c = this.constant(n.input?.[0]);
          if (c) this.consts.set(out, c);
          return;
        }
        this.alias.set(out, x);
        return;
      case 'Conv': {
        this.spatial(n, 'convolution');
        if (!x) throw new NodeProblem('its input is a constant');
        const w = this.weight(n, 1, 'weight');
        if (w.dims.length !== 4) throw new NodeProblem(`its weight is ${w.dims.length}-D; Stride's conv is 2-D`);
        const groups = this.int(n, 'group', 1);
        const b = n.input?.[2] ? this.weight(n, 2, 'bias') : undefined;
        const [k, , kh, kw] = w.dims;
        const weights = [{ dims: w.dims, data: w.floats }, ...(b ? [{ dims: b.dims, data: b.floats }] : [])];
        this.emit(n, this.convParts(n, 'conv', k, kh, kw, groups, !!b), [x], weights);
        const hw = this.windowed(this.shape.get(x)?.slice(1), [kh, kw], this.ints(n, 'strides') ?? [1, 1], this.pads(n, x, [kh, kw]), this.ints(n, 'dilations') ?? [1, 1]);
        if (hw) this.shape.set(out, [k, ...hw]);
        else this.shape.delete(out);
        return;
      }
      case 'ConvTranspose': {
        this.spatial(n, 'transposed convolution');
        if (!x) throw new NodeProblem('its input is a constant');
        if (this.attr(n, 'output_shape')) throw new NodeProblem('output_shape is not imported; export with pads and output_padding');
        const w = this.weight(n, 1, 'weight');
        if (w.dims.length !== 4) throw new NodeProblem(`its weight is ${w.dims.length}-D; Stride's convtranspose is 2-D`);
        const groups = this.int(n, 'group', 1);
        const b = n.input?.[2] ? this.weight(n, 2, 'bias') : undefined;
        const [, kg, kh, kw] = w.dims;
        const op2 = this.ints(n, 'output_padding') ?? [0, 0];
        const extra = op2[0] || op2[1] ? [` outpad ${pair(op2[0], op2[1])}`] : [];
        const weights = [{ dims: w.dims, data: w.floats }, ...(b ? [{ dims: b.dims, data: b.floats }] : [])];
        this.emit(n, this.convParts(n, 'convtranspose', kg * groups, kh, kw, groups, !!b, extra), [x], weights);
        const ins = this.shape.get(x);
        if (ins) {
          const [s, p, d] = [this.ints(n, 'strides') ?? [1, 1], this.ints(n, 'pads') ?? [0, 0, 0, 0], this.ints(n, 'dilations') ?? [1, 1]];
          this.shape.set(out, [kg * groups, ...[0, 1].map((i) => (ins[i + 1] - 1) * s[i] - p[i] - p[i + 2] + d[i] * ([kh, kw][i] - 1) + op2[i] + 1)]);
        } else this.shape.delete(out);
        return;
      }
      case 'BatchNormalization': {
        if (!x) throw new NodeProblem('its input is a constant');
        if (this.int(n, 'training_mode', 0) !== 0 || (n.output?.length ?? 1) > 1) throw new NodeProblem('a batchnorm in training mode; export the model in eval mode');
        const ws = [1, 2, 3, 4].map((i) => this.weight(n, i, ['scale', 'bias', 'mean', 'variance'][i - 1]));
        const eps = this.float(n, 'epsilon', 1e-5);
        this.emit(n, [Math.fround(eps) === Math.fround(1e-5) ? 'batchnorm' : `batchnorm eps ${float32Text(eps)}`], [x], ws.map((w) => ({ dims: w.dims, data: w.floats })));
        return;
      }
      case 'Relu':
        return single('relu');
      case 'Sigmoid':
        return single('sigmoid');
      case 'Tanh':
        return single('tanh');
      case 'HardSwish':
        return single('hardswish');
      case 'HardSigmoid': {
        const a = this.float(n, 'alpha', 0.2);
        const b = this.float(n, 'beta', 0.5);
        if (Math.abs(a - 1 / 6) > 1e-6 || Math.abs(b - 0.5) > 1e-7) throw new NodeProblem(`alpha ${float32Text(a)} and beta ${float32Text(b)}: Stride's hardsigmoid is PyTorch's (alpha 1/6, beta 0.5)`);
        return single('hardsigmoid');
      }
      case 'LeakyRelu': {
        const a = this.float(n, 'alpha', 0.01);
        return single(Math.fround(a) === Math.fround(0.01) ? 'leakyrelu' : `leakyrelu ${float32Text(a)}`);
      }
      case 'Clip': {
        const bound = (i: number, name: string, dflt: number) => {
          if (!n.input?.[i]) return this.float(n, name, dflt);
          const c = this.constant(n.input[i]);
          if (!c?.floats || c.floats.length !== 1) throw new NodeProblem(`its ${name} is not a constant`);
          return c.floats[0];
        };
        const lo = bound(1, 'min', -Infinity);
        const hi = bound(2, 'max', Infinity);
        if (lo === 0 && hi === 6) return single('relu6');
        if (lo === 0 && hi === Infinity) return single('relu');
        throw new NodeProblem(`it clips to [${lo}, ${hi}]; Stride has relu6 (clip to [0, 6]) and relu`);
      }
      case 'Softmax': {
        const axis = this.int(n, 'axis', -1);
        const rank = x ? (this.rank.get(x) ?? 4) : 4;
        if (axis !== 1 && !(axis === -1 && rank === 2) && !(axis === -3 && rank === 4)) throw new NodeProblem(`a softmax over axis ${axis}; Stride's softmax is over the channels (axis 1)`);
        return single('softmax');
      }
      case 'Add':
      case 'Mul':
      case 'Concat': {
        const cs = (n.input ?? []).map((i) => this.constant(i));
        const ss = (n.input ?? []).map((i) => this.symOf(i));
        if (op === 'Concat' && ss.every((c) => c && c.dims.length === 1) && cs.some((c) => !c)) {
          // A shape put together from the shape of a tensor and constants.
          const vals = ss.flatMap((c) => c!.vals);
          this.syms.set(out, { dims: [vals.length], vals });
          return;
        }
        if (op === 'Concat' && cs.every((c) => c && c.dims.length === 1)) {
          // A shape or a list of scales put together from constants (an export without constant folding).
          const ints = cs.every((c) => c!.ints) ? cs.flatMap((c) => c!.ints!) : undefined;
          const floats = cs.every((c) => c!.floats) ? Float32Array.from(cs.flatMap((c) => [...c!.floats!])) : undefined;
          if (ints || floats) {
            this.consts.set(out, { dims: [(ints ?? floats!).length], ints, floats });
            return;
          }
        }
        const inputs = (n.input ?? []).map((i) => (this.consts.has(i) ? undefined : this.resolve(i)));
        if (inputs.some((i) => i === undefined)) throw new NodeProblem(`one of its inputs is a constant; Stride's ${op.toLowerCase()} ${op === 'Concat' ? 'joins' : 'combines'} tensors of the network`);
        if (op === 'Concat') {
          const axis = this.int(n, 'axis', 1);
          if (axis !== 1 && axis !== -3) throw new NodeProblem(`a concat along axis ${axis}; Stride concatenates channels (axis 1)`);
        }
        // torch.cat of a list of one tensor (DenseNet's first layer of a block) is that tensor.
        if (op === 'Concat' && inputs.length === 1) {
          this.alias.set(out, inputs[0]!);
          return;
        }
        if (inputs.length < 2) throw new NodeProblem('it has fewer than two inputs');
        const merge = op.toLowerCase() as Layer['merge'];
        this.emit(n, [merge!], inputs as string[], [], merge, Math.max(...inputs.map((i) => this.rank.get(i!) ?? 4)));
        const shapes = inputs.map((i) => this.shape.get(i!));
        if (op === 'Concat' && shapes.every((t) => t)) this.shape.set(out, [shapes.reduce((a, t) => a + t![0], 0), ...shapes[0]!.slice(1)]);
        else if (op === 'Concat' || !shapes.every((t) => t && t.join() === shapes[0]!.join())) this.shape.delete(out);
        return;
      }
      case 'MaxPool':
      case 'AveragePool': {
        this.spatial(n, 'pooling');
        const k = this.ints(n, 'kernel_shape');
        if (!k) throw new NodeProblem('it has no kernel_shape');
        const s = this.ints(n, 'strides') ?? [1, 1];
        const p = this.pads(n, x, k);
        const d = this.ints(n, 'dilations') ?? [1, 1];
        if (d[0] !== 1 || d[1] !== 1) throw new NodeProblem('a dilated pooling window; Stride pools without dilation');
        if (op === 'MaxPool' && (n.output?.length ?? 1) > 1 && n.output![1]) throw new NodeProblem('it also returns indices');
        let text = `${op === 'MaxPool' ? 'maxpool' : 'avgpool'} ${k[0]}x${k[1]}`;
        if (s[0] !== k[0] || s[1] !== k[1]) text += ` stride ${pair(s[0], s[1])}`;
        if (p.some((v) => v !== 0)) text += ` pad ${sides(p[0], p[1], p[2], p[3])}`;
        if (this.int(n, 'ceil_mode', 0)) text += ' ceil';
        if (op === 'AveragePool' && p.some((v) => v !== 0) && this.int(n, 'count_include_pad', 0) === 0) text += ' exclude_pad';
        single(text);
        const ins = x ? this.shape.get(x) : undefined;
        const hw = this.windowed(ins?.slice(1), k, s, p, d, !!this.int(n, 'ceil_mode', 0));
        if (ins && hw) this.shape.set(out, [ins[0], ...hw]);
        else this.shape.delete(out);
        return;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        single(op === 'GlobalAveragePool' ? 'globalavgpool' : 'globalmaxpool');
        const c = this.shape.get(x!)?.[0];
        if (c !== undefined) this.shape.set(out, [c, 1, 1]);
        return;
      }
      case 'Flatten': {
        if (this.int(n, 'axis', 1) !== 1) throw new NodeProblem(`it flattens from axis ${this.int(n, 'axis', 1)}; Stride's flatten keeps the batch (axis 1)`);
        if (!x) throw new NodeProblem('its input is a constant');
        this.flatten(n, x);
        return;
      }
      case 'Reshape': {
        // To [N, -1]: N the batch (dimension 0 of a tensor of the network, 0 for "as it is", or the 1 of an export
        // at batch 1), or to [-1, F] with F the tensor's own size.
        const shape = this.symOf(n.input?.[1]);
        const [a, b] = shape?.dims.length === 1 && shape.vals.length === 2 ? shape.vals : [undefined, undefined];
        const size = x ? this.shape.get(x)?.reduce((p, v) => p * v, 1) : undefined;
        const batch = typeof a === 'object' ? a.dim === 0 : a === 0 || a === 1;
        if (!x || !((batch && b === -1) || (a === -1 && typeof b === 'number' && b === size))) {
          throw new NodeProblem('a reshape Stride cannot express; it imports a reshape to [N, -1] or [-1, C*H*W] (flatten), with N a constant or the batch size read by Shape');
        }
        this.flatten(n, x);
        return;
      }
      case 'Shape': {
        if (!x) throw new NodeProblem('the shape of a constant');
        const rank = this.rank.get(x) ?? 4;
        const norm = (v: number) => (v < 0 ? v + rank : v);
        const start = Math.max(0, norm(this.int(n, 'start', 0)));
        const end = Math.min(rank, norm(this.int(n, 'end', rank)));
        const vals: Sym[] = [];
        for (let i = start; i < end; i++) vals.push({ of: x, dim: i });
        this.syms.set(out, { dims: [vals.length], vals });
        return;
      }
      case 'Gather':
      case 'Slice':
      case 'Unsqueeze':
      case 'Squeeze':
      case 'Cast':
        return this.shapeOp(n, op, out);
      case 'Gemm': {
        if (!x) throw new NodeProblem('its input is a constant');
        if (this.int(n, 'transA', 0) !== 0) throw new NodeProblem('transA = 1: its input is transposed');
        if (this.float(n, 'alpha', 1) !== 1 || this.float(n, 'beta', 1) !== 1) throw new NodeProblem('alpha or beta is not 1');
        const w = this.weight(n, 1, 'weight');
        if (w.dims.length !== 2) throw new NodeProblem('its weight is not a matrix');
        const transB = this.int(n, 'transB', 0) === 1;
        const [units, inF] = transB ? w.dims : [w.dims[1], w.dims[0]];
        const data = transB ? w.floats : transpose(w.floats, w.dims[0], w.dims[1]);
        const b = n.input?.[2] ? this.weight(n, 2, 'bias') : undefined;
        if (b && b.floats.length !== units) throw new NodeProblem(`its bias has ${b.floats.length} values for ${units} outputs (a broadcast Stride's dense does not have)`);
        this.emit(n, ['dense ', { v: units }, ...(b ? [] : [' nobias'])], [x], [{ dims: [units, inF], data }, ...(b ? [{ dims: [units], data: b.floats }] : [])], undefined, 2);
        this.shape.set(out, [units]);
        return;
      }
      case 'MatMul': {
        if (!x) throw new NodeProblem('its input is a constant');
        const w = this.weight(n, 1, 'weight');
        if (w.dims.length !== 2) throw new NodeProblem('its weight is not a matrix');
        if ((this.rank.get(x) ?? 4) !== 2) throw new NodeProblem('a matrix product of a tensor that is not flat');
        const [inF, units] = w.dims;
        const next = this.consumers.get(out);
        let bias: Float32Array | undefined;
        let output = out;
        if (next?.length === 1 && next[0].op_type === 'Add') {
          const add = next[0];
          const other = add.input?.find((i) => i !== out);
          const c = this.constant(other);
          if (c?.floats && c.floats.length === units) {
            bias = c.floats;
            output = add.output![0];
            this.absorbed.add(add);
          }
        }
        const weights = [{ dims: [units, inF], data: transpose(w.floats, inF, units) }, ...(bias ? [{ dims: [units], data: bias }] : [])];
        this.layers.push({ node: this.label(n), parts: ['dense ', { v: units }, ...(bias ? [] : [' nobias'])], inputs: [x], output, weights });
        this.rank.set(output, 2);
        this.shape.set(output, [units]);
        return;
      }
      case 'Resize':
      case 'Upsample': {
        if (!x) throw new NodeProblem('its input is a constant');
        const mode = this.str(n, 'mode', 'nearest');
        const given = this.constant(n.input?.[op === 'Resize' ? 2 : 1]);
        const scales = given?.floats && given.floats.length > 0 ? given.floats : this.resizeScales(n, x);
        if (scales.length !== 4) throw new NodeProblem('its scales are not a constant of 4 values over N, C, H, W');
        const [sn, sc, sh, sw] = scales;
        if (sn !== 1 || sc !== 1 || !Number.isInteger(sh) || !Number.isInteger(sw) || sh < 1 || sw < 1) throw new NodeProblem(`scales (${[...scales].join(', ')}): Stride upsamples H and W by whole numbers`);
        const ct = this.str(n, 'coordinate_transformation_mode', 'half_pixel');
        let text = `upsample ${pair(sh, sw)}`;
        if (mode === 'linear') {
          if (ct !== 'half_pixel' && ct !== 'pytorch_half_pixel') throw new NodeProblem(`linear resizing with ${ct} coordinates; Stride's bilinear is align_corners = false (half_pixel)`);
          text += ' mode bilinear';
        } else if (mode === 'nearest') {
          const nm = this.str(n, 'nearest_mode', 'round_prefer_floor');
          if (!(ct === 'asymmetric' && nm === 'floor')) throw new NodeProblem(`nearest resizing with ${ct} coordinates and ${nm}; Stride's nearest is PyTorch's (asymmetric, floor)`);
        } else throw new NodeProblem(`resize mode ${mode}; Stride has nearest and bilinear`);
        single(text);
        const ins = this.shape.get(x);
        if (ins) this.shape.set(out, [ins[0], ins[1] * sh, ins[2] * sw]);
        return;
      }
      case 'Pad': {
        if (!x) throw new NodeProblem('its input is a constant');
        const pads = this.constant(n.input?.[1]);
        if (!pads?.ints || pads.ints.length !== 8 || n.input?.[3]) throw new NodeProblem('pads that are not a constant of 8 values over N, C, H, W');
        const [n0, c0, t, l, n1, c1, b, r] = pads.ints;
        if (n0 || c0 || n1 || c1) throw new NodeProblem('it pads the batch or the channels');
        if ([t, l, b, r].some((v) => v < 0)) throw new NodeProblem('negative pads (a crop)');
        const value = this.constant(n.input?.[2]);
        if (value?.floats && value.floats.some((v) => v !== 0)) throw new NodeProblem(`it pads with ${value.floats[0]}; Stride pads with zeros`);
        const mode = this.str(n, 'mode', 'constant');
        const m = { constant: '', reflect: ' mode reflect', edge: ' mode replicate' }[mode];
        if (m === undefined) throw new NodeProblem(`pad mode ${mode}`);
        if (t === 0 && l === 0 && b === 0 && r === 0) {
          this.alias.set(out, x);
          return;
        }
        single(`pad ${sides(t, l, b, r)}${m}`);
        const ins = this.shape.get(x);
        if (ins) this.shape.set(out, [ins[0], ins[1] + t + b, ins[2] + l + r]);
        return;
      }
      default:
        throw new NodeProblem(`Stride has no layer for ${op}${n.domain ? ` (domain ${n.domain})` : ''}`);
    }
  }
}

class NodeProblem extends Error {}

/** An element of a shape as text, for a message. */
const symText = (v: Sym) => (typeof v === 'number' ? `${v}` : `dim ${v.dim} of ${v.of}`);

/** The structure of the layers: regions between a tensor and the first tensor every path from it goes through. */
class Structurer {
  private readonly producer = new Map<string, number>();
  private readonly consumers = new Map<string, number[]>();
  private readonly pos = new Map<string, number>();
  private names = 0;

  constructor(
    private readonly layers: Layer[],
    private readonly input: string,
  ) {
    this.pos.set(input, 0);
    layers.forEach((l, i) => {
      this.producer.set(l.output, i);
      this.pos.set(l.output, i + 1);
      for (const t of new Set(l.inputs)) (this.consumers.get(t) ?? this.consumers.set(t, []).get(t)!).push(i);
    });
  }

  /** The tensors from which `end` can be reached. */
  private ancestors(end: string): Set<string> {
    const seen = new Set<string>([end]);
    const stack = [end];
    while (stack.length) {
      const p = this.producer.get(stack.pop()!);
      if (p === undefined) continue;
      for (const i of this.layers[p].inputs) if (!seen.has(i)) seen.add(i), stack.push(i);
    }
    return seen;
  }

  /** The tensors of the region from `start` to `end`: reached from `start`, reaching `end`. */
  private between(start: string, end: string): Set<string> {
    const anc = this.ancestors(end);
    const out = new Set<string>([start]);
    const stack = [start];
    while (stack.length) {
      for (const c of this.consumers.get(stack.pop()!) ?? []) {
        const t = this.layers[c].output;
        if (anc.has(t) && !out.has(t)) out.add(t), stack.push(t);
      }
    }
    return out;
  }

  /** The first tensor after `start` that every path from it to `end` goes through (no edge jumps over it). */
  private cut(start: string, region: Set<string>): string {
    const sorted = [...region].sort((a, b) => this.pos.get(a)! - this.pos.get(b)!);
    let reach = this.pos.get(start)!;
    for (const t of sorted) {
      const p = this.pos.get(t)!;
      if (t !== start && reach <= p) return t;
      for (const c of this.consumers.get(t) ?? []) if (region.has(this.layers[c].output)) reach = Math.max(reach, c + 1);
    }
    return sorted[sorted.length - 1];
  }

  /** The statements computing `end` from `start`, or undefined when the region is not series-parallel. */
  region(start: string, end: string, depth = 0): Stmt[] | undefined {
    if (depth > 200) return undefined;
    const stmts: Stmt[] = [];
    let cur = start;
    while (cur !== end) {
      const region = this.between(cur, end);
      if (!region.has(end)) return undefined;
      const j = this.cut(cur, region);
      const m = this.producer.get(j);
      if (m === undefined) return undefined;
      const layer = this.layers[m];
      // Every tensor of the region must be read only inside it: anything else needs a name.
      const inner = this.between(cur, j);
      for (const t of inner) {
        if (t === j || t === cur) continue;
        for (const c of this.consumers.get(t) ?? []) if (!inner.has(this.layers[c].output)) return undefined;
        const p = this.producer.get(t);
        if (t !== cur && p !== undefined && this.layers[p].inputs.some((i) => !inner.has(i))) return undefined;
      }
      if (!layer.merge) {
        if (layer.inputs.length !== 1 || layer.inputs[0] !== cur) return undefined;
        stmts.push({ kind: 'layer', layer });
      } else {
        const parts = layer.inputs.map((u) => (u === cur ? new Set<string>() : new Set([...this.between(cur, u)].filter((t) => t !== cur))));
        const seen = new Set<string>();
        for (const p of parts) for (const t of p) {
          if (seen.has(t)) return undefined;
          seen.add(t);
        }
        const branches: Stmt[][] = [];
        for (const u of layer.inputs) {
          const b = u === cur ? [] : this.region(cur, u, depth + 1);
          if (!b) return undefined;
          branches.push(b);
        }
        if (layer.merge === 'concat') stmts.push({ kind: 'concat', branches });
        else if (layer.inputs.length !== 2) return undefined;
        else if (layer.merge === 'add') {
          const [a, b] = branches[0].length === 0 && branches[1].length > 0 ? [branches[1], branches[0]] : branches;
          stmts.push({ kind: 'residual', body: a, shortcut: b });
        } else {
          const gate = branches[0].length === 0 ? branches[1] : branches[1].length === 0 ? branches[0] : undefined;
          if (!gate) return undefined;
          const name = `x${++this.names}`;
          stmts.push({ kind: 'gate', name, body: gate, layer: { ...layer, parts: [`mul ${name}`] } });
        }
      }
      cur = j;
    }
    return stmts;
  }

  /** Every layer in order, with names where a layer reads anything but the tensor before it. */
  flat(output: string): Stmt[] {
    const named = new Map<string, string>();
    let cur = this.input;
    const need = (t: string) => named.get(t) ?? named.set(t, `t${named.size + 1}`).get(t)!;
    this.layers.forEach((l) => {
      if (l.inputs[0] !== cur) need(l.inputs[0]);
      for (const t of l.inputs.slice(1)) need(t);
      cur = l.output;
    });
    void output;
    const stmts: Stmt[] = [];
    cur = this.input;
    if (named.has(this.input)) stmts.push({ kind: 'name', name: named.get(this.input)! });
    for (const l of this.layers) {
      if (l.inputs[0] !== cur) stmts.push({ kind: 'from', name: named.get(l.inputs[0])! });
      const layer = l.merge ? { ...l, parts: [`${l.merge} ${l.inputs.slice(1).map((t) => named.get(t)).join(' ')}`] } : l;
      stmts.push({ kind: 'layer', layer });
      if (named.has(l.output)) stmts.push({ kind: 'name', name: named.get(l.output)! });
      cur = l.output;
    }
    return stmts;
  }
}

/** A piece's text outside a block: a stride of 1 is Stride's default and not written. */
function partText(p: Part): string {
  return typeof p === 'string' ? p : p.stride ? (p.v === 1 ? '' : ` stride ${p.v}`) : `${p.v}`;
}

/** A number of a layer's text that a block may turn into a parameter. */
interface Hole {
  v: number;
  stride: boolean;
}

/**
 * Statements' text with their numbers as holes (`#` a channel count, `$` a stride), for comparing units up to
 * them; the holes' values are pushed in the order `write` fills them. A gate's name is its own, so not compared.
 */
function signature(stmts: Stmt[], holes: Hole[]): string {
  return stmts
    .map((s): string => {
      switch (s.kind) {
        case 'layer':
          return s.layer.parts.map((p) => (typeof p === 'string' ? p : (holes.push({ v: p.v, stride: !!p.stride }), p.stride ? '$' : '#'))).join('');
        case 'gate':
          return `gate{${signature(s.body, holes)}}mul`;
        case 'residual':
          return `res{${signature(s.body, holes)}}{${signature(s.shortcut, holes)}}`;
        case 'concat':
          return `cat{${s.branches.map((b) => `{${signature(b, holes)}}`).join('')}}`;
        default:
          return s.kind;
      }
    })
    .join(';');
}

/**
 * Whether a statement can go into a block: it holds no block call (a block's text is layers, so a template never
 * needs arguments passed on) and no name reaching outside it (`as` / `from` / `add NAME` of a flat list).
 */
function blockable(s: Stmt): boolean {
  switch (s.kind) {
    case 'layer':
      return !s.layer.merge;
    case 'gate':
      return s.body.every(blockable);
    case 'residual':
      return s.body.every(blockable) && s.shortcut.every(blockable);
    case 'concat':
      return s.branches.every((b) => b.every(blockable));
    default:
      return false;
  }
}

/** Layers with weights and a channel count (conv, dense): what makes a run of layers worth a block. */
function channelLayers(stmts: Stmt[]): number {
  let n = 0;
  for (const s of stmts) {
    if (s.kind === 'layer') n += s.layer.weights.length > 0 && s.layer.parts.some((p) => typeof p !== 'string' && !p.stride) ? 1 : 0;
    else if (s.kind === 'gate') n += channelLayers(s.body);
    else if (s.kind === 'residual') n += channelLayers(s.body) + channelLayers(s.shortcut);
    else if (s.kind === 'concat') for (const b of s.branches) n += channelLayers(b);
  }
  return n;
}

/** Every statement list of the network, outermost first; a call's statements are the block's and not searched. */
function statementLists(stmts: Stmt[], out: Stmt[][] = []): Stmt[][] {
  out.push(stmts);
  for (const s of stmts) {
    if (s.kind === 'gate') statementLists(s.body, out);
    else if (s.kind === 'residual') statementLists(s.body, out), statementLists(s.shortcut, out);
    else if (s.kind === 'concat') for (const b of s.branches) statementLists(b, out);
  }
  return out;
}

const ACTIVATIONS = new Set(['relu', 'relu6', 'leakyrelu', 'sigmoid', 'tanh', 'hardswish', 'hardsigmoid']);

const PARAM_NAMES = ['c', 'd', 'e', 'f', 'g', 'h', 'k', 'm'];

/** Longer runs of statements are not compared, so that a long flat network imports in bounded time. */
const MAX_WINDOW = 64;

/** Statements `at … at + length` of a list that may become a block call; `sig` says which are alike. */
interface Unit {
  list: Stmt[];
  at: number;
  length: number;
  sig: string;
  /** The block's name before numbering: what the unit is. */
  kind: 'Res' | 'ResDown' | 'Dense' | 'Unit';
}

/** A residual and the parameter-free layers after it (ResNet's relu after the add). */
function residualUnits(list: Stmt[], out: Unit[]): void {
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    if (s.kind !== 'residual' || !blockable(s)) continue;
    let end = i + 1;
    while (end < list.length) {
      const n = list[end];
      if (n.kind !== 'layer' || !ACTIVATIONS.has(String(n.layer.parts[0]).split(' ')[0])) break;
      end++;
    }
    out.push({ list, at: i, length: end - i, sig: signature(list.slice(i, end), []), kind: s.shortcut.length > 0 ? 'ResDown' : 'Res' });
    i = end - 1;
  }
}

/** DenseNet's layer: a concat of the tensor itself and what the layer computes from it. */
function denseUnits(list: Stmt[], out: Unit[]): void {
  list.forEach((s, i) => {
    if (s.kind === 'concat' && s.branches.some((b) => b.length === 0) && blockable(s)) out.push({ list, at: i, length: 1, sig: signature([s], []), kind: 'Dense' });
  });
}

/** A layer that goes with the conv before it: its batchnorm, its activation (SiLU is a gate of a sigmoid). */
function follower(s: Stmt | undefined): boolean {
  if (s?.kind === 'gate') return channelLayers(s.body) === 0;
  const op = s?.kind === 'layer' ? String(s.layer.parts[0]).split(' ')[0] : '';
  return op === 'batchnorm' || ACTIVATIONS.has(op);
}

/**
 * Every run of consecutive statements with at least two conv / dense layers (a U-Net's double conv) that
 * starts where its list does, after a structure, or at a statement with a conv / dense, and does not end before
 * a follower: never between a conv and its batchnorm and activation, which would otherwise cut MobileNetV2's
 * units after their first conv. `ids` numbers statements alike across the lists, so that a run's key is short.
 */
function windowUnits(list: Stmt[], out: Unit[], ids: Map<string, number>): void {
  const key = list.map((s) => {
    if (!blockable(s)) return -1;
    const sig = signature([s], []);
    return ids.get(sig) ?? ids.set(sig, ids.size).get(sig)!;
  });
  const weighted = list.map((s) => channelLayers([s]));
  for (let i = 0; i < list.length; i++) {
    const prev = list[i - 1];
    if ((prev?.kind === 'layer' || prev?.kind === 'gate') && weighted[i] === 0) continue;
    let sig = '';
    let n = 0;
    for (let j = i; j < list.length && j - i < MAX_WINDOW && key[j] >= 0; j++) {
      sig += `${key[j]},`;
      n += weighted[j];
      if (n >= 2 && !follower(list[j + 1])) out.push({ list, at: i, length: j - i + 1, sig, kind: 'Unit' });
    }
  }
}

/** How a block's holes read in its template (`c`, `c*4`, `64`, ` stride stride`), or undefined if they cannot. */
interface Solved {
  text: string[];
  /** The hole each channel parameter stands for. */
  params: number[];
  /** The hole the `stride` parameter stands for, where the units' strides differ. */
  stride?: number;
}

function solve(values: Hole[][]): Solved | undefined {
  const first = values[0];
  const text: string[] = new Array(first.length);
  const params: number[] = [];
  let stride: number | undefined;
  const column = (h: number) => values.map((u) => u[h].v);
  for (let h = 0; h < first.length; h++) {
    if (!first[h].stride) continue;
    const vs = column(h);
    if (vs.every((v) => v === vs[0])) text[h] = partText({ v: vs[0], stride: true });
    else if (stride === undefined || column(stride).every((v, i) => v === vs[i])) {
      stride ??= h;
      text[h] = ' stride stride';
    } else return undefined;
  }
  // Channel parameters in order of the first unit's values, smallest first: `conv c`, `conv c*4`.
  const order = [...first.keys()].filter((h) => !first[h].stride).sort((a, b) => first[a].v - first[b].v || a - b);
  for (const h of order) {
    const vs = column(h);
    let expr: string | undefined;
    for (let p = 0; p < params.length && !expr; p++) {
      const base = column(params[p]);
      if (vs.every((v, i) => v === base[i])) expr = PARAM_NAMES[p];
      else {
        const ratio = vs[0] / base[0];
        if (Number.isInteger(ratio) && vs.every((v, i) => v === base[i] * ratio)) expr = `${PARAM_NAMES[p]}*${ratio}`;
        const inv = base[0] / vs[0];
        if (!expr && Number.isInteger(inv) && vs.every((v, i) => v * inv === base[i])) expr = `${PARAM_NAMES[p]}/${inv}`;
      }
    }
    if (!expr && params.length > 0 && vs.every((v) => v === vs[0])) expr = `${vs[0]}`;
    if (!expr) {
      if (params.length >= PARAM_NAMES.length) return undefined;
      params.push(h);
      expr = PARAM_NAMES[params.length - 1];
    }
    text[h] = expr;
  }
  return { text, params, stride };
}

/**
 * Turns units alike up to their channel counts and strides into block calls, in place, and returns the blocks
 * in the order the network first calls them. Residual units first, then dense layers, then runs of layers: each
 * time the group whose block shortens the text most (ties: the longer unit), until no group of two or more
 * does; a unit holds no call, so a block's text is layers.
 */
function makeBlocks(stmts: Stmt[]): Block[] {
  for (const find of [residualUnits, denseUnits, windowUnits]) {
    for (;;) {
      const units: Unit[] = [];
      const ids = new Map<string, number>();
      for (const list of statementLists(stmts)) find(list, units, ids);
      const groups = new Map<string, Unit[]>();
      for (const u of units) {
        const g = groups.get(u.sig) ?? groups.set(u.sig, []).get(u.sig)!;
        const last = g[g.length - 1];
        if (!last || last.list !== u.list || last.at + last.length <= u.at) g.push(u);
      }
      const ranked = [...groups.values()]
        .filter((g) => g.length >= 2)
        .map((g) => {
          const size = countLayers(g[0].list.slice(g[0].at, g[0].at + g[0].length));
          // Lines saved: the units' lines, less the block's (its lines and braces) and a line per call.
          return { g, size, saved: g.length * size - size - 2 - g.length };
        })
        .filter((r) => find !== windowUnits || r.saved > 0)
        .sort((a, b) => b.saved - a.saved || b.size - a.size);
      const done = ranked.some(({ g }) => {
        const unitStmts = g.map((u) => u.list.slice(u.at, u.at + u.length));
        const values = unitStmts.map((s) => {
          const holes: Hole[] = [];
          signature(s, holes);
          return holes;
        });
        const solved = solve(values);
        if (!solved) return false;
        const lines: string[] = [];
        write(unitStmts[0], '', lines, solved.text);
        // A run of layers that always downsamples (a stride or a pool of its own) is named for it.
        const down = g[0].kind === 'Unit' && lines.some((l) => / stride (?!1\b)\d|^\s*(maxpool|avgpool) (?!.* stride 1\b)/.test(l));
        const params = solved.params.map((_, i) => PARAM_NAMES[i]);
        if (solved.stride !== undefined) params.push('stride = 1');
        const block: Block = { name: down ? 'Down' : g[0].kind, params, template: unitStmts[0], holes: solved.text };
        // Later units first, so that the positions of earlier ones in the same list still hold.
        for (let k = g.length - 1; k >= 0; k--) {
          const u = g[k];
          const args = solved.params.map((h) => values[k][h].v);
          const stride = solved.stride === undefined ? undefined : values[k][solved.stride].v;
          u.list.splice(u.at, u.length, { kind: 'call', block, args, stride, unit: unitStmts[k], count: 1 });
        }
        return true;
      });
      if (!done) break;
    }
  }
  const order: Block[] = [];
  tidyCalls(stmts, order);
  // Blocks of a kind are numbered in the order the network first calls them: Res, Res2 …
  const numbered = new Map<string, number>();
  for (const b of order) {
    const n = (numbered.get(b.name) ?? 0) + 1;
    numbered.set(b.name, n);
    if (n > 1) b.name += n;
  }
  return order;
}

/** Makes equal calls in a row one `repeat N`, and lists the blocks in the order the text first calls them. */
function tidyCalls(stmts: Stmt[], order: Block[]): void {
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i];
    if (s.kind === 'gate') tidyCalls(s.body, order);
    else if (s.kind === 'residual') tidyCalls(s.body, order), tidyCalls(s.shortcut, order);
    else if (s.kind === 'concat') for (const b of s.branches) tidyCalls(b, order);
    if (s.kind !== 'call') continue;
    if (!order.includes(s.block)) order.push(s.block);
    const prev = stmts[i - 1];
    if (prev?.kind === 'call' && prev.block === s.block && prev.args.join() === s.args.join() && prev.stride === s.stride) {
      prev.count += s.count;
      prev.unit = [...prev.unit, ...s.unit];
      stmts.splice(i--, 1);
    }
  }
}

function write(stmts: Stmt[], indent: string, lines: string[], holes?: string[], at = { i: 0 }): void {
  const text = (l: Layer) => l.parts.map((p) => (typeof p === 'string' ? p : holes ? holes[at.i++] : partText(p))).join('');
  for (const s of stmts) {
    switch (s.kind) {
      case 'layer':
        lines.push(indent + text(s.layer));
        break;
      case 'name':
        lines.push(`${indent}as ${s.name}`);
        break;
      case 'from':
        lines.push(`${indent}from ${s.name}`);
        break;
      case 'gate':
        lines.push(`${indent}as ${s.name}`);
        write(s.body, indent, lines, holes, at);
        lines.push(indent + text(s.layer));
        break;
      case 'residual':
        lines.push(`${indent}residual {`);
        write(s.body, indent + '  ', lines, holes, at);
        if (s.shortcut.length > 0) {
          lines.push(`${indent}} shortcut {`);
          write(s.shortcut, indent + '  ', lines, holes, at);
        }
        lines.push(`${indent}}`);
        break;
      case 'concat':
        lines.push(`${indent}concat {`);
        for (const b of s.branches) {
          if (b.length === 0) lines.push(`${indent}  branch {}`);
          else {
            lines.push(`${indent}  branch {`);
            write(b, indent + '    ', lines, holes, at);
            lines.push(`${indent}  }`);
          }
        }
        lines.push(`${indent}}`);
        break;
      case 'call': {
        const call = [s.block.name, ...s.args, ...(s.stride !== undefined && s.stride !== 1 ? [`stride ${s.stride}`] : [])].join(' ');
        lines.push(s.count > 1 ? `${indent}repeat ${s.count} { ${call} }` : indent + call);
        break;
      }
    }
  }
}

/** The layers' weights in the order the text expands them. */
function weightsInOrder(stmts: Stmt[], out: Weight[]): void {
  for (const s of stmts) {
    if (s.kind === 'layer') out.push(...s.layer.weights);
    else if (s.kind === 'gate') weightsInOrder(s.body, out);
    else if (s.kind === 'residual') weightsInOrder(s.body, out), weightsInOrder(s.shortcut, out);
    else if (s.kind === 'concat') for (const b of s.branches) weightsInOrder(b, out);
    else if (s.kind === 'call') weightsInOrder(s.unit, out);
  }
}

function countLayers(stmts: Stmt[]): number {
  let n = 0;
  for (const s of stmts) {
    if (s.kind === 'layer' || s.kind === 'gate') n++;
    if (s.kind === 'gate') n += countLayers(s.body);
    else if (s.kind === 'residual') n += 1 + countLayers(s.body) + countLayers(s.shortcut);
    else if (s.kind === 'concat') n += 1 + s.branches.reduce((a, b) => a + countLayers(b), 0);
    else if (s.kind === 'call') n += countLayers(s.unit);
  }
  return n;
}

/** A network name from the file's name: letters, digits and underscores, starting with a letter. */
export function networkName(file: string): string {
  const base = (file.split(/[\\/]/).pop() ?? 'Net').replace(/\.onnx$/i, '');
  const word = base.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[A-Za-z]/.test(word) ? word : `Net${word ? '_' + word : ''}`;
}

export function importOnnx(bytes: Uint8Array, file: string): ImportResult {
  const model = decodeModel(bytes, file);
  const graph = model.graph!;
  const opset = model.opset_import?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  const nodes = graph.node ?? [];
  const reader = new Reader(nodes);
  for (const t of graph.initializer ?? []) {
    if (!t.name) continue;
    const c = tensorOf(t);
    if (typeof c === 'string') reader.problems.push(`initializer '${t.name}' ${c}`);
    else reader.consts.set(t.name, c);
  }
  const inputs = (graph.input ?? []).filter((v) => v.name && !reader.consts.has(v.name));
  if (inputs.length !== 1) throw new ImportError(`${file}: the model has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ')}); Stride imports a network with one input`);
  const input = inputs[0];
  const dims = input.type?.tensor_type?.shape?.dim ?? [];
  const sizes = dims.slice(1).map((d) => Number(d.dim_value ?? 0));
  if ((dims.length !== 4 && dims.length !== 2) || sizes.some((d) => !(d > 0))) {
    throw new ImportError(`${file}: input '${input.name}' has shape [${dims.map((d) => d.dim_value || d.dim_param || '?').join(', ')}]; Stride imports an input of [N, C, H, W] or [N, features] with fixed sizes after the batch`);
  }
  if (input.type?.tensor_type?.elem_type !== 1) throw new ImportError(`${file}: input '${input.name}' is not float32`);
  reader.rank.set(input.name!, dims.length);
  reader.shape.set(input.name!, sizes);
  reader.read();
  if ((graph.output ?? []).length !== 1) reader.problems.push(`the model has ${graph.output?.length} outputs; Stride imports a network with one output`);
  if (reader.problems.length > 0) {
    throw new ImportError(`${file}: ${reader.problems.length} node${reader.problems.length > 1 ? 's' : ''} cannot be imported${opset ? ` (opset ${opset})` : ''}`, reader.problems);
  }
  const output = reader.resolve(graph.output![0].name!);
  if (output === input.name) throw new ImportError(`${file}: the output is the input; there is nothing to import`);
  const layers = reader.layers;
  // Layers the output does not depend on are not part of the network: each is named, as nothing may be dropped silently.
  const structurer = new Structurer(layers, input.name!);
  const structured = structurer.region(input.name!, output);
  let body: Stmt[];
  if (structured) body = structured;
  else {
    const last = layers.findIndex((l) => l.output === output);
    if (last < 0) throw new ImportError(`${file}: the output ${output} is not computed by any node`);
    const unused = layers.slice(last + 1);
    if (unused.length > 0) throw new ImportError(`${file}: ${unused.length} node${unused.length > 1 ? 's do' : ' does'} not lead to the output`, unused.map((l) => `${l.node}: its result is not used by the output`));
    body = new Structurer(layers.slice(0, last + 1), input.name!).flat(output);
  }
  const blocks = makeBlocks(body);
  const stmts = body;
  const name = networkName(file);
  const shape = dims.length === 4 ? `${sizes[1]}x${sizes[2]}x${sizes[0]}` : `${sizes[0]}`;
  const lines: string[] = [`# Imported by Stride from ${file.split(/[\\/]/).pop()} (${nodes.length} ONNX nodes${opset ? `, opset ${opset}` : ''}).`, ''];
  for (const b of blocks) {
    lines.push(`block ${b.name}(${b.params.join(', ')}) {`);
    write(b.template, '  ', lines, b.holes);
    lines.push('}', '');
  }
  lines.push(`network ${name} {`, `  input ${shape}`);
  write(stmts, '  ', lines);
  lines.push('}', '');
  const text = lines.join('\n');

  // Name the weights as Stride's export does for this text: its non-constant tensors, in order.
  const a = analyze(text);
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`the text written for ${file} does not analyse: ${errors[0].message}\n${text}`);
  const net = pickNetwork(a);
  const specs = declaredWeights(a, net).filter((w) => !isConstant(w.init));
  const tensors: Weight[] = [];
  weightsInOrder(stmts, tensors);
  if (specs.length !== tensors.length) throw new Error(`the text written for ${file} has ${specs.length} weights, the model ${tensors.length}`);
  const weights = specs.map((s, i) => {
    const t = tensors[i];
    if (s.dims.join('x') !== t.dims.join('x')) throw new Error(`weight ${s.name} is ${s.dims.join('×')} in the text, ${t.dims.join('×')} in the model`);
    return { name: s.name, dims: s.dims, data: t.data };
  });
  const calls = statementLists(stmts).reduce((n, list) => n + list.filter((s) => s.kind === 'call').length, 0);
  return { text, network: name, weights, nodes: nodes.length, layers: countLayers(body), blocks: blocks.length, calls };
}

/** safetensors bytes of the weights: an 8-byte header size, the JSON header, then float32 data. */
export function safetensors(weights: readonly ImportedWeight[]): Uint8Array[] {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const w of weights) {
    header[w.name] = { dtype: 'F32', shape: w.dims, data_offsets: [offset, offset + w.data.length * 4] };
    offset += w.data.length * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const head = new Uint8Array(8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  head.set(new TextEncoder().encode(json), 8);
  return [head, ...weights.map((w) => new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength))];
}
