import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stride, summaryJson } from './lib/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'stride-cli-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const alexConv1 = file('conv1.stride', 'network A {\n  input 227x227x3\n  conv 96 11x11 stride 4\n}\n');

test('--json has the documented shape', () => {
  const { status, json } = summaryJson(alexConv1);
  assert.equal(status, 0);
  assert.deepEqual(json.diagnostics, []);
  const [n] = json.networks;
  assert.equal(n.name, 'A');
  assert.equal(n.params, 34_944);
  assert.equal(n.trainableParams, 34_944);
  assert.equal(n.macs, 105_415_200);
  for (const k of ['parameters', 'gradients', 'optimizer', 'activations', 'input', 'training', 'inference']) {
    assert.ok(Number.isInteger(n.memory[k]), `memory.${k} is an integer`);
  }
  assert.deepEqual(
    n.layers.map((l) => [l.line, l.op, l.shape, l.params, l.unsharedParams, l.macs, l.receptiveField]),
    [
      [2, 'input', [227, 227, 3], 0, 0, 0, 1],
      [3, 'conv', [55, 55, 96], 34_944, 105_705_600, 105_415_200, 11],
    ],
  );
  assert.deepEqual(n.layers[1].formula, ['(227 − 11 + 2·0) / 4 + 1 = 55']);
});

test('memory follows batch, dtype and optimizer', () => {
  const base = summaryJson(alexConv1).json.networks[0].memory;
  const m = summaryJson(alexConv1, ['--batch', '8', '--dtype', 'float16', '--optimizer', 'adam']).json.networks[0].memory;
  assert.equal(base.parameters, 34_944 * 4);
  assert.equal(m.parameters, 34_944 * 2);
  assert.equal(m.gradients, 34_944 * 2);
  assert.equal(m.optimizer, 2 * 34_944 * 2);
  assert.equal(m.input, 8 * 227 * 227 * 3 * 2);
  // training keeps the conv output and its gradient for every sample
  assert.equal(m.activations, 8 * 2 * 55 * 55 * 96 * 2);
  assert.equal(m.training, (m.parameters as number) + (m.gradients as number) + (m.optimizer as number) + (m.activations as number) + (m.input as number));
  assert.equal(m.inference, (m.parameters as number) + 8 * 55 * 55 * 96 * 2 + (m.input as number));
});

test('a budget gives the largest batch that fits, and a warning when over it', () => {
  const big = file('big.stride', 'network Big {\n  input 224x224x3\n  repeat 4 { conv 64 3x3 pad 1; relu }\n}\n');
  const { status, json } = summaryJson(big, ['--batch', '512', '--budget', '1']);
  assert.equal(status, 0, 'a warning is not an error');
  const m = json.networks[0].memory;
  const perSample = 2 * 8 * 224 * 224 * 64 * 4 + 224 * 224 * 3 * 4;
  const fixed = 3 * 4 * (1792 + 3 * 36_928);
  assert.equal(m.maxBatch, Math.floor((1024 ** 3 - fixed) / perSample));
  const [d] = json.diagnostics;
  assert.equal(d.code, 'memory-over-budget');
  assert.equal(d.line, 1);
  assert.match(d.message, /largest batch that fits is \d+/);
});

test('errors print as file:line:col and exit 1', () => {
  const bad = file('bad.stride', 'network B {\n  input 32x32x3\n  conv 16 3x3 strid 2\n}\n');
  const r = stride(['summary', bad]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:15: error: conv has no attribute \`strid\`; did you mean \`stride\`\\?`));
});

test('usage and file problems exit 2 without a stack trace', () => {
  for (const args of [['summary'], ['summary', join(dir, 'missing.stride')], ['summary', alexConv1, '--batch', '0'], ['summary', alexConv1, '--dtype', 'int8'], ['frobnicate'], ['summary', alexConv1, '--nope']]) {
    const r = stride(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^stride: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('the human table shows shapes, params and totals', () => {
  const r = stride(['summary', alexConv1]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /conv_1\s+3\s+55x55x96\s+34,944\s+105,415,200\s+11/);
  assert.match(r.stdout, /params\s+34,944 trainable\n/);
  assert.match(r.stdout, /training\s+\d/);
});

test('export writes an ONNX model ONNX Runtime loads, with the analysed output shape', async () => {
  const out = join(dir, 'conv1.onnx');
  const r = stride(['export', alexConv1, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /input input N×3×227×227, output conv_1 N×96×55×55, 1 layers, 34,944 weights/);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(out);
  assert.deepEqual(session.inputNames, ['input']);
  assert.deepEqual(session.outputNames, ['conv_1']);
  await session.release();
});

test('export refuses a file with errors, naming the first, and asks which network when there are several', () => {
  const bad = file('bad-export.stride', 'network B {\n  input 32x32x3\n  conv 16 3x3 strid 2\n}\n');
  const r = stride(['export', bad]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error: the file has 1 error; the first, at 3:15: conv has no attribute `strid`/);
  const two = file('two.stride', 'network A {\n  input 8x8x1\n}\nnetwork B {\n  input 8x8x1\n}\n');
  const t = stride(['export', two]);
  assert.equal(t.status, 1);
  assert.match(t.stderr, /2 networks \(A, B\): choose one with --network/);
  assert.equal(stride(['export', two, '--network', 'B', '-o', join(dir, 'b.onnx')]).status, 0);
});

test('an empty file is told how a network starts, by summary and by export', () => {
  const empty = file('empty.stride', '');
  const s = stride(['summary', empty]);
  assert.equal(s.status, 0);
  assert.match(s.stdout, /^no network in this file; start one with\n\n {2}network Net \{\n {4}input 224x224x3\n/);
  const e = stride(['export', empty, '-o', join(dir, 'empty.onnx')]);
  assert.equal(e.status, 1);
  assert.match(e.stderr, /empty\.stride: error: no network in this file; start one with\n/);
  assert.doesNotMatch(e.stderr, /0 networks/);
});
