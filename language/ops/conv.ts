import { Codes } from '../base/diagnostics.js';
import { elements, field, PIXEL, throughWindow, type Shape } from '../base/shape.js';
import { attr, spatialDims, spatialInput } from './common.js';
import { int, ints, node, padAttrs } from './onnx.js';
import { LoweringError, type Attrs, type InferInput, type LayerFacts, type LowerInput, type OpDef, type Tensor } from './types.js';
import { call, explicitSides, padded, pyPair } from './torch.js';
import { effective, resolvePads, slide, windowFormula, type Window } from './window.js';

function checkGroups(x: InferInput, cin: number, cout: number, groups: number): boolean {
  if (cin % groups === 0 && cout % groups === 0) return true;
  const bad = cin % groups !== 0 ? `${cin} input channels` : `${cout} output channels`;
  x.error({ code: Codes.groupsDoNotDivide, message: `groups ${groups} does not divide the ${bad}`, attr: 'groups' });
  return false;
}

function convWindow(t: Tensor, a: Attrs): Window {
  return { input: spatialDims(t.shape), kernel: a.pair('kernel'), stride: a.pair('stride'), dilation: a.pair('dilation'), ceil: false };
}

/** The input, a He-initialised weight of the given shape, and a zero bias of `channels` unless `nobias`. */
function weighted(x: LowerInput, dims: number[], fanIn: number, channels: number): string[] {
  const inputs = [x.inputs[0], x.weight('weight', dims, { he: fanIn })];
  if (!x.attrs.flag('nobias')) inputs.push(x.weight('bias', [channels], 'zeros'));
  return inputs;
}

/**
 * What PyTorch's CPU convolution backward (oneDNN) allocates while it runs, measured with its allocator:
 * its input (from 8 channels) and the output's gradient reordered to a layout blocked by 8 channels, and a
 * weight gradient of the weight's size before the one it returns; two when the output is a single pixel.
 */
function convScratch(x: { input: Shape; output: Shape; params: number }): { elements: number; params: number } {
  const blocked = (s: Shape) => s[0] * s[1] * Math.ceil(s[2] / 8) * 8;
  const input = x.input.length === 3 && x.input[2] >= 8 ? blocked(x.input) : 0;
  const onePixel = x.output.length === 3 && x.output[0] === 1 && x.output[1] === 1;
  return { elements: input + (x.output.length === 3 ? blocked(x.output) : elements(x.output)), params: (onePixel ? 2 : 1) * x.params };
}

export const conv: OpDef = {
  name: 'conv',
  aliases: ['conv2d'],
  family: 'conv',
  saved: { keeps: 'input', castsWeights: true, why: 'its input, which its weight gradient is computed from', scratch: convScratch },
  ort: { role: 'conv', groups: (a) => a.int('groups') },
  summary: 'Convolution: slides learned filters over the input; each filter gives one output channel.',
  example: 'conv 64 3x3 pad 1',
  attrs: [attr.channels(), attr.kernel(), attr.stride('Step between windows, `2` or `2x1`.', 1), attr.pad(), attr.dilation(), attr.groups(), attr.nobias()],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'conv');
    if (!t) return undefined;
    const a = x.attrs;
    const k = a.int('channels');
    const cin = t.shape[2];
    const groups = a.int('groups');
    if (!checkGroups(x, cin, k, groups)) return undefined;
    const w = convWindow(t, a);
    const slid = slide(x, w, a.pads('pad'), { pad: 'pad', stride: 'stride' });
    if (!slid) return undefined;
    const [oh, ow] = slid;
    const bias = a.flag('nobias') ? 0 : 1;
    const fan = w.kernel[0] * w.kernel[1] * (cin / groups);
    return {
      shape: [oh, ow, k],
      params: fan * k + bias * k,
      unsharedParams: oh * ow * k * (fan + bias),
      macs: oh * ow * k * fan,
      rf: throughWindow(t.rf, [effective(w, 0), effective(w, 1)], w.stride),
    };
  },
  formula: (x) => windowFormula(convWindow(x.inputs[0], x.attrs), x.attrs.pads('pad')),
  lower(x) {
    const a = x.attrs;
    const cin = x.shapes[0][2];
    const k = a.int('channels');
    const groups = a.int('groups');
    const [kh, kw] = a.pair('kernel');
    const inputs = weighted(x, [k, cin / groups, kh, kw], (cin / groups) * kh * kw, k);
    return [node('Conv', inputs, [x.output], { kernel_shape: ints([kh, kw]), strides: ints(a.pair('stride')), dilations: ints(a.pair('dilation')), group: int(groups), ...padAttrs(a.pads('pad')) })];
  },
  torch(x) {
    const a = x.attrs;
    const t: Tensor = { shape: x.shapes[0], rf: PIXEL, producer: 0 };
    const p = padded(resolvePads(a.pads('pad'), convWindow(t, a)));
    const module = call('nn.Conv2d', [x.shapes[0][2], a.int('channels'), pyPair(a.pair('kernel'))], {
      stride: one(a.pair('stride')),
      padding: p.padding,
      dilation: one(a.pair('dilation')),
      groups: a.int('groups') === 1 ? undefined : a.int('groups'),
      bias: a.flag('nobias') ? 'False' : undefined,
    });
    return p.forward ? { module, forward: p.forward } : { module };
  },
};

export const convtranspose: OpDef = {
  name: 'convtranspose',
  aliases: ['deconv', 'convtranspose2d'],
  family: 'conv',
  saved: { keeps: 'input', castsWeights: true, why: 'its input, which its weight gradient is computed from' },
  // ONNX Runtime's ConvTranspose multiplies one image at a time into a column buffer (C_out/g·kH·kW × H·W).
  ort: { role: 'packed', scratch: ({ input, attrs }) => 4 * (attrs.int('channels') / attrs.int('groups')) * attrs.pair('kernel')[0] * attrs.pair('kernel')[1] * input[0] * input[1] },
  summary: 'Transposed convolution (deconvolution): upsamples by scattering each input pixel through the filters.',
  example: 'convtranspose 64 4x4 stride 2 pad 1',
  attrs: [
    attr.channels(),
    attr.kernel(),
    attr.stride('Upsampling step, `2` or `2x1`.', 1),
    { ...attr.pad('Padding removed from each side of the output: `1`, `1x2` or `(top, left, bottom, right)`.'), },
    { name: 'outpad', kind: 'pair', min: 0, default: [0, 0], doc: 'Extra rows and columns added at the end of the output (output_padding), to pick among the sizes a stride allows.' },
    attr.dilation(),
    attr.groups(),
    attr.nobias(),
  ],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'convtranspose');
    if (!t) return undefined;
    const a = x.attrs;
    const k = a.int('channels');
    const cin = t.shape[2];
    const groups = a.int('groups');
    if (!checkGroups(x, cin, k, groups)) return undefined;
    const padSpec = a.pads('pad');
    if (padSpec.mode === 'same') {
      x.error({ code: Codes.badValue, message: 'convtranspose takes explicit padding; `same` is only for conv and pooling', attr: 'pad' });
      return undefined;
    }
    const { kernel, stride, dilation, outpad, input, w, out } = transposed(t, a);
    for (const ax of [0, 1]) {
      if (outpad[ax] >= Math.max(stride[ax], dilation[ax])) {
        x.error({ code: Codes.badValue, message: `outpad ${outpad[ax]} must be smaller than the stride or the dilation (${Math.max(stride[ax], dilation[ax])})`, attr: 'outpad' });
        return undefined;
      }
    }
    if (out.some((o) => o <= 0)) {
      x.error({ code: Codes.sizeNotPositive, message: `output size ${transposedFormula(t, a)[out[0] <= 0 ? 0 : 1].replace(/^[HW]: /, '')} is not positive: the padding removes more than the layer produces`, attr: 'pad' });
      return undefined;
    }
    const bias = a.flag('nobias') ? 0 : 1;
    const weights = cin * (k / groups) * kernel[0] * kernel[1];
    // An output position gathers ⌈F/S⌉ input positions per axis; its neighbours are S times closer.
    const taps = [0, 1].map((ax) => Math.ceil(effective(w, ax) / stride[ax]));
    return {
      shape: [out[0], out[1], k],
      params: weights + bias * k,
      unsharedParams: input[0] * input[1] * weights + out[0] * out[1] * k * bias,
      macs: input[0] * input[1] * weights,
      rf: field(t.rf.h + (taps[0] - 1) * t.rf.jh, t.rf.w + (taps[1] - 1) * t.rf.jw, t.rf.jh / stride[0], t.rf.jw / stride[1]),
    };
  },
  formula: (x) => transposedFormula(x.inputs[0], x.attrs),
  lower(x) {
    const a = x.attrs;
    const cin = x.shapes[0][2];
    const k = a.int('channels');
    const groups = a.int('groups');
    const [kh, kw] = a.pair('kernel');
    const inputs = weighted(x, [cin, k / groups, kh, kw], (cin / groups) * kh * kw, k);
    const pads = a.pads('pad');
    return [
      node('ConvTranspose', inputs, [x.output], {
        kernel_shape: ints([kh, kw]),
        strides: ints(a.pair('stride')),
        dilations: ints(a.pair('dilation')),
        group: int(groups),
        output_padding: ints(a.pair('outpad')),
        pads: ints(pads.mode === 'explicit' ? pads.sides : [0, 0, 0, 0]),
      }),
    ];
  },
  torch(x) {
    const a = x.attrs;
    const [t, l, b, r] = explicitSides(a.pads('pad'), 'convtranspose');
    if (t !== b || l !== r) throw new LoweringError(`convtranspose with padding (${t}, ${l}, ${b}, ${r}) has no PyTorch form: nn.ConvTranspose2d pads both sides alike`);
    const outpad = a.pair('outpad');
    const module = call('nn.ConvTranspose2d', [x.shapes[0][2], a.int('channels'), pyPair(a.pair('kernel'))], {
      stride: one(a.pair('stride')),
      padding: t === 0 && l === 0 ? undefined : pyPair([t, l]),
      output_padding: outpad[0] === 0 && outpad[1] === 0 ? undefined : pyPair(outpad),
      groups: a.int('groups') === 1 ? undefined : a.int('groups'),
      bias: a.flag('nobias') ? 'False' : undefined,
      dilation: one(a.pair('dilation')),
    });
    return { module };
  },
};

/** A pair keyword left out when it is PyTorch's default of 1. */
function one(p: readonly number[]): string | undefined {
  return p[0] === 1 && p[1] === 1 ? undefined : pyPair(p);
}

/** `(W − 1)·S − 2P + D·(F − 1) + 1 + outpad` per axis. */
function transposed(t: Tensor, a: Attrs) {
  const kernel = a.pair('kernel');
  const stride = a.pair('stride');
  const dilation = a.pair('dilation');
  const outpad = a.pair('outpad');
  const input = spatialDims(t.shape);
  const w: Window = { input, kernel, stride, dilation, ceil: false };
  const pads = resolvePads(a.pads('pad'), w);
  const out = [0, 1].map((ax) => (input[ax] - 1) * stride[ax] - pads[ax] - pads[ax + 2] + effective(w, ax) + outpad[ax]);
  return { kernel, stride, dilation, outpad, input, w, pads, out };
}

function transposedFormula(t: Tensor, a: Attrs): string[] {
  const { kernel, stride, dilation, outpad, input, pads, out } = transposed(t, a);
  const line = (ax: number) => {
    const p = pads[ax] === pads[ax + 2] ? `2·${pads[ax]}` : `(${pads[ax]} + ${pads[ax + 2]})`;
    const f = dilation[ax] === 1 ? `${kernel[ax]}` : `${dilation[ax]}·(${kernel[ax]} − 1) + 1`;
    return `(${input[ax]} − 1)·${stride[ax]} − ${p} + ${f}${outpad[ax] ? ` + ${outpad[ax]}` : ''} = ${out[ax]}`;
  };
  const [h, w] = [line(0), line(1)];
  return input[0] === input[1] && h === w ? [h] : [`H: ${h}`, `W: ${w}`];
}
