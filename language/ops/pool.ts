import { Codes } from '../base/diagnostics.js';
import { PIXEL, throughWindow, wholeMap } from '../base/shape.js';
import { attr, spatialDims, spatialInput } from './common.js';
import { int, ints, node, padAttrs, single } from './onnx.js';
import { type Attrs, type AttrSpec, type InferInput, type LayerFacts, type LowerInput, type OnnxAttr, type OpDef, type OrtPlan, type Tensor, LoweringError } from './types.js';
import { call, mod, padded, pyPair } from './torch.js';
import { resolvePads, slide, windowFormula, type Window } from './window.js';

/** ONNX Runtime runs pooling in the NCHWc layout when the channels are whole blocks. */
const POOL: OrtPlan = { role: 'pool' };

const poolAttrs: AttrSpec[] = [
  attr.kernel('Window size: `2` or `2x2`.'),
  attr.stride('Step between windows; defaults to the kernel size, so windows do not overlap.'),
  attr.pad('Padding: `1`, `1x2`, `(top, left, bottom, right)`, `same` or `valid`; at most half the kernel.'),
  { name: 'ceil', kind: 'flag', default: false, doc: 'Round the output size up, keeping a last partial window (ceil_mode).' },
];

function poolWindow(t: Tensor, a: Attrs): Window {
  const kernel = a.pair('kernel');
  return { input: spatialDims(t.shape), kernel, stride: a.optionalPair('stride') ?? kernel, dilation: [1, 1], ceil: a.flag('ceil') };
}

function poolFormula(x: { inputs: Tensor[]; attrs: Attrs }): string[] {
  return windowFormula(poolWindow(x.inputs[0], x.attrs), x.attrs.pads('pad'));
}

function windowPool(x: InferInput, op: string): LayerFacts | undefined {
  const t = spatialInput(x, op);
  if (!t) return undefined;
  const a = x.attrs;
  const kernel = a.pair('kernel');
  const w = poolWindow(t, a);
  const padSpec = a.pads('pad');
  const pads = resolvePads(padSpec, w);
  if (padSpec.mode === 'explicit' && pads.some((p, i) => p > Math.floor(kernel[i % 2] / 2))) {
    x.error({ code: Codes.badValue, message: `pad ${Math.max(...pads)} is more than half the ${kernel[0]}x${kernel[1]} window: some windows would hold only padding`, attr: 'pad' });
    return undefined;
  }
  const slid = slide(x, w, padSpec, { pad: 'pad', stride: 'stride' });
  if (!slid) return undefined;
  return { shape: [slid[0], slid[1], t.shape[2]], params: 0, macs: 0, rf: throughWindow(t.rf, kernel, w.stride) };
}

export const maxpool: OpDef = {
  name: 'maxpool',
  ort: POOL,
  aliases: ['maxpool2d'],
  family: 'pool',
  // Its input, and the int64 index of each output's maximum.
  saved: { keeps: 'input', extraBytesPerOutput: 8, why: 'its input and the int64 position of each maximum' },
  summary: 'Max pooling: keeps the largest value of each window, shrinking H and W and keeping the channels.',
  example: 'maxpool 2x2',
  attrs: poolAttrs,
  infer: (x) => windowPool(x, 'maxpool'),
  formula: poolFormula,
  lower: (x) => single(x, 'MaxPool', poolOnnx(x)),
  torch(x) {
    const w = poolWindow({ shape: x.shapes[0], rf: PIXEL, producer: 0 }, x.attrs);
    const p = padded(resolvePads(x.attrs.pads('pad'), w), "float('-inf')");
    const module = call('nn.MaxPool2d', [pyPair(w.kernel)], { stride: sameAs(w.stride, w.kernel), padding: p.padding, ceil_mode: w.ceil ? 'True' : undefined });
    return p.forward ? { module, forward: p.forward } : { module };
  },
};

export const avgpool: OpDef = {
  name: 'avgpool',
  ort: POOL,
  // AvgPool2DBackward keeps its input (for its size and padding).
  saved: { keeps: 'input', why: 'its input, for its size' },
  aliases: ['avgpool2d'],
  family: 'pool',
  summary: 'Average pooling: averages each window, shrinking H and W and keeping the channels.',
  example: 'avgpool 2x2',
  attrs: [...poolAttrs, { name: 'exclude_pad', kind: 'flag', default: false, doc: 'Average over the real pixels only, not the zero padding (count_include_pad = false).' }],
  infer: (x) => windowPool(x, 'avgpool'),
  formula: poolFormula,
  lower: (x) => single(x, 'AveragePool', { ...poolOnnx(x, !x.attrs.flag('exclude_pad')), count_include_pad: int(x.attrs.flag('exclude_pad') ? 0 : 1) }),
  torch(x) {
    const w = poolWindow({ shape: x.shapes[0], rf: PIXEL, producer: 0 }, x.attrs);
    const exclude = x.attrs.flag('exclude_pad');
    const p = padded(resolvePads(x.attrs.pads('pad'), w));
    if (p.forward && exclude) throw new LoweringError('avgpool exclude_pad with padding that differs between sides has no PyTorch form: nn.AvgPool2d pads both sides alike');
    const module = call('nn.AvgPool2d', [pyPair(w.kernel)], { stride: sameAs(w.stride, w.kernel), padding: p.padding, ceil_mode: w.ceil ? 'True' : undefined, count_include_pad: exclude ? 'False' : undefined });
    return p.forward ? { module, forward: p.forward } : { module };
  },
};

/** A pool's stride, left out when it is the kernel (PyTorch's default). */
function sameAs(stride: readonly number[], kernel: readonly number[]): string | undefined {
  return stride[0] === kernel[0] && stride[1] === kernel[1] ? undefined : pyPair(stride);
}

function poolOnnx(x: LowerInput, countsPadding = false): Record<string, OnnxAttr> {
  const w = poolWindow({ shape: x.shapes[0], rf: PIXEL, producer: 0 }, x.attrs);
  const base = { kernel_shape: ints(w.kernel), strides: ints(w.stride) };
  if (!w.ceil || countsPadding) return { ...base, ceil_mode: int(w.ceil ? 1 : 0), ...padAttrs(x.attrs.pads('pad')) };
  // ceil_mode's last window is dropped when it starts in the end padding (PyTorch, ONNX Runtime), but not
  // by every ONNX consumer (onnx's shape inference): the same windows as floor mode with the end padded
  // just enough for the last one, which every consumer reads alike.
  const pads = resolvePads(x.attrs.pads('pad'), w);
  const end = [0, 1].map((a) => Math.max(0, (x.shape[a] - 1) * w.stride[a] + w.kernel[a] - w.input[a] - pads[a]));
  return { ...base, pads: ints([pads[0], pads[1], end[0], end[1]]) };
}

function globalPool(x: InferInput, op: string): LayerFacts | undefined {
  const t = spatialInput(x, op);
  if (!t) return undefined;
  return { shape: [1, 1, t.shape[2]], params: 0, macs: 0, rf: wholeMap(t.rf, t.shape[0], t.shape[1]) };
}

export const globalavgpool: OpDef = {
  name: 'globalavgpool',
  ort: POOL,
  family: 'pool',
  saved: { keeps: 'input', why: 'its input, for its size' },
  summary: 'Global average pooling: one average per channel, HxWxC → 1x1xC.',
  attrs: [],
  infer: (x) => globalPool(x, 'globalavgpool'),
  lower: (x) => single(x, 'GlobalAveragePool'),
  torch: () => mod('nn.AdaptiveAvgPool2d(1)'),
};

export const globalmaxpool: OpDef = {
  name: 'globalmaxpool',
  ort: POOL,
  family: 'pool',
  saved: { keeps: 'input', extraBytesPerOutput: 8, why: 'its input and the int64 position of each maximum' },
  summary: 'Global max pooling: one maximum per channel, HxWxC → 1x1xC.',
  attrs: [],
  infer: (x) => globalPool(x, 'globalmaxpool'),
  lower: (x) => single(x, 'GlobalMaxPool'),
  torch: () => mod('nn.AdaptiveMaxPool2d(1)'),
};

const ADAPTIVE_SIZE: AttrSpec = { name: 'size', kind: 'pair', positional: true, required: true, min: 1, doc: 'Output size: `7` or `7x7`.' };

/** The output of PyTorch's adaptive pooling and the receptive field of its widest bin. */
function adaptive(x: InferInput, op: string): LayerFacts | undefined {
  const t = spatialInput(x, op);
  if (!t) return undefined;
  const size = x.attrs.pair('size');
  // PyTorch's bins: start = floor(i·in/out), end = ceil((i+1)·in/out); the widest bin sets the field.
  const kernel = [0, 1].map((ax) => {
    const n = t.shape[ax];
    const o = size[ax];
    let widest = 0;
    for (let i = 0; i < o; i++) widest = Math.max(widest, Math.ceil(((i + 1) * n) / o) - Math.floor((i * n) / o));
    return widest;
  }) as [number, number];
  const stride = [0, 1].map((ax) => Math.max(1, Math.floor(t.shape[ax] / size[ax]))) as [number, number];
  return { shape: [size[0], size[1], t.shape[2]], params: 0, macs: 0, rf: throughWindow(t.rf, kernel, stride) };
}

export const adaptiveavgpool: OpDef = {
  name: 'adaptiveavgpool',
  ort: POOL,
  family: 'pool',
  saved: { keeps: 'input', why: 'its input, for its size' },
  summary: 'Adaptive average pooling: averages into a fixed output size whatever the input size (torchvision uses 7x7 and 6x6).',
  example: 'adaptiveavgpool 7x7',
  attrs: [ADAPTIVE_SIZE],
  infer: (x) => adaptive(x, 'adaptiveavgpool'),
  torch: (x) => mod(`nn.AdaptiveAvgPool2d(${adaptiveSize(x.attrs.pair('size'))})`),
  lower(x) {
    // ONNX has no adaptive pooling; when the sizes divide, it is a plain average pool (what PyTorch exports).
    const [h, w] = x.shapes[0];
    const [oh, ow] = x.attrs.pair('size');
    if (h % oh === 0 && w % ow === 0) return single(x, 'AveragePool', { kernel_shape: ints([h / oh, w / ow]), strides: ints([h / oh, w / ow]) });
    // Uneven bins: the average over each bin is separable, rows then columns, so two products with
    // constant averaging matrices compute it exactly (PyTorch's bins, which may overlap).
    const rows = x.weight('bins_h', [oh, h], { values: averaging(h, oh, false) });
    const cols = x.weight('bins_w', [w, ow], { values: averaging(w, ow, true) });
    const wide = x.temp('columns');
    return [node('MatMul', [x.inputs[0], cols], [wide]), node('MatMul', [rows, wide], [x.output])];
  },
};

export const adaptivemaxpool: OpDef = {
  name: 'adaptivemaxpool',
  ort: POOL,
  family: 'pool',
  saved: { keeps: 'input', extraBytesPerOutput: 8, why: 'its input and the int64 position of each maximum' },
  summary: 'Adaptive max pooling: the maximum of each of a fixed number of bins, whatever the input size.',
  example: 'adaptivemaxpool 7x7',
  attrs: [ADAPTIVE_SIZE],
  infer: (x) => adaptive(x, 'adaptivemaxpool'),
  torch: (x) => mod(`nn.AdaptiveMaxPool2d(${adaptiveSize(x.attrs.pair('size'))})`),
  lower(x) {
    const [h, w] = x.shapes[0];
    const [oh, ow] = x.attrs.pair('size');
    if (h % oh === 0 && w % ow === 0) return single(x, 'MaxPool', { kernel_shape: ints([h / oh, w / ow]), strides: ints([h / oh, w / ow]) });
    throw new LoweringError(`adaptivemaxpool from ${h}x${w} to ${oh}x${ow} has bins of different sizes, which ONNX cannot express (it has no adaptive pooling): choose an output size that divides the input, or use adaptiveavgpool`);
  },
};

/** An adaptive pool's output size as PyTorch takes it: `7` or `(7, 5)`. */
function adaptiveSize(s: readonly number[]): string {
  return pyPair(s);
}

/** The [out, in] (or, transposed, [in, out]) matrix averaging each of PyTorch's adaptive bins. */
function averaging(size: number, out: number, transposed: boolean): number[] {
  const m = new Array<number>(size * out).fill(0);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    for (let j = start; j < end; j++) m[transposed ? j * out + i : i * size + j] = 1 / (end - start);
  }
  return m;
}
