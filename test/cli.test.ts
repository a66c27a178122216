import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ANALYSIS_NODE_FLAGS } from '../runtime/node-flags.js';
import { ROOT, stride, summaryJson } from './lib/cli.js';

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
  for (const k of ['parameters', 'gradients', 'optimizerState', 'optimizerTemporaries', 'kept', 'liveActivations', 'activationGradients', 'input', 'trainingPeak', 'framework', 'training', 'savedForBackward', 'notesRule', 'inference']) {
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

// One conv on the input, worked by hand as PyTorch runs a train step. The conv keeps its input, which is
// the input batch; its output is the network's output, held by the caller to the end. Backward starts at
// the conv: the output's gradient (one output's size) and the weight gradient are made there, and that is
// the peak, with what the conv's backward allocates meanwhile (the output's gradient reordered, 96 channels
// being a whole number of blocks of 8, and a weight gradient of its own; the 3-channel input is read as
// it is), since at the optimizer's step the output's gradient is gone and Adam's temporaries (two copies
// of the 96x3x11x11 weight) are smaller.
const OUT = 55 * 55 * 96;
const PARAMS = 34_944;
const WEIGHT = 96 * 3 * 11 * 11;
const INPUT = 227 * 227 * 3;
const GPU = 282 * 2 ** 20;

test('memory follows batch, dtype and optimizer', () => {
  const base = summaryJson(alexConv1).json.networks[0].memory;
  assert.equal(base.parameters, PARAMS * 4);
  assert.equal(base.framework, GPU);
  const m = summaryJson(alexConv1, ['--batch', '8', '--dtype', 'float16', '--optimizer', 'adam']).json.networks[0].memory;
  assert.equal(m.parameters, PARAMS * 2);
  assert.equal(m.optimizerState, 2 * PARAMS * 2);
  assert.equal(m.input, 8 * INPUT * 2);
  assert.deepEqual(m.peak, { phase: 'backward', layer: 'conv_1' });
  assert.equal(m.gradients, PARAMS * 2);
  assert.equal(m.kept, 0, 'the conv keeps the input batch, counted as the input');
  assert.equal(m.liveActivations, 8 * OUT * 2, 'the output, held by the caller');
  assert.equal(m.activationGradients, 8 * OUT * 2);
  assert.equal(m.optimizerTemporaries, 0, 'not in the step');
  assert.equal(m.scratch, 8 * OUT * 2 + PARAMS * 2);
  const peak = PARAMS * 2 + 2 * PARAMS * 2 + 8 * INPUT * 2 + PARAMS * 2 + 2 * 8 * OUT * 2 + (8 * OUT * 2 + PARAMS * 2);
  assert.equal(m.trainingPeak, peak);
  assert.ok(peak > PARAMS * 2 * 3 + 2 * WEIGHT * 2 + 8 * OUT * 2 + 8 * INPUT * 2, 'the step is lower');
  assert.equal(m.training, peak + GPU);
  // The notes' rule keeps the conv output and its gradient for every sample.
  assert.equal(m.notesRule, PARAMS * 2 * 4 + 8 * 2 * OUT * 2 + 8 * INPUT * 2);
  // Inference is ONNX Runtime's float32 session, whatever the training dtype: its own 34 MiB, the weights
  // three times (the model's, the initializer, the NCHWc reorder) and, as the largest conv weight, half once
  // more (glibc keeps a freed copy of it only sometimes), the plan's peak twice (the conv's blocked
  // output and its plain copy for the graph's output), the output twice more and ten runs' uncollected
  // copies of it, at most 32 MiB.
  assert.equal(m.inference, 34 * 2 ** 20 + 3.5 * PARAMS * 4 + 2 * (2 * 8 * OUT * 4) + 2 * 8 * OUT * 4 + 32 * 2 ** 20);
});

test('mixed precision: 16-bit activations and weight copies, float32 input, weights, gradients and state', () => {
  const m = summaryJson(alexConv1, ['--batch', '8', '--dtype', 'mixed_float16', '--optimizer', 'adam', '--framework', '0']).json.networks[0].memory;
  assert.equal(m.parameters, PARAMS * 4);
  assert.equal(m.optimizerState, 2 * PARAMS * 4);
  assert.equal(m.input, 8 * INPUT * 4, 'the input batch stays float32');
  assert.equal(m.framework, 0);
  assert.equal(m.kept, PARAMS * 2 + 8 * INPUT * 2, "the conv's float16 weights and input, kept for its backward");
  assert.equal(m.scratch, 8 * OUT * 2 + PARAMS * 2, 'its backward works on the float16 weights');
  assert.equal(m.trainingPeak, PARAMS * 4 * 4 + (PARAMS * 2 + 8 * INPUT * 2) + 8 * INPUT * 4 + 2 * 8 * OUT * 2 + (8 * OUT * 2 + PARAMS * 2));
});

test('a budget gives the largest batch that fits, and a warning when over it', () => {
  const big = file('big.stride', 'network Big {\n  input 224x224x3\n  repeat 4 { conv 64 3x3 pad 1; relu }\n}\n');
  const { status, json } = summaryJson(big, ['--batch', '512', '--budget', '1']);
  assert.equal(status, 0, 'a warning is not an error');
  const m = json.networks[0].memory;
  // Each conv output is kept (by the in-place ReLU after it and the next conv) until the backward walk has
  // passed that ReLU; the last is the output, held to the end. The most alive at once is the last conv's
  // backward: all four, the gradients of its output and of its input, its weight gradient, and what it
  // allocates meanwhile (its input and the output's gradient reordered, a weight gradient of its own).
  const e = 224 * 224 * 64;
  const perSample = (8 * e + 224 * 224 * 3) * 4;
  const params = 4 * (1792 + 3 * 36_928);
  const fixed = params + GPU + 2 * 36_928 * 4;
  assert.equal(m.maxBatch, Math.floor((1024 ** 3 - fixed) / perSample));
  for (const [batch, fits] of [[m.maxBatch as number, true], [(m.maxBatch as number) + 1, false]] as const) {
    const at = summaryJson(big, ['--batch', String(batch), '--budget', '1']).json.networks[0].memory;
    assert.equal((at.training as number) <= 1024 ** 3, fits, `batch ${batch}`);
  }
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

test('the stride command runs with the language server\'s V8 settings', () => {
  const bin = join(ROOT, 'bin', 'stride.js');
  const shebang = readFileSync(bin, 'utf8').split('\n')[0];
  assert.equal(shebang, `#!/usr/bin/env -S node ${ANALYSIS_NODE_FLAGS.join(' ')}`);
  // As npm's bin link runs it: the file itself, through its first line.
  const r = spawnSync(bin, ['summary', alexConv1], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /34,944/);
});
