import { Codes } from '../base/diagnostics.js';
import { channels } from '../base/shape.js';
import { spatialInput } from './common.js';
import { float, int, ints, node, single } from './onnx.js';
import { BATCHNORM, call, channelsOf, LAYERNORM2D, mod, pyFloat, SCALE } from './torch.js';
import type { AttrSpec, LayerFacts, LowerInput, OnnxNode, OpDef, TorchInput } from './types.js';

export const batchnorm: OpDef = {
  name: 'batchnorm',
  ort: { role: 'batchnorm' },
  aliases: ['bn', 'batchnorm2d'],
  family: 'norm',
  saved: { keeps: 'input', why: 'its input (and each channel\'s mean and inverse deviation), to normalise the gradient' },
  summary: 'Batch normalisation: normalises each channel over the batch, then scales and shifts it (2C learned, 2C running statistics).',
  attrs: [
    { name: 'eps', kind: 'float', default: 1e-5, min: 0, doc: 'Added to the variance for numerical stability.' },
    { name: 'momentum', kind: 'float', default: 0.1, min: 0, max: 1, doc: 'Update rate of the running statistics (PyTorch convention).' },
  ],
  infer(x): LayerFacts {
    const t = x.inputs[0];
    const c = channels(t.shape);
    return { shape: t.shape, params: 2 * c, buffers: 2 * c, macs: 0, rf: t.rf };
  },
  lower(x) {
    const c = channels(x.shapes[0]);
    const inputs = [x.inputs[0], x.weight('weight', [c], 'ones'), x.weight('bias', [c], 'zeros'), x.weight('running_mean', [c], 'zeros'), x.weight('running_var', [c], 'ones')];
    // ONNX's momentum weighs the running value (PyTorch's weighs the new one).
    return [node('BatchNormalization', inputs, [x.output], { epsilon: float(x.attrs.float('eps')), momentum: float(1 - x.attrs.float('momentum')) })];
  },
  // nn.BatchNorm2d (BatchNorm1d on features) without its num_batches_tracked counter, which is not a weight.
  torch: (x) => mod(call(x.shapes[0].length === 3 ? 'BatchNorm2d' : 'BatchNorm1d', [channelsOf(x)], epsMomentum(x)), [BATCHNORM]),
};

export const lrn: OpDef = {
  name: 'lrn',
  // ONNX Runtime's LRN keeps a scale buffer of its output's size while it runs.
  ort: { scratch: ({ output, batch }) => 4 * batch * output.reduce((a, d) => a * d, 1) },
  family: 'norm',
  // PyTorch composes it of elementwise ops and an average pool, which keep three intermediates.
  saved: { keeps: 'input', copies: 3, why: 'its input and three intermediates of its size (the window sums and their powers)' },
  summary: 'Local response normalisation across neighbouring channels, as in AlexNet.',
  attrs: [
    { name: 'size', kind: 'int', positional: true, default: 5, min: 1, doc: 'Number of neighbouring channels summed over.' },
    { name: 'alpha', kind: 'float', default: 1e-4, min: 0, doc: 'Scale.' },
    { name: 'beta', kind: 'float', default: 0.75, min: 0, doc: 'Exponent.' },
    { name: 'k', kind: 'float', default: 1, min: 0, doc: 'Additive constant (AlexNet\'s paper uses 2).' },
  ],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'lrn');
    if (!t) return undefined;
    const size = x.attrs.int('size');
    if (size % 2 === 0) {
      // ONNX centres the window on each channel and ONNX Runtime refuses an even size, so it could not run.
      x.error({
        code: Codes.badValue,
        message: `lrn size ${size} is even: ONNX centres the window on each channel, and ONNX Runtime runs only odd sizes`,
        attr: 'size',
        fixes: [
          { title: `size ${size + 1}`, set: { size: `${size + 1}` }, preferred: true },
          { title: `size ${size - 1}`, set: { size: `${size - 1}` } },
        ].filter((f) => Number(f.set.size) >= 1),
      });
      return undefined;
    }
    return { shape: t.shape, params: 0, macs: 0, rf: t.rf };
  },
  torch: (x) => mod(call('nn.LocalResponseNorm', [x.attrs.int('size')], { alpha: pyFloat(x.attrs.float('alpha')), beta: pyFloat(x.attrs.float('beta')), k: pyFloat(x.attrs.float('k')) })),
  lower: (x) => single(x, 'LRN', { size: int(x.attrs.int('size')), alpha: float(x.attrs.float('alpha')), beta: float(x.attrs.float('beta')), bias: float(x.attrs.float('k')) }),
};


/** eps and momentum as keywords, left out at PyTorch's defaults. */
function epsMomentum(x: TorchInput): Record<string, string | undefined> {
  const [e, m] = [x.attrs.float('eps'), x.attrs.float('momentum')];
  return { eps: e === 1e-5 ? undefined : pyFloat(e), momentum: m === 0.1 ? undefined : pyFloat(m) };
}

/** eps as a keyword, left out at PyTorch's default. */
function epsKeyword(x: TorchInput): string | undefined {
  const e = x.attrs.float('eps');
  return e === 1e-5 ? undefined : pyFloat(e);
}

const eps = (dflt = 1e-5): AttrSpec => ({ name: 'eps', kind: 'float', default: dflt, min: 0, doc: 'Added to the variance for numerical stability.' });

/**
 * A per-channel weight or bias as the norm layers declare it: learned (`weight`, `bias` of C values, as
 * PyTorch names them) or, without affine parameters, a constant that leaves the values alone.
 */
function affine(x: LowerInput, c: number, learned: boolean): [string, string] {
  if (learned) return [x.weight('weight', [c], 'ones'), x.weight('bias', [c], 'zeros')];
  return [x.weight('one', [c], { values: new Array<number>(c).fill(1) }), x.weight('zero', [c], { values: new Array<number>(c).fill(0) })];
}

/** `y · weight + bias` with C-value weight and bias against N×C×H×W. */
function scaleShift(x: LowerInput, input: string, weight: string, bias: string): OnnxNode[] {
  const axes = x.weight('axes', [2], { int64: [1, 2] });
  const [w, b, scaled] = [x.temp('weight'), x.temp('bias'), x.temp('scaled')];
  return [node('Unsqueeze', [weight, axes], [w]), node('Unsqueeze', [bias, axes], [b]), node('Mul', [input, w], [scaled]), node('Add', [scaled, b], [x.output])];
}

export const layernorm: OpDef = {
  name: 'layernorm',
  family: 'norm',
  saved: { keeps: 'input', why: 'its input (and each position\'s mean and inverse deviation), to normalise the gradient' },
  summary: 'Layer normalisation over the channels at each position (ConvNeXt\'s LayerNorm2d); 2C learned, no running statistics.',
  attrs: [eps(), { name: 'noaffine', kind: 'flag', default: false, doc: 'Leave out the learned weight and bias (elementwise_affine = False).' }],
  infer(x): LayerFacts {
    const t = x.inputs[0];
    return { shape: t.shape, params: x.attrs.flag('noaffine') ? 0 : 2 * channels(t.shape), macs: 0, rf: t.rf };
  },
  lower(x) {
    const c = channels(x.shapes[0]);
    const [w, b] = affine(x, c, !x.attrs.flag('noaffine'));
    const epsilon = float(x.attrs.float('eps'));
    if (x.shapes[0].length !== 3) return [node('LayerNormalization', [x.inputs[0], w, b], [x.output], { axis: int(-1), epsilon })];
    // ONNX normalises the last axes: channels last, normalised, and back.
    const [last, normed] = [x.temp('nhwc'), x.temp('normed')];
    return [
      node('Transpose', [x.inputs[0]], [last], { perm: ints([0, 2, 3, 1]) }),
      node('LayerNormalization', [last, w, b], [normed], { axis: int(-1), epsilon }),
      node('Transpose', [normed], [x.output], { perm: ints([0, 3, 1, 2]) }),
    ];
  },
  torch(x) {
    const spatial = x.shapes[0].length === 3;
    const module = call(spatial ? 'LayerNorm2d' : 'nn.LayerNorm', [channelsOf(x)], { eps: epsKeyword(x), elementwise_affine: x.attrs.flag('noaffine') ? 'False' : undefined });
    return spatial ? mod(module, [LAYERNORM2D]) : mod(module);
  },
};

export const groupnorm: OpDef = {
  name: 'groupnorm',
  family: 'norm',
  saved: { keeps: 'input', why: 'its input (and each group\'s mean and inverse deviation), to normalise the gradient' },
  summary: 'Group normalisation: normalises each group of channels over its channels and positions, per sample; 2C learned.',
  example: 'groupnorm 8',
  attrs: [
    { name: 'groups', kind: 'int', positional: true, required: true, min: 1, doc: 'Number of channel groups; it must divide the channels (32 is usual).' },
    eps(),
    { name: 'noaffine', kind: 'flag', default: false, doc: 'Leave out the learned weight and bias (affine = False).' },
  ],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'groupnorm');
    if (!t) return undefined;
    const c = channels(t.shape);
    const g = x.attrs.int('groups');
    if (c % g !== 0) {
      const fits = [...new Set([32, 16, 8, 4, 2, 1].filter((d) => c % d === 0 && d !== g))].slice(0, 2);
      x.error({ code: Codes.groupsDoNotDivide, message: `groupnorm ${g} does not divide the ${c} channels`, attr: 'groups', fixes: fits.map((d, i) => ({ title: `groups ${d}`, set: { groups: String(d) }, preferred: i === 0 })) });
      return undefined;
    }
    return { shape: t.shape, params: x.attrs.flag('noaffine') ? 0 : 2 * c, macs: 0, rf: t.rf };
  },
  lower(x) {
    const c = channels(x.shapes[0]);
    const g = x.attrs.int('groups');
    // Each sample's groups as the "channels" of an instance norm (N×G×rest), then the per-channel affine.
    const [shape, grouped, normed, back] = [x.temp('shape'), x.temp('grouped'), x.temp('normed'), x.temp('ungrouped')];
    const nodes = [
      node('Shape', [x.inputs[0]], [shape]),
      node('Reshape', [x.inputs[0], x.weight('groups_shape', [3], { int64: [0, g, -1] })], [grouped]),
      node('InstanceNormalization', [grouped, x.weight('one', [g], { values: new Array<number>(g).fill(1) }), x.weight('zero', [g], { values: new Array<number>(g).fill(0) })], [normed], { epsilon: float(x.attrs.float('eps')) }),
    ];
    if (x.attrs.flag('noaffine')) return [...nodes, node('Reshape', [normed, shape], [x.output])];
    return [...nodes, node('Reshape', [normed, shape], [back]), ...scaleShift(x, back, x.weight('weight', [c], 'ones'), x.weight('bias', [c], 'zeros'))];
  },
  torch: (x) => mod(call('nn.GroupNorm', [x.attrs.int('groups'), channelsOf(x)], { eps: epsKeyword(x), affine: x.attrs.flag('noaffine') ? 'False' : undefined })),
};

export const instancenorm: OpDef = {
  name: 'instancenorm',
  family: 'norm',
  saved: { keeps: 'input', why: 'its input (and each channel\'s mean and inverse deviation per sample), to normalise the gradient' },
  summary: 'Instance normalisation: normalises each channel of each sample over its positions (style transfer); no parameters unless `affine`.',
  attrs: [eps(), { name: 'affine', kind: 'flag', default: false, doc: 'Learn a weight and bias per channel (affine = True; PyTorch leaves them out by default).' }],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'instancenorm');
    if (!t) return undefined;
    return { shape: t.shape, params: x.attrs.flag('affine') ? 2 * channels(t.shape) : 0, macs: 0, rf: t.rf };
  },
  lower(x) {
    const [w, b] = affine(x, channels(x.shapes[0]), x.attrs.flag('affine'));
    return [node('InstanceNormalization', [x.inputs[0], w, b], [x.output], { epsilon: float(x.attrs.float('eps')) })];
  },
  torch: (x) => mod(call('nn.InstanceNorm2d', [channelsOf(x)], { eps: epsKeyword(x), affine: x.attrs.flag('affine') ? 'True' : undefined })),
};

export const scale: OpDef = {
  name: 'scale',
  family: 'norm',
  ort: { role: 'elementwise' },
  saved: { keeps: 'input', why: 'its input, which its weight gradient is computed from' },
  summary: 'A learned multiplier per channel (ConvNeXt\'s layer scale, CaiT\'s LayerScale); C parameters.',
  example: 'scale 1e-6',
  attrs: [{ name: 'init', kind: 'float', positional: true, default: 1, doc: 'Starting value of every multiplier (ConvNeXt: 1e-6).' }],
  infer(x): LayerFacts {
    const t = x.inputs[0];
    return { shape: t.shape, params: channels(t.shape), macs: 0, rf: t.rf };
  },
  lower(x) {
    const c = channels(x.shapes[0]);
    // C×1×1 against N×C×H×W, the shape torchvision's ConvNeXt gives its layer_scale.
    const dims = x.shapes[0].length === 3 ? [c, 1, 1] : [c];
    return [node('Mul', [x.inputs[0], x.weight('weight', dims, { fill: x.attrs.float('init') })], [x.output])];
  },
  torch: (x) => mod(call('Scale', [channelsOf(x), pyFloat(x.attrs.float('init'))], { spatial: x.shapes[0].length === 3 ? undefined : 'False' }), [SCALE]),
};
