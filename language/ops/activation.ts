import { float, int, node, single } from './onnx.js';
import { call, channelsOf, DROP_PATH, inplace, mod, pyFloat } from './torch.js';
import type { LayerFacts, LowerInput, OnnxNode, OpDef, OrtPlan, Saved } from './types.js';

/** ReLU as torchvision runs it, in place: autograd keeps its output, the storage of the tensor it overwrote. */
const IN_PLACE: Saved = { keeps: 'output', inPlace: true, why: 'its output, in place: the same tensor as its input; its sign masks the gradient' };
/** Ops whose gradient is computed from their output (σ′ = σ(1 − σ)) or from their input. */
const KEEPS_OUTPUT: Saved = { keeps: 'output', why: 'its output, which its derivative is computed from' };
const KEEPS_INPUT: Saved = { keeps: 'input', why: 'its input, which its derivative is computed from' };
/** The activations ONNX Runtime takes into the conv or Gemm before them (FusedConv, FusedGemm). */
const ACTIVATION: OrtPlan = { role: 'activation' };

/** Elementwise ops: same shape out as in, no parameters, no weight multiplications. */
function elementwise(name: string, summary: string, lower: (x: LowerInput) => OnnxNode[], extra: Partial<OpDef> = {}): OpDef {
  return {
    name,
    family: 'activation',
    summary,
    attrs: [],
    infer: (x): LayerFacts => ({ shape: x.inputs[0].shape, params: 0, macs: 0, rf: x.inputs[0].rf }),
    lower,
    ...extra,
  };
}

export const relu = elementwise('relu', 'ReLU: max(0, x), the usual activation after a conv.', (x) => single(x, 'Relu'), { saved: IN_PLACE, ort: ACTIVATION, torch: (x) => mod(call('nn.ReLU', [], { inplace: inplace(x) })) });
export const relu6 = elementwise('relu6', 'ReLU6: min(max(0, x), 6), as in MobileNet.', (x) => [
  node('Clip', [x.inputs[0], x.weight('min', [], { values: [0] }), x.weight('max', [], { values: [6] })], [x.output]),
], { torch: (x) => mod(call('nn.ReLU6', [], { inplace: inplace(x) })), ort: ACTIVATION, saved: { inPlace: true, copies: 1, why: 'a copy of its input (it runs in place as hardtanh_), whose range masks the gradient' } }); // ReLU6 runs in place as hardtanh_, whose autograd keeps a copy of its input
export const sigmoid = elementwise('sigmoid', 'Sigmoid: 1 / (1 + e^−x), squashes to (0, 1).', (x) => single(x, 'Sigmoid'), { saved: KEEPS_OUTPUT, ort: ACTIVATION, torch: () => mod('nn.Sigmoid()') });
export const tanh = elementwise('tanh', 'Tanh: squashes to (−1, 1); the usual output of a GAN generator.', (x) => single(x, 'Tanh'), { saved: KEEPS_OUTPUT, ort: ACTIVATION, torch: () => mod('nn.Tanh()') });
export const gelu = elementwise('gelu', 'GELU: x·Φ(x), a smooth ReLU.', (x) => {
  if (x.opset >= 20) return single(x, 'Gelu');
  // Gelu is an ONNX op from opset 20; before it, its definition: x · ½ · (1 + erf(x / √2)).
  const [scaled, erf, shifted, product] = ['scaled', 'erf', 'shifted', 'product'].map((t) => x.temp(t));
  return [
    node('Div', [x.inputs[0], x.weight('sqrt2', [], { values: [Math.SQRT2] })], [scaled]),
    node('Erf', [scaled], [erf]),
    node('Add', [erf, x.weight('one', [], { values: [1] })], [shifted]),
    node('Mul', [x.inputs[0], shifted], [product]),
    node('Mul', [product, x.weight('half', [], { values: [0.5] })], [x.output]),
  ];
}, { saved: KEEPS_INPUT, torch: () => mod('nn.GELU()') });
export const silu = elementwise('silu', 'SiLU (swish): x·sigmoid(x).', (x) => {
  const s = x.temp('sigmoid');
  return [node('Sigmoid', [x.inputs[0]], [s]), node('Mul', [x.inputs[0], s], [x.output])];
}, { aliases: ['swish'], saved: KEEPS_INPUT, torch: (x) => mod(call('nn.SiLU', [], { inplace: inplace(x) })) });
export const leakyrelu = elementwise('leakyrelu', 'Leaky ReLU: x for x > 0, alpha·x otherwise.', (x) => single(x, 'LeakyRelu', { alpha: float(x.attrs.float('alpha')) }), {
  attrs: [{ name: 'alpha', kind: 'float', positional: true, default: 0.01, min: 0, doc: 'Slope for negative inputs.' }],
  saved: KEEPS_INPUT,
  ort: ACTIVATION,
  torch: (x) => mod(call('nn.LeakyReLU', [pyFloat(x.attrs.float('alpha'))], { inplace: inplace(x) })),
});
export const softmax = elementwise('softmax', 'Softmax over the channels (the classes): outputs sum to 1.', (x) => single(x, 'Softmax', { axis: int(1) }), { saved: KEEPS_OUTPUT, torch: () => mod('nn.Softmax(dim=1)') });
// At inference dropout is the identity, which is what an exported model runs.
export const dropout = elementwise('dropout', 'Dropout: zeroes a random fraction p of activations while training; the identity at inference.', (x) => single(x, 'Identity'), {
  attrs: [{ name: 'p', kind: 'float', positional: true, default: 0.5, min: 0, max: 1, maxExclusive: true, doc: 'Probability of dropping each activation.' }],
  // Its mask, in the activations' dtype (PyTorch's CPU kernel; a CUDA one keeps one byte an element).
  saved: { copies: 1, why: 'its mask, one value per element' },
  ort: { role: 'dropout' },
  torch: (x) => ({ module: call('nn.Dropout', [pyFloat(x.attrs.float('p'))]), view: true }),
});

/** HardSigmoid as PyTorch defines it, relu6(x + 3) / 6: ONNX's HardSigmoid with alpha 1/6 (its default is 0.2). */
const HARD_SIGMOID = { alpha: float(1 / 6), beta: float(0.5) };

export const hardsigmoid = elementwise('hardsigmoid', 'Hard sigmoid: relu6(x + 3) / 6, the cheap gate of MobileNetV3\'s squeeze-and-excitation.', (x) => single(x, 'HardSigmoid', HARD_SIGMOID), {
  saved: KEEPS_INPUT,
  ort: ACTIVATION,
  torch: (x) => mod(call('nn.Hardsigmoid', [], { inplace: inplace(x) })),
});
export const hardswish = elementwise('hardswish', 'Hard swish: x · relu6(x + 3) / 6, MobileNetV3\'s activation.', (x) => single(x, 'HardSwish'), { saved: KEEPS_INPUT, torch: (x) => mod(call('nn.Hardswish', [], { inplace: inplace(x) })) });
export const mish = elementwise('mish', 'Mish: x · tanh(softplus(x)), a smooth ReLU (YOLOv4).', (x) => {
  if (x.opset >= 18) return single(x, 'Mish');
  // Mish is an ONNX op from opset 18; before it, its definition.
  const [soft, t] = [x.temp('softplus'), x.temp('tanh')];
  return [node('Softplus', [x.inputs[0]], [soft]), node('Tanh', [soft], [t]), node('Mul', [x.inputs[0], t], [x.output])];
}, { saved: KEEPS_INPUT, torch: (x) => mod(call('nn.Mish', [], { inplace: inplace(x) })) });
export const elu = elementwise('elu', 'ELU: x for x > 0, alpha·(e^x − 1) otherwise.', (x) => single(x, 'Elu', { alpha: float(x.attrs.float('alpha')) }), {
  attrs: [{ name: 'alpha', kind: 'float', positional: true, default: 1, min: 0, doc: 'Value the output approaches for very negative inputs (−alpha).' }],
  saved: KEEPS_INPUT,
  torch: (x) => mod(call('nn.ELU', [pyFloat(x.attrs.float('alpha'))], { inplace: inplace(x) })),
});
export const prelu = elementwise('prelu', 'PReLU: leaky ReLU whose slope for negative inputs is learned, one per channel.', (x) => {
  const c = x.shape[x.shape.length - 1];
  const slope = x.weight('weight', [c], { fill: 0.25 });
  if (x.shape.length !== 3) return [node('PRelu', [x.inputs[0], slope], [x.output])];
  // One slope per channel, C×1×1 against N×C×H×W.
  const perChannel = x.temp('slope');
  return [node('Unsqueeze', [slope, x.weight('axes', [2], { int64: [1, 2] })], [perChannel]), node('PRelu', [x.inputs[0], perChannel], [x.output])];
}, {
  infer: (x): LayerFacts => ({ shape: x.inputs[0].shape, params: x.inputs[0].shape[x.inputs[0].shape.length - 1], macs: 0, rf: x.inputs[0].rf }),
  saved: KEEPS_INPUT,
  torch: (x) => mod(call('nn.PReLU', [channelsOf(x)])),
});
// At inference stochastic depth is the identity, which is what an exported model runs.
export const droppath = elementwise('droppath', 'Stochastic depth (drop path): while training, drops the whole branch for a random fraction p of the samples; the identity at inference.', (x) => single(x, 'Identity'), {
  attrs: [{ name: 'p', kind: 'float', positional: true, default: 0.1, min: 0, max: 1, maxExclusive: true, doc: 'Probability of dropping the branch, per sample (torchvision\'s StochasticDepth, mode "row").' }],
  // Its output is the input times a per-sample mask, a new tensor; the mask is one value a sample.
  saved: { why: 'only its keep-or-drop value per sample' },
  ort: { role: 'dropout' },
  torch: (x) => ({ module: call('DropPath', [pyFloat(x.attrs.float('p'))]), helpers: [DROP_PATH], view: true }),
});
