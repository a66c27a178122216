import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { analyze } from '../language/index.js';
import { exportNetwork } from '../runtime/export.js';
import { ROOT } from './lib/cli.js';

// Every example exports, loads in onnxruntime-node on the CPU and runs; every layer's output shape as ONNX
// Runtime computes it (read as an intermediate output) equals the shape the analysis predicts. Strict shape
// inference: a shape ONNX's own inference disagrees with fails the session instead of being overridden.
const files = [
  ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.stride')).sort().map((f) => `examples/${f}`),
  // Every op and structure, with the attributes that change their ONNX form.
  'test/fixtures/ops.stride',
  'test/fixtures/notes.stride',
];

for (const file of files) {
  test(`${file}: every network exports and runs, each layer's shape as analysed`, async () => {
    const a = analyze(readFileSync(join(ROOT, file), 'utf8'));
    for (const net of a.networks) {
      const model = exportNetwork(a, net, { allOutputs: true, seed: 1 });
      const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', extra: { session: { strict_shape_type_inference: '1' } } });
      const size = model.input.shape.reduce((x, d) => x * d, 1);
      const input = new ort.Tensor('float32', Float32Array.from({ length: size }, (_, i) => Math.sin(i)), [1, ...model.input.shape]);
      const out = await session.run({ input });
      for (const layer of model.layers) {
        const t = out[layer.name];
        assert.ok(t, `${net.name}: ${layer.name} is an output`);
        assert.deepEqual(t.dims, [1, ...layer.shape], `${net.name}: ${layer.name} (line ${layer.line}, ${layer.op})`);
        const data = t.data as Float32Array;
        assert.ok(data.every(Number.isFinite), `${net.name}: ${layer.name} is finite`);
      }
      await session.release();
    }
  });
}
