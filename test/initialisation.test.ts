import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../language/index.js';
import { declaredWeights, exportNetwork } from '../runtime/export.js';
import { ModelProto } from '../runtime/onnx/proto.js';
import { mulberry32 } from '../runtime/random.js';
import { initialise } from '../runtime/weights.js';
import { ROOT } from './lib/cli.js';

// The seeded initial weights and the model bytes they are written into: what the documentation of
// runtime/weights.ts says the values are, read back by protobufjs's own decoder.

test('He weights are normal with the documented standard deviation, drawn by the polar method, and seeded', () => {
  const fanIn = 3 * 3 * 64;
  const w = initialise('conv_2.weight', 200_000, { he: fanIn }, 7);
  const sigma = Math.sqrt(2 / fanIn);
  let sum = 0;
  let squares = 0;
  let beyond = 0;
  for (const v of w) {
    sum += v;
    squares += v * v;
    if (Math.abs(v) > 2 * sigma) beyond++;
  }
  const mean = sum / w.length;
  const std = Math.sqrt(squares / w.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.01 * sigma, `mean ${mean}`);
  assert.ok(Math.abs(std / sigma - 1) < 0.01, `std ${std} vs √(2/fan_in) ${sigma}`);
  // A normal's tails: 4.55% beyond two standard deviations.
  assert.ok(Math.abs(beyond / w.length - 0.0455) < 0.003, `${beyond / w.length} beyond 2σ`);
  // The stream is mulberry32 seeded from the seed and the name; pairs in the unit disc become u·f, v·f.
  let h = 7;
  for (const c of 'conv_2.weight') h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0;
  const next = mulberry32(h);
  const want: number[] = [];
  while (want.length < 1000) {
    const u = 2 * next() - 1;
    const v = 2 * next() - 1;
    const s = u * u + v * v;
    if (s >= 1 || s === 0) continue;
    const f = sigma * Math.sqrt((-2 * Math.log(s)) / s);
    want.push(Math.fround(u * f), Math.fround(v * f));
  }
  assert.deepEqual([...w.subarray(0, 1000)], want.slice(0, 1000));
  assert.deepEqual(initialise('conv_2.weight', 1000, { he: fanIn }, 7), w.subarray(0, 1000));
  assert.notDeepEqual(initialise('conv_2.weight', 1000, { he: fanIn }, 8), w.subarray(0, 1000));
  assert.notDeepEqual(initialise('conv_3.weight', 1000, { he: fanIn }, 7), w.subarray(0, 1000));
});

test('the model bytes decode to the graph and to each initializer with its seeded values', () => {
  const a = analyze(readFileSync(join(ROOT, 'examples', 'resnet18.stride'), 'utf8'));
  const net = a.networks[0];
  const { bytes } = exportNetwork(a, net, { seed: 3 });
  const model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as {
    ir_version: number;
    graph: { node: unknown[]; input: unknown[]; initializer: { name: string; dims: number[]; data_type: number; raw_data: Uint8Array }[] };
  };
  assert.equal(model.ir_version, 10);
  assert.ok(model.graph.node.length > 50 && model.graph.input.length === 1);
  const specs = declaredWeights(a, net);
  assert.deepEqual(model.graph.initializer.map((t) => t.name), specs.map((w) => w.name));
  for (const [i, t] of model.graph.initializer.entries()) {
    const spec = specs[i];
    assert.deepEqual(t.dims, spec.dims, t.name);
    if (typeof spec.init === 'object' && 'int64' in spec.init) continue;
    const count = spec.dims.reduce((p, d) => p * d, 1);
    const got = new Float32Array(t.raw_data.slice().buffer);
    assert.deepEqual(got, initialise(spec.name, count, spec.init, 3), t.name);
  }
});
