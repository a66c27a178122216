import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../language/index.js';
import { declaredWeights, exportNetwork } from '../runtime/export.js';
import { ModelProto } from '../runtime/onnx/proto.js';
import { initialise, initialiseInto, weightBuffer } from '../runtime/weights.js';
import { ZIGGURAT_WASM } from '../runtime/ziggurat-wasm.js';
import type { WeightInit } from '../language/ops/types.js';
import { ROOT } from './lib/cli.js';

// The seeded initial weights and the model bytes they are written into: what the documentation of
// runtime/weights.ts says the values are, read back by protobufjs's own decoder.

test('He weights are normal with the documented standard deviation, and seeded by the seed and the name', () => {
  const fanIn = 3 * 3 * 64;
  const w = initialise('conv_2.weight', 400_000, { he: fanIn }, 7);
  const sigma = Math.sqrt(2 / fanIn);
  let sum = 0;
  let squares = 0;
  let fourth = 0;
  const beyond = [0, 0, 0];
  for (const v of w) {
    sum += v;
    squares += v * v;
    fourth += (v / sigma) ** 4;
    for (const k of [1, 2, 3]) if (Math.abs(v) > k * sigma) beyond[k - 1]++;
  }
  const mean = sum / w.length;
  const std = Math.sqrt(squares / w.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.01 * sigma, `mean ${mean}`);
  assert.ok(Math.abs(std / sigma - 1) < 0.01, `std ${std} vs √(2/fan_in) ${sigma}`);
  // A normal's shape: 31.73%, 4.55% and 0.27% beyond one, two and three standard deviations; kurtosis 3.
  const share = beyond.map((n) => n / w.length);
  assert.ok(Math.abs(share[0] - 0.3173) < 0.004 && Math.abs(share[1] - 0.0455) < 0.002 && Math.abs(share[2] - 0.0027) < 0.0006, `beyond 1, 2, 3σ: ${share}`);
  assert.ok(Math.abs(fourth / w.length - 3) < 0.05, `kurtosis ${fourth / w.length}`);
  // The same seed and name, the same values, whether drawn at once or into a model's bytes in pieces.
  assert.deepEqual(initialise('conv_2.weight', 1000, { he: fanIn }, 7), w.subarray(0, 1000));
  const bytes = new Uint8Array(4 * 200_001 + 1);
  initialiseInto(bytes.subarray(1), 'conv_2.weight', 200_001, { he: fanIn }, 7);
  assert.deepEqual(new Float32Array(bytes.slice(1).buffer), w.subarray(0, 200_001));
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

test('the WebAssembly kernel draws the same values, to the bit, at every length and alignment', () => {
  const cases: [number, WeightInit][] = [
    ...Array.from({ length: 14 }, (_, n): [number, WeightInit] => [n, { he: 9 }]),
    [1_000_003, { he: 576 }],
    [300_001, { xavier: [512, 10] }],
  ];
  for (const [count, init] of cases) {
    for (const offset of [0, 1, 2, 3]) {
      const plain = new Uint8Array(4 * count + offset + 4).fill(0xee);
      initialiseInto(plain.subarray(offset, offset + 4 * count), 'block.conv_1.weight', count, init, 11);
      const drawn = weightBuffer(4 * count + offset + 4).fill(0xee);
      initialiseInto(drawn.subarray(offset, offset + 4 * count), 'block.conv_1.weight', count, init, 11);
      // Not a byte before or after the tensor is touched, and none in it differs.
      assert.ok(Buffer.from(drawn).equals(Buffer.from(plain)), `${count} values at offset ${offset}`);
    }
  }
  // Values beyond the ziggurat's r = 3.4426σ come only from the base strip's tail, which the kernel leaves
  // to weights.ts: the comparison above went through that hand-over too.
  const sigma = Math.sqrt(2 / 576);
  const tails = initialise('block.conv_1.weight', 1_000_003, { he: 576 }, 11).filter((v) => Math.abs(v) > 3.4426 * sigma).length;
  assert.ok(tails > 100, `${tails} values from the base strip's tail`);
  // The buffer a model is written into starts as zeros, as a new Uint8Array does.
  assert.ok(weightBuffer(100_000).every((b) => b === 0));
});

test('the kernel in ziggurat-wasm.ts is ziggurat.wat assembled', async () => {
  const { assemble } = (await import(join(ROOT, 'scripts', 'build-wasm.mjs'))) as { assemble(path: string): Promise<Buffer> };
  const built = await assemble(join(ROOT, 'runtime', 'ziggurat.wat'));
  assert.ok(built.equals(Buffer.from(ZIGGURAT_WASM, 'base64')), 'run `node scripts/build-wasm.mjs` after changing ziggurat.wat');
});
