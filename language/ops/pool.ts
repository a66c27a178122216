import { Codes } from '../diagnostics.js';
import { throughWindow, wholeMap } from '../shape.js';
import { attr, spatialDims, spatialInput } from './common.js';
import type { Attrs, AttrSpec, InferInput, LayerFacts, OpDef, Tensor } from './types.js';
import { resolvePads, slide, windowFormula, type Window } from './window.js';

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
  aliases: ['maxpool2d'],
  family: 'pool',
  summary: 'Max pooling: keeps the largest value of each window, shrinking H and W and keeping the channels.',
  attrs: poolAttrs,
  infer: (x) => windowPool(x, 'maxpool'),
  formula: poolFormula,
};

export const avgpool: OpDef = {
  name: 'avgpool',
  aliases: ['avgpool2d'],
  family: 'pool',
  summary: 'Average pooling: averages each window, shrinking H and W and keeping the channels.',
  attrs: [...poolAttrs, { name: 'exclude_pad', kind: 'flag', default: false, doc: 'Average over the real pixels only, not the zero padding (count_include_pad = false).' }],
  infer: (x) => windowPool(x, 'avgpool'),
  formula: poolFormula,
};

function globalPool(x: InferInput, op: string): LayerFacts | undefined {
  const t = spatialInput(x, op);
  if (!t) return undefined;
  return { shape: [1, 1, t.shape[2]], params: 0, macs: 0, rf: wholeMap(t.rf, t.shape[0], t.shape[1]) };
}

export const globalavgpool: OpDef = {
  name: 'globalavgpool',
  family: 'pool',
  summary: 'Global average pooling: one average per channel, HxWxC → 1x1xC.',
  attrs: [],
  infer: (x) => globalPool(x, 'globalavgpool'),
};

export const globalmaxpool: OpDef = {
  name: 'globalmaxpool',
  family: 'pool',
  summary: 'Global max pooling: one maximum per channel, HxWxC → 1x1xC.',
  attrs: [],
  infer: (x) => globalPool(x, 'globalmaxpool'),
};

export const adaptiveavgpool: OpDef = {
  name: 'adaptiveavgpool',
  family: 'pool',
  summary: 'Adaptive average pooling: averages into a fixed output size whatever the input size (torchvision uses 7x7 and 6x6).',
  attrs: [{ name: 'size', kind: 'pair', positional: true, required: true, min: 1, doc: 'Output size: `7` or `7x7`.' }],
  infer(x): LayerFacts | undefined {
    const t = spatialInput(x, 'adaptiveavgpool');
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
  },
};
