import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, stride } from './lib/cli.js';

// `stride run` as a user runs it: export, a child process with ONNX Runtime, the report.
const dir = mkdtempSync(join(tmpdir(), 'stride-run-'));
const lenet = join(ROOT, 'examples/lenet5.stride');

test('--ep auto runs on the CPU here and says why CUDA was not used', () => {
  const r = stride(['run', lenet, '--iterations', '3']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^network LeNet5 on CPU\n/);
  assert.match(r.stdout, /provider {2}CPU: the CUDA execution provider is not available \(.*Failed to load shared library.*\); to use a GPU, install its libraries with: node node_modules\/onnxruntime-node\/script\/install --onnxruntime-node-install=cuda12/);
  assert.match(r.stdout, /output {4}dense_3 1×10: /);
  assert.match(r.stdout, /top-5 {5}#\d+ [\d.]+%/);
  assert.match(r.stdout, /timing {4}session [\d.]+ ms · first run [\d.]+ ms · p50 [\d.]+ ms · p90 [\d.]+ ms over 3 runs/);
});

test('--ep cuda fails with the command that installs the CUDA provider', () => {
  const r = stride(['run', lenet, '--ep', 'cuda']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error: the CUDA execution provider is not available here .* Install its libraries with: node node_modules\/onnxruntime-node\/script\/install --onnxruntime-node-install=cuda12\n$/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('--json reports the output shape, batch and throughput; --profile maps time to source lines', () => {
  const r = stride(['run', join(ROOT, 'examples/resnet18.stride'), '--ep', 'cpu', '--batch', '2', '--iterations', '2', '--profile', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.provider, 'cpu');
  assert.equal(report.reason, 'CPU, as requested');
  assert.deepEqual(report.input.shape, [2, 3, 224, 224]);
  assert.deepEqual(report.output.shape, [2, 1000]);
  assert.equal(report.top5.length, 5);
  assert.ok(report.timings.throughput > 0);
  const conv1 = report.layers.find((l: { name: string }) => l.name === 'conv_1');
  assert.equal(conv1.line, 39);
  assert.ok(conv1.ms > 0, 'conv_1 took time');
  assert.ok(report.layers.filter((l: { ms: number }) => l.ms > 0).length > 20);
});

test('a network with errors gives one message and exit 1, never a stack trace', () => {
  const bad = join(dir, 'bad.stride');
  writeFileSync(bad, 'network B {\n  input 8x8x3\n  conv 4 9x9\n}\n');
  const r = stride(['run', bad]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^.*bad\.stride: error: the file has 1 error; the first, at 3:10: output size .* is not positive/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(stride(['run', lenet, '--ep', 'gpu']).status, 2);
  assert.equal(stride(['run', lenet, '--batch', '0']).status, 2);
});

test('an image input is decoded, resized and converted to the channels the network takes', async () => {
  const { PNG } = await import('pngjs');
  const png = new PNG({ width: 40, height: 30 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([(i / 4) % 256, 128, 60, 255], i);
  const image = join(dir, 'photo.png');
  writeFileSync(image, PNG.sync.write(png));
  // LeNet-5 takes 32x32 grey: the RGB image becomes luma, resized.
  const r = stride(['run', lenet, '--input', image, '--ep', 'cpu', '--iterations', '1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.input.source, image);
  assert.deepEqual(report.input.shape, [1, 1, 32, 32]);
  assert.deepEqual(report.output.shape, [1, 10]);
});

test('a .npy input of the wrong size, a corrupt image and a missing file each give one message', () => {
  const npy = join(dir, 'x.npy');
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }";
  const padded = header.padEnd(118, ' ') + '\n';
  const bytes = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.from([padded.length, 0]), Buffer.from(padded), Buffer.alloc(3 * 28 * 28 * 4)]);
  writeFileSync(npy, bytes);
  const wrong = stride(['run', lenet, '--input', npy]);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /x\.npy: the array has shape \(3, 28, 28\); the network takes 1×32×32 \(C×H×W\) images/);
  const corrupt = join(dir, 'broken.png');
  writeFileSync(corrupt, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
  const c = stride(['run', lenet, '--input', corrupt]);
  assert.equal(c.status, 1);
  assert.match(c.stderr, /broken\.png: corrupt PNG/);
  const missing = stride(['run', lenet, '--input', join(dir, 'nope.png')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read .*nope\.png: no such file/);
  for (const r of [wrong, c, missing]) assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('--capture fetches chosen layers\' feature maps as intermediate outputs', () => {
  const r = stride(['run', lenet, '--ep', 'cpu', '--iterations', '1', '--capture', 'conv_1,maxpool_2', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.captures.map((c: { name: string; line: number; shape: number[] }) => [c.name, c.line, c.shape]), [
    ['conv_1', 10, [1, 6, 28, 28]],
    ['maxpool_2', 17, [1, 16, 5, 5]],
  ]);
});

test('a run can be cancelled, and a run that hangs is stopped, each with a clear error', async () => {
  const { runSource } = await import('../runtime/run.js');
  const { readFileSync } = await import('node:fs');
  const request = { type: 'run-source' as const, text: readFileSync(join(ROOT, 'examples/vgg16.stride'), 'utf8'), seed: 0, provider: 'cpu' as const, iterations: 50, profile: false, captureOps: [], maxChannels: 0 };
  const abort = new AbortController();
  const cancelled = runSource(request, { signal: abort.signal });
  setTimeout(() => abort.abort(), 300);
  await assert.rejects(cancelled, /the run was cancelled/);
  await assert.rejects(runSource(request, { timeoutMs: 300 }), /the run took longer than 300 ms and was stopped/);
});
