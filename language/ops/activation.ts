import type { LayerFacts, OpDef } from './types.js';

/** Elementwise ops: same shape out as in, no parameters, no weight multiplications. */
function elementwise(name: string, summary: string, extra: Partial<OpDef> = {}): OpDef {
  return {
    name,
    family: 'activation',
    summary,
    attrs: [],
    infer: (x): LayerFacts => ({ shape: x.inputs[0].shape, params: 0, macs: 0, rf: x.inputs[0].rf }),
    ...extra,
  };
}

export const relu = elementwise('relu', 'ReLU: max(0, x), the usual activation after a conv.');
export const relu6 = elementwise('relu6', 'ReLU6: min(max(0, x), 6), as in MobileNet.');
export const sigmoid = elementwise('sigmoid', 'Sigmoid: 1 / (1 + e^−x), squashes to (0, 1).');
export const tanh = elementwise('tanh', 'Tanh: squashes to (−1, 1); the usual output of a GAN generator.');
export const gelu = elementwise('gelu', 'GELU: x·Φ(x), a smooth ReLU.');
export const silu = elementwise('silu', 'SiLU (swish): x·sigmoid(x).', { aliases: ['swish'] });
export const leakyrelu = elementwise('leakyrelu', 'Leaky ReLU: x for x > 0, alpha·x otherwise.', {
  attrs: [{ name: 'alpha', kind: 'float', positional: true, default: 0.01, min: 0, doc: 'Slope for negative inputs.' }],
});
export const softmax = elementwise('softmax', 'Softmax over the channels (the classes): outputs sum to 1.');
export const dropout = elementwise('dropout', 'Dropout: zeroes a random fraction p of activations while training; the identity at inference.', {
  attrs: [{ name: 'p', kind: 'float', positional: true, default: 0.5, min: 0, max: 1, maxExclusive: true, doc: 'Probability of dropping each activation.' }],
});
