import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze, type Fix } from '../language/index.js';
import { ROOT } from './lib/cli.js';

function apply(text: string, fix: Fix): string {
  const edits = [...fix.edits].sort((a, b) => b.span.start - a.span.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.span.start) + e.newText + out.slice(e.span.end);
  return out;
}

test('every computed fix removes the diagnostic it fixes and adds no error', () => {
  const text = readFileSync(join(ROOT, 'test/fixtures/diagnostics.stride'), 'utf8');
  const before = analyze(text);
  const withFixes = before.diagnostics.filter((d) => d.fixes?.length);
  assert.ok(withFixes.length >= 8, `fixture exercises fixes (${withFixes.length})`);
  for (const d of withFixes) {
    for (const fix of d.fixes!) {
      const after = analyze(apply(text, fix));
      const line = (t: string, offset: number) => t.slice(0, offset).split('\n').length;
      const still = after.diagnostics.filter((x) => x.code === d.code && line(after.text, x.span.start) === line(text, d.span.start));
      assert.equal(still.length, 0, `"${fix.title}" leaves ${d.code}: ${still.map((x) => x.message).join('; ')}`);
      const errorsBefore = before.diagnostics.filter((x) => x.severity === 'error').length;
      const errorsAfter = after.diagnostics.filter((x) => x.severity === 'error').length;
      assert.ok(errorsAfter <= errorsBefore, `"${fix.title}" adds errors`);
    }
  }
});

test('the one preferred fix is marked', () => {
  const a = analyze('network N {\n  input 224x224x3\n  conv 96 11x11 stride 4\n}\n');
  const [d] = a.diagnostics;
  assert.equal(d.code, 'stride-does-not-tile');
  assert.deepEqual(d.fixes!.map((f) => !!f.preferred), [true, false]);
});

test('a dense layer after a map gets flatten inserted on its own line, indented alike', () => {
  const text = 'network N {\n    input 7x7x512\n    dense 10\n}\n';
  const d = analyze(text).diagnostics[0];
  assert.equal(d.code, 'dense-on-spatial');
  assert.equal(apply(text, d.fixes![0]), 'network N {\n    input 7x7x512\n    flatten\n    dense 10\n}\n');
});

test('fixes are not offered inside a block, where the text is shared by every call', () => {
  const a = analyze('block B(c) {\n  conv c 11x11 stride 4\n}\nnetwork N {\n  input 224x224x3\n  B 8\n}\n');
  const [d] = a.diagnostics;
  assert.equal(d.code, 'stride-does-not-tile');
  assert.equal(d.fixes, undefined);
  assert.equal(d.related?.[0].message, 'in B called here');
});

test('a runaway repeat stops at the layer limit with a diagnostic', () => {
  const t0 = performance.now();
  const a = analyze('network Big {\n  input 8x8x3\n  repeat 2000 { repeat 1000 { relu } }\n}\n');
  // About 2 s alone; the bound catches an expansion that grows faster than its size, with room for the
  // other test files and PyTorch running beside this one.
  assert.ok(performance.now() - t0 < 30_000);
  assert.equal(a.networks[0].layers.length, 1_100_000);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['expansion-too-large']);
  // Stopped there, its totals undercount.
  assert.equal(a.networks[0].totals.complete, false);
});

test('parsing recovers: a stray token is skipped and the rest of the file still analysed', () => {
  const a = analyze('network N {\n  input 32x32x3\n  conv 16 3x3 ) pad 1\n  conv 8 3x3\n}\n');
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['unexpected-token']);
  assert.deepEqual(a.networks[0].layers.map((l) => l.facts?.shape), [[32, 32, 3], [32, 32, 16], [30, 30, 8]]);
});

test('a missing closing brace is reported at the brace that is never closed, and the next network still parses', () => {
  const a = analyze('network A {\n  input 8x8x3\n  relu\nnetwork B {\n  input 4x4x1\n}\n');
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.span.start]), [['unclosed-brace', 10]]);
  assert.deepEqual(a.networks.map((n) => n.name), ['A', 'B']);
});

test('layers at the top level are told to go inside a network', () => {
  const a = analyze('conv 8 3x3\n');
  assert.equal(a.diagnostics[0].code, 'unexpected-token');
  assert.match(a.diagnostics[0].message, /belongs inside a network/);
});

test('the memory budget warning names the dominant term and the largest batch', () => {
  const a = analyze('network N {\n  input 224x224x3\n  conv 64 3x3 pad 1\n}\n', { batch: 4096, budget: 2 * 1024 ** 3 });
  const [d] = a.diagnostics;
  assert.equal(d.code, 'memory-over-budget');
  // The peak is the conv's backward: its output (held by the caller), the output's gradient, the weight
  // gradient and what the backward allocates meanwhile (the output's gradient reordered, a weight gradient
  // of its own), beside the weights, the input batch and the framework's fixed cost. The scratch is the
  // largest: an output's worth, like the output and its gradient, and a weight gradient more.
  assert.match(d.message, /the largest term is the backward's scratch/);
  assert.equal(a.networks[0].memory.maxBatch, Math.floor((2 * 1024 ** 3 - 3 * 4 * 1792 - 282 * 2 ** 20) / ((3 * 224 * 224 * 64 + 224 * 224 * 3) * 4)));
});

test('inference memory follows ONNX Runtime\'s optimised plan', () => {
  const at = (body: string, block = 8) => analyze(`network N {\n  input 32x32x8\n${body}}\n`, { nchwcBlock: block }).networks[0].memory.inferenceTerms;
  const conv = at('  conv 16 3x3 pad 1\n');
  // One 32x32x16 output, read plain by the graph's output: the blocked value and its reorder.
  assert.equal(conv.activations, 2 * 4 * 32 * 32 * 16);
  assert.deepEqual(at('  conv 16 3x3 pad 1\n  batchnorm\n  relu\n  dropout\n'), { ...conv, weights: conv.weights + 4 * 4 * 16, create: conv.create + 4 * 4 * 16, run: conv.run + 4 * 4 * 16, session: conv.session + 4 * 4 * 16 }, 'batchnorm folds into the conv, relu fuses, dropout is free; only the batchnorm\'s four statistics remain');
  // 12 channels are not whole 8-blocks: the blocked value is rounded up to 16, its plain copy is not.
  assert.equal(at('  conv 12 3x3 pad 1\n').activations, 4 * 32 * 32 * (16 + 12));
  assert.equal(at('  conv 12 3x3 pad 1\n', 16).activations, 4 * 32 * 32 * (16 + 12));
  assert.equal(at('  conv 24 3x3 pad 1\n', 16).activations, 4 * 32 * 32 * (32 + 24));
  // A residual add of a conv's output is fused into that conv, which writes over the skip's buffer.
  const skip = at('  conv 16 3x3 pad 1 as a\n  conv 16 3x3 pad 1\n  add a\n');
  assert.equal(skip.activations, 2 * 4 * 32 * 32 * 16, 'the sum takes the skip\'s buffer; only the output\'s plain copy is new');
  // Small conv weights stay resident three times over, the largest half a time more; a dense layer's twice.
  const small = at('  conv 16 3x3 pad 1\n  flatten\n  dense 10\n');
  const convBytes = 4 * (16 * 8 * 9 + 16);
  const denseBytes = 4 * (32 * 32 * 16 * 10 + 10);
  assert.equal(small.weights, convBytes + denseBytes);
  assert.equal(small.weightCopies, 2.5 * convBytes + denseBytes);
  // A conv weight over 32 MiB passes through four more copies while it is reordered: creating peaks.
  const big = analyze('network N {\n  input 4x4x2048\n  conv 2048 3x3\n}\n').networks[0].memory.inferenceTerms;
  const weight = 4 * (2048 * 2048 * 9 + 2048);
  assert.equal(big.creating, 4 * weight);
  assert.equal(big.session, big.create);
  assert.ok(big.create > big.run);
});

test('an even lrn size, which ONNX Runtime cannot run, is an error with the odd sizes beside it as fixes', () => {
  const text = 'network N {\n  input 13x13x96\n  lrn 4\n}\n';
  const [d] = analyze(text).diagnostics;
  assert.equal(d.severity, 'error');
  assert.match(d.message, /^lrn size 4 is even/);
  assert.deepEqual(d.fixes!.map((f) => [f.title, !!f.preferred]), [['size 5', true], ['size 3', false]]);
  assert.equal(apply(text, d.fixes![0]), 'network N {\n  input 13x13x96\n  lrn 5\n}\n');
});

test('totals past 2^53 are refused with a diagnostic, never silently rounded', () => {
  const big = analyze('network Big {\n  input 999x999x999\n  repeat 2001 { conv 999 3x3 pad 1 }\n}\n');
  const d = big.diagnostics.find((x) => x.code === 'count-too-large');
  assert.ok(d, 'a diagnostic');
  assert.equal(d.severity, 'error');
  assert.match(d.message, /^network Big has about 1\.794e\+16 MACs, past 2\^53 where Stride can no longer count exactly$/);
  // Just below the limit the count is exact and nothing is said.
  const fits = analyze('network Fits {\n  input 999x999x999\n  repeat 200 { conv 999 3x3 pad 1 }\n}\n');
  assert.equal(fits.diagnostics.length, 0);
  assert.equal(BigInt(fits.networks[0].totals.macs), 999n * 999n * 999n * 999n * 9n * 200n);
  const memory = analyze('network M {\n  input 224x224x3\n  conv 64 3x3 pad 1\n}\n', { batch: 2 ** 40 });
  assert.match(memory.diagnostics[0]?.message ?? '', /^at batch 1,099,511,627,776 the training memory of M is about .* bytes, past 2\^53 \(8 PiB\) where Stride can no longer count exactly: use a smaller batch$/);
});

test('a network stopped at the layer limit, or missing a statement the parser dropped, is not complete', () => {
  // (Stopped at the layer limit: the runaway repeat above.)
  const dropped = analyze('network D {\n  input 8x8x1\n  conv 4 3x3 pad 1 @@@\n  relu\n}\n');
  assert.ok(dropped.diagnostics.some((d) => d.severity === 'error'));
  assert.equal(dropped.networks[0].totals.complete, false);
  assert.equal(analyze('network C {\n  input 8x8x1\n  relu\n}\n').networks[0].totals.complete, true);
});

test('a block passes its own parameters on by name: `Inner c n` and `Inner c 2` inside `Outer(c, n)`', () => {
  const a = analyze('block Inner(c, n) {\n  repeat n { conv c 3x3 pad 1 }\n}\nblock Outer(c, n) {\n  Inner c n\n}\nblock Outer2(c, n) {\n  Inner c 2\n}\nblock Down(c, stride = 2) {\n  conv c 3x3 stride stride pad 1\n}\nnetwork N {\n  input 8x8x3\n  Outer 4 3\n  Outer2 5 7\n  Down 6\n  Inner 7 n 1\n}\n');
  assert.deepEqual(a.diagnostics, []);
  assert.deepEqual(
    a.networks[0].layers.slice(1).map((l) => `${l.name} ${l.facts!.shape.join('x')}`),
    ['Outer_1.Inner_1.conv_1 8x8x4', 'Outer_1.Inner_1.conv_2 8x8x4', 'Outer_1.Inner_1.conv_3 8x8x4', 'Outer2_1.Inner_1.conv_1 8x8x5', 'Outer2_1.Inner_1.conv_2 8x8x5', 'Down_1.conv_1 4x4x6', 'Inner_1.conv_1 4x4x7'],
  );
});

test('branches on one line, as docs/language.md writes them, are all read', () => {
  const a = analyze('network C {\n  input 8x8x3\n  concat { branch { conv 4 1x1 } branch { conv 4 3x3 pad 1 } }\n  relu\n}\n');
  assert.deepEqual(a.diagnostics, []);
  assert.equal(a.networks[0].totals.complete, true);
  assert.deepEqual(a.networks[0].layers.map((l) => l.op.name), ['input', 'conv', 'conv', 'concat', 'relu']);
  assert.deepEqual(a.networks[0].layers[3].facts!.shape, [8, 8, 8]);
});

test('one error does not hide the next: after a broken layer the shapes are assumed, and said to be', async () => {
  const { layerHover } = await import('../language/views/explain.js');
  const { summaryJson } = await import('../language/views/report.js');
  const a = analyze('network R {\n  input 28x28x1\n  conv 8 3x3\n  maxpool\n  relu\n  dense 10\n}\n');
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['missing-value', 'dense-on-spatial']);
  const dense = a.diagnostics[1];
  assert.match(dense.message, /the 26x26x8 feature map: flatten it first .*\(assuming maxpool_1, which could not be analysed, passes its input through\)$/);
  assert.ok(dense.related?.some((r) => /maxpool_1 could not be analysed/.test(r.message)));
  const net = a.networks[0];
  assert.equal(net.totals.complete, false);
  const relu = net.layers[3];
  assert.match(layerHover(net, [relu], a.options), /rest on an assumption: maxpool_1 above could not be analysed/);
  const json = summaryJson(a) as { networks: { layers: { name: string; assumedFrom?: string }[] }[] };
  assert.deepEqual(json.networks[0].layers.map((l) => l.assumedFrom ?? null), [null, null, null, 'maxpool_1', null]);
});

test('checkpoint { … } keeps only its input and what layers after it read; its layers run again in backward', () => {
  const body = 'conv 4 3x3 pad 1\n  relu\n  conv 4 3x3 pad 1\n  relu';
  const plain = analyze(`network N {\n  input 8x8x1\n  conv 4 3x3 pad 1\n  ${body}\n  conv 4 3x3 pad 1\n}\n`).networks[0];
  const marked = analyze(`network N {\n  input 8x8x1\n  conv 4 3x3 pad 1\n  checkpoint {\n  ${body}\n  }\n  conv 4 3x3 pad 1\n}\n`);
  assert.deepEqual(marked.diagnostics, []);
  const m = marked.networks[0];
  const e = 8 * 8 * 4 * 4;
  // Without it: the first conv's output (read by the second), the second's (its ReLU and the third conv),
  // the third's (its ReLU and the last conv). With it: the region's input and its output, read by the last conv.
  assert.equal(plain.memory.savedForBackward, 3 * e);
  assert.equal(m.memory.savedForBackward, 2 * e);
  assert.deepEqual([...m.totals.recomputed], [0, 0, 1, 1, 1, 1, 0]);
  assert.equal(m.layers.length, plain.layers.length, 'the same layers');
  assert.ok(m.memory.trainingPeak <= plain.memory.trainingPeak);
  assert.equal(analyze('network N {\n  input 8x8x1\n  checkpoint 2 { relu }\n}\n').diagnostics[0].message, '`checkpoint` takes no values, only a body');
  assert.match(analyze('network N {\n  input 8x8x1\n  checkpoint\n}\n').diagnostics[0].message, /^`checkpoint` needs a body/);
});
