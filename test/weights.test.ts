import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../language/index.js';
import { declaredWeights, exportNetwork } from '../runtime/export.js';
import { loadWeights, WeightsError } from '../runtime/weights-file.js';

// Weights by name from .safetensors and .onnx, checked against what the network declares.
const a = analyze('network N {\n  input 4x4x2\n  conv 3 3x3 pad 1\n  batchnorm\n  flatten\n  dense 5 nobias\n}\n');
const net = a.networks[0];
const specs = declaredWeights(a, net);

function safetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer), at);
    at += t.data.byteLength;
  }
  return out;
}

test('the naming scheme: <layer>.weight, .bias, and batchnorm running statistics', () => {
  assert.deepEqual(
    specs.map((w) => `${w.name} ${w.dims.join('x')}`),
    ['conv_1.weight 3x2x3x3', 'conv_1.bias 3', 'batchnorm_1.weight 3', 'batchnorm_1.bias 3', 'batchnorm_1.running_mean 3', 'batchnorm_1.running_var 3', 'dense_1.weight 5x48'],
  );
});

test('weights from a .safetensors file are used by name', () => {
  const tensors = Object.fromEntries(specs.map((w, i) => [w.name, { shape: w.dims, data: Float32Array.from({ length: w.dims.reduce((x, d) => x * d, 1) }, (_, j) => i + j / 100) }]));
  const loaded = loadWeights(safetensors(tensors), 'w.safetensors', specs);
  assert.deepEqual([...loaded.get('dense_1.weight')!.slice(0, 3)], [6, 6.01, 6.02].map((v) => Math.fround(v)));
  const model = exportNetwork(a, net, { weights: loaded });
  // An exported model's initializers are a weights file too: the round trip gives the same model.
  assert.deepEqual(exportNetwork(a, net, { weights: loadWeights(model.bytes, 'm.onnx', specs) }).bytes, model.bytes);
});

test('every missing, extra or wrongly shaped tensor is named', () => {
  const tensors = Object.fromEntries(specs.filter((w) => w.name !== 'conv_1.bias').map((w) => [w.name, { shape: w.dims, data: new Float32Array(w.dims.reduce((x, d) => x * d, 1)) }]));
  tensors['dense_1.weight'] = { shape: [5, 47], data: new Float32Array(235) };
  tensors['head.weight'] = { shape: [2], data: new Float32Array(2) };
  assert.throws(
    () => loadWeights(safetensors(tensors), 'bad.safetensors', specs),
    (e: unknown) => e instanceof WeightsError && e.message === 'bad.safetensors: 3 problems with the weights: missing conv_1.bias (3); dense_1.weight is 5×47, the network needs 5×48; extra head.weight: no layer has a weight of that name',
  );
});

test('corrupt weights files give one clear message', () => {
  for (const [bytes, message] of [
    [new Uint8Array([1, 2, 3]), /not a safetensors file \(too short\)/],
    [new Uint8Array([255, 0, 0, 0, 0, 0, 0, 0, 1]), /header size \d+ does not fit/],
    [safetensors({ 'conv_1.bias': { shape: [3], data: new Float32Array(3) } }).slice(0, 60), /truncated|offsets|does not fit|not JSON/],
  ] as const) {
    assert.throws(() => loadWeights(bytes, 'x.safetensors', specs), (e: unknown) => e instanceof WeightsError && message.test(e.message));
  }
  assert.throws(() => loadWeights(new Uint8Array([8, 255, 255, 255]), 'x.onnx', specs), (e: unknown) => e instanceof WeightsError && /x\.onnx: not an ONNX model/.test(e.message));
});
