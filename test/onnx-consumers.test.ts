import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyze } from '../language/index.js';
import { exportNetwork } from '../runtime/export.js';
import { encodeNpy } from '../runtime/npy-write.js';
import { readNpy } from '../runtime/npy.js';
import { ROOT, stride } from './lib/cli.js';

// What Stride writes is read by tools that are not Stride: the onnx package's checker (full check, strict
// shape inference; onnx 1.12 reads opsets up to 17) and PyTorch, from Debian's python3-onnx and
// python3-torch, run with Debian's own interpreter.
const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'stride-consumers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function python(script: string, args: string[]): string {
  const r = spawnSync(PYTHON, [join(ROOT, 'test/python', script), ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) assert.fail(`${script} failed (${r.error?.message ?? r.stderr.trim().split('\n').pop()}); these tests need Debian's python3-onnx and python3-torch: apt-get install -y python3-torch python3-onnx`);
  return r.stdout;
}

test('every op and structure exports at opset 17 to a model the onnx checker accepts', () => {
  const files: string[] = [];
  for (const fixture of ['test/fixtures/ops.stride', 'test/fixtures/notes.stride']) {
    const a = analyze(readFileSync(join(ROOT, fixture), 'utf8'));
    // The notes' 100M-parameter dense heads add nothing the ops fixture does not check but minutes.
    for (const net of a.networks.filter((n) => n.totals.params < 10_000_000)) {
      const out = join(dir, `${net.name}.onnx`);
      writeFileSync(out, exportNetwork(a, net, { opset: 17, seed: 1 }).bytes);
      files.push(out);
    }
  }
  const results = python('check_models.py', files).trim().split('\n').map((l) => JSON.parse(l) as { file: string; ok: boolean; error?: string });
  assert.equal(results.length, files.length);
  assert.deepEqual(results.filter((r) => !r.ok), []);
});

test('maxpool 2x2 stride 2 pad 1 ceil on 5x5: 3x3 for the checker, ONNX Runtime and PyTorch, with PyTorch\'s values', () => {
  const src = join(dir, 'ceil.stride');
  writeFileSync(src, 'network CeilPool {\n  input 5x5x1\n  maxpool 2x2 stride 2 pad 1 ceil\n}\n');
  const model = join(dir, 'ceil.onnx');
  assert.equal(stride(['export', src, '--opset', '17', '-o', model]).status, 0);
  const [checked] = python('check_models.py', [model]).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(checked.ok, true, checked.error);
  const input = join(dir, 'ceil-in.npy');
  // Distinct values, largest in the last row and column, so every window's maximum tells where it lies.
  writeFileSync(input, Buffer.concat(encodeNpy([1, 1, 5, 5], Float32Array.from({ length: 25 }, (_, i) => i))));
  const ours = join(dir, 'ceil-stride.npy');
  const r = stride(['run', src, '--input', input, '--output', ours, '--ep', 'cpu', '--iterations', '0']);
  assert.equal(r.status, 0, r.stderr);
  const torch = join(dir, 'ceil-torch.npy');
  python('ceil_pool.py', [input, torch]);
  const want = readNpy(readFileSync(torch), torch);
  assert.deepEqual(want.shape, [1, 1, 3, 3]);
  assert.deepEqual(readNpy(readFileSync(ours), ours), want);
});

test('an op newer than the opset chosen computes the same in its older form (GELU at opset 17)', async () => {
  const ort = await import('onnxruntime-node');
  const a = analyze('network G {\n  input 8x8x3\n  gelu\n}\n');
  const x = new ort.Tensor('float32', Float32Array.from({ length: 192 }, (_, i) => (i - 96) / 16), [1, 3, 8, 8]);
  const outputs: Float32Array[] = [];
  for (const opset of [17, 21]) {
    const model = exportNetwork(a, a.networks[0], { opset });
    const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'] });
    outputs.push((await session.run({ input: x }))[model.output.name].data as Float32Array);
    await session.release();
  }
  for (let i = 0; i < 192; i++) assert.ok(Math.abs(outputs[0][i] - outputs[1][i]) <= 1e-6 * Math.max(1, Math.abs(outputs[1][i])), `value ${i}: ${outputs[0][i]} vs ${outputs[1][i]}`);
});
