import { Codes } from '../base/diagnostics.js';
import { channels } from '../base/shape.js';
import { spatialInput } from './common.js';
import { float, int, node, single } from './onnx.js';
import type { LayerFacts, OpDef } from './types.js';

export const batchnorm: OpDef = {
  name: 'batchnorm',
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
};

export const lrn: OpDef = {
  name: 'lrn',
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
  lower: (x) => single(x, 'LRN', { size: int(x.attrs.int('size')), alpha: float(x.attrs.float('alpha')), beta: float(x.attrs.float('beta')), bias: float(x.attrs.float('k')) }),
};

