import { Codes } from '../base/diagnostics.js';
import { formatCount } from '../base/format.js';
import { elements, field, formatShape, isSpatial } from '../base/shape.js';
import { attr } from './common.js';
import { int, node, single } from './onnx.js';
import { call, mod } from './torch.js';
import type { LayerFacts, OpDef } from './types.js';

export const dense: OpDef = {
  name: 'dense',
  aliases: ['fc', 'linear'],
  family: 'dense',
  saved: { keeps: 'input', castsWeights: true, why: 'its input, which its weight gradient is computed from' },
  ort: { role: 'gemm' },
  summary: 'Fully connected layer: every output unit sees every input feature.',
  example: 'dense 10',
  attrs: [{ name: 'units', kind: 'int', positional: true, required: true, min: 1, doc: 'Output features (for the last layer of a classifier: the number of classes).' }, attr.nobias()],
  infer(x): LayerFacts | undefined {
    const t = x.inputs[0];
    if (isSpatial(t.shape)) {
      const [h, w, c] = t.shape;
      const units = x.attrs.int('units');
      x.error({
        code: Codes.denseOnSpatial,
        message: `dense needs a flat input, but this one is the ${formatShape(t.shape)} feature map: flatten it first (${h * w * c} features), or use \`conv ${units} ${h}x${w}\`, the same layer as a convolution`,
        fixes: [
          { title: `Insert flatten (${formatShape(t.shape)} → ${h * w * c})`, insertBefore: 'flatten', preferred: true },
          { title: `Use conv ${units} ${h}x${w} (same ${formatCount(h * w * c * units + units)} params, output 1x1x${units})`, replaceWith: `conv ${units} ${h}x${w}` },
        ],
      });
      return undefined;
    }
    const inFeatures = t.shape[0];
    const units = x.attrs.int('units');
    const bias = x.attrs.flag('nobias') ? 0 : 1;
    return {
      shape: [units],
      params: inFeatures * units + bias * units,
      macs: inFeatures * units,
      rf: field(t.rf.fh, t.rf.fw, t.rf.fh, t.rf.fw),
    };
  },
  lower(x) {
    // Gemm with transB: the weight is [out, in], as PyTorch's Linear stores it.
    const inFeatures = x.shapes[0][0];
    const units = x.attrs.int('units');
    const inputs = [x.inputs[0], x.weight('weight', [units, inFeatures], { he: inFeatures })];
    if (!x.attrs.flag('nobias')) inputs.push(x.weight('bias', [units], 'zeros'));
    return [node('Gemm', inputs, [x.output], { transB: int(1) })];
  },
  torch: (x) => mod(call('nn.Linear', [x.shapes[0][0], x.attrs.int('units')], { bias: x.attrs.flag('nobias') ? 'False' : undefined })),
};

export const flatten: OpDef = {
  name: 'flatten',
  family: 'dense',
  // A view of its input: no storage of its own.
  saved: { inPlace: true, gradView: true, why: 'nothing: its output is a view of its input' },
  ort: { role: 'view' },
  summary: 'Flattens a feature map into a vector: HxWxC → H·W·C features (C·H·W order, as PyTorch and ONNX).',
  attrs: [],
  infer(x): LayerFacts {
    const t = x.inputs[0];
    if (!isSpatial(t.shape)) return { shape: t.shape, params: 0, macs: 0, rf: t.rf };
    const [h, w] = t.shape;
    const rf = field(t.rf.h, t.rf.w, t.rf.jh, t.rf.jw, t.rf.h + (h - 1) * t.rf.jh, t.rf.w + (w - 1) * t.rf.jw);
    return { shape: [elements(t.shape)], params: 0, macs: 0, rf };
  },
  // NCHW flattened from axis 1: C·H·W order, as PyTorch's flatten.
  lower: (x) => single(x, 'Flatten', { axis: int(1) }),
  torch: () => ({ module: 'nn.Flatten()', view: true }),
};
