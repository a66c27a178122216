import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, stride, summaryJson } from './lib/cli.js';

// `stride import`: networks written by hand in PyTorch (test/torch/onnx_import.py: a ResNet-18, ResNet-50's
// first two stages, a MobileNetV2, a small U-Net, a DenseNet-style dense block) exported by torch.onnx.export at
// opset 17, with batchnorm folded into the convs and kept, are imported; the text must have PyTorch's parameters
// and MACs, its repeated units as blocks, and `stride run` with the imported weights must give PyTorch's output.
// One Python process (Debian's python3-torch, python3-onnx) writes all the models first.

const PYTHON = '/usr/bin/python3';
const TOLERANCE = 1e-5;
const dir = mkdtempSync(join(tmpdir(), 'stride-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  networks: Record<string, { params: number; macs: number; plain: { ops: string[]; initializers: number }; folded: { ops: string[]; initializers: number } }>;
}
let report: Report | undefined;
let skip: string | false = false;

before(() => {
  if (!existsSync(PYTHON)) {
    skip = `${PYTHON} is missing (apt-get install -y python3-torch python3-onnx)`;
    return;
  }
  const r = spawnSync(PYTHON, [join(ROOT, 'test/torch/onnx_import.py'), dir], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    if (/No module named/.test(r.stderr)) skip = `torch or onnx is missing: ${r.stderr.trim().split('\n').pop()}`;
    else assert.fail(`onnx_import.py exited ${r.status}: ${r.stderr}`);
    return;
  }
  report = JSON.parse(r.stdout.trim().split('\n').pop()!) as Report;
});

/** Relative error of two float32 .npy files of the same shape: max|a − b| / max|a|. */
function npy(file: string): Float32Array {
  const b = readFileSync(file);
  const headerLength = b.readUInt16LE(8);
  const data = b.subarray(10 + headerLength);
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

// `blocks` declarations and `calls` call lines (a `repeat N { … }` one), each call found by a pattern.
const CASES: { name: string; blocks: number; calls: number; callsAt: RegExp[]; structure: RegExp[] }[] = [
  // The basic block and its downsampling form; layer1's two units are one repeat.
  { name: 'ResNet18', blocks: 2, calls: 7, callsAt: [/repeat 2 \{ Res 64 \}/, /ResDown 128/, /Res 128/, /ResDown 256/, /Res 256/, /ResDown 512/, /Res 512/], structure: [/residual \{/, /\} shortcut \{/] },
  // Two bottlenecks: the identity one and the projecting one, whose stride (1 in the first stage, 2 after) is its parameter.
  {
    name: 'ResNet50Stages',
    blocks: 2,
    calls: 4,
    callsAt: [/maxpool 3x3 stride 2 pad 1\n\s+ResDown 64\n\s+repeat 2 \{ Res 64 \}\n\s+ResDown 128 stride 2\n\s+repeat 3 \{ Res 128 \}\n\s+globalavgpool/],
    structure: [/block ResDown\(c, stride = 1\)/, /conv c 3x3 stride stride pad 1/, /conv c\*4 1x1 stride stride/, /block Res\(c\) \{\n\s+residual \{\n\s+conv c 1x1/],
  },
  // The inverted residuals with an identity shortcut, and those without one (they change the size or the
  // channels): expand, depthwise and project, with the stride as a parameter.
  {
    name: 'MobileNetV2',
    blocks: 2,
    calls: 11,
    callsAt: [/Unit 24 96 stride 2\n\s+Res 24\n/, /Unit 32 144 stride 2\n\s+repeat 2 \{ Res 32 \}/, /Unit 64 192 stride 2\n\s+repeat 3 \{ Res 64 \}/, /Unit 96 384\n\s+repeat 2 \{ Res 96 \}/, /Unit 160 576 stride 2\n\s+repeat 2 \{ Res 160 \}/, /Unit 320 960\n/],
    structure: [/block Unit\(c, d, stride = 1\) \{\n\s+conv d 1x1/, /conv d 3x3 stride stride pad 1 groups d/, /conv c\*6 3x3 pad 1 groups c\*6/],
  },
  // The skips are concats of an empty branch and the path down and up again, nested; the double conv is one
  // block called at every level.
  {
    name: 'UNet',
    blocks: 1,
    calls: 5,
    callsAt: [/input 64x64x3\n\s+Unit 16\n\s+concat/, /maxpool 2x2\n\s+Unit 32\n\s+concat/, /maxpool 2x2\n\s+Unit 64\n\s+convtranspose/, /\}\n\s+Unit 32\n\s+upsample/, /\}\n\s+Unit 16\n\s+conv 2 1x1/],
    structure: [/block Unit\(c\) \{\n\s+conv c 3x3 pad 1/, /concat \{\n\s+branch \{\n\s+maxpool 2x2/, /branch \{\}/, /convtranspose 32 2x2 stride 2/, /upsample 2 mode bilinear/],
  },
  // Each dense layer concatenates its input with what it computes: one block, the four layers one repeat.
  { name: 'DenseBlock', blocks: 1, calls: 1, callsAt: [/repeat 4 \{ Dense 8 \}/], structure: [/block Dense\(c\) \{\n\s+concat \{\n\s+branch \{\}\n\s+branch \{\n\s+batchnorm/, /conv c\*4 1x1/, /softmax/, /avgpool 2x2/] },
];

/** `stride run`'s output is PyTorch's: max |stride − torch| within TOLERANCE of max |torch|. */
function assertMatchesTorch(got: Float32Array, want: Float32Array): void {
  assert.equal(got.length, want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  assert.ok(diff <= TOLERANCE * scale, `max |stride − torch| = ${diff}, ${diff / scale} of the output's range`);
}

for (const c of CASES) {
  for (const variant of ['plain', 'folded'] as const) {
    test(`${c.name} (${variant === 'folded' ? 'batchnorm folded into the convs' : 'batchnorm kept'}) imports with PyTorch's parameters, MACs and output`, (t) => {
      if (skip) return t.skip(skip);
      const expected = report!.networks[c.name];
      const model = join(dir, variant === 'folded' ? `${c.name}.folded.onnx` : `${c.name}.onnx`);
      const ops = expected[variant].ops;
      assert.equal(ops.includes('BatchNormalization'), variant === 'plain' || c.name === 'DenseBlock', `ops of the ${variant} export: ${ops.join(', ')}`);
      const out = join(dir, `${c.name}.${variant}.stride`);
      const r = stride(['import', model, '-o', out]);
      assert.equal(r.status, 0, r.stderr);
      const text = readFileSync(out, 'utf8');
      const weights = out.replace(/\.stride$/, '.safetensors');
      assert.ok(existsSync(weights));
      // Parameters: PyTorch's own when batchnorm is kept; folded, the model's tensors (convs gain a bias).
      const { status, json } = summaryJson(out);
      assert.equal(status, 0);
      const net = json.networks[0];
      assert.equal(net.trainableParams + net.nonTrainableParams, expected[variant].initializers, 'every tensor of the model');
      if (variant === 'plain') assert.equal(net.trainableParams, expected.params, 'trainable parameters');
      assert.equal(net.macs, expected.macs, 'MACs');
      const names = [...text.matchAll(/^block (\w+)\(/gm)].map((m) => m[1]);
      assert.equal(names.length, c.blocks, text);
      const network = text.slice(text.indexOf('\nnetwork '));
      const callLines = network.split('\n').filter((l) => names.includes(l.trim().replace(/^repeat \d+ \{ /, '').split(' ')[0]));
      assert.equal(callLines.length, c.calls, text);
      assert.match(r.stdout, new RegExp(`${c.blocks} blocks? \\(${c.calls} calls?\\)`));
      for (const call of c.callsAt) assert.match(text, call);
      for (const s of c.structure) assert.match(text, s);
      const y = join(dir, `${c.name}.${variant}.out.npy`);
      const run = stride(['run', out, '--weights', weights, '--input', join(dir, `${c.name}.input.npy`), '--output', y, '--iterations', '0', '--ep', 'cpu']);
      assert.equal(run.status, 0, run.stderr);
      assertMatchesTorch(npy(y), npy(join(dir, `${c.name}.output.npy`)));
    });
  }
}

test('an op Stride has no layer for fails, naming each node, and writes nothing', (t) => {
  if (skip) return t.skip(skip);
  const out = join(dir, 'Unsupported.stride');
  const r = stride(['import', join(dir, 'Unsupported.onnx'), '-o', out]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /2 nodes cannot be imported/);
  assert.match(r.stderr, /node '\/Abs' \(Abs\): Stride has no layer for Abs/);
  assert.match(r.stderr, /node '\/Sqrt' \(Sqrt\): Stride has no layer for Sqrt/);
  assert.ok(!existsSync(out) && !existsSync(join(dir, 'Unsupported.safetensors')));
});

test('a truncated model and a file that is not ONNX are refused with one message, exit 2', (t) => {
  if (skip) return t.skip(skip);
  const whole = readFileSync(join(dir, 'UNet.folded.onnx'));
  const cut = join(dir, 'cut.onnx');
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  const junk = join(dir, 'junk.onnx');
  writeFileSync(junk, 'network Net {\n  input 8\n}\n');
  for (const f of [cut, junk]) {
    const r = stride(['import', f]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /not an ONNX model, or a truncated one/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(f.replace(/\.onnx$/, '.stride')));
  }
});

test('an existing file is not replaced unless -o names it', (t) => {
  if (skip) return t.skip(skip);
  const model = join(dir, 'DenseBlock.onnx');
  const out = join(dir, 'DenseBlock.stride');
  writeFileSync(out, 'mine\n');
  const r = stride(['import', model]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /already exists/);
  assert.equal(readFileSync(out, 'utf8'), 'mine\n');
  assert.equal(stride(['import', model, '-o', out]).status, 0);
  assert.match(readFileSync(out, 'utf8'), /network DenseBlock/);
});

// Export patterns (test/torch/onnx_import.py PATTERNS), each a small net exported on its own: a flatten
// written as `x.view(x.size(0), -1)`, `x.reshape(x.shape[0], -1)`, `x.view(-1, F)` or `torch.flatten(x, 1)`,
// with a fixed or a dynamic batch, folded or not; an upsampling to sizes (whole multiples, one read from the
// input's own shape); ONNX auto_pad SAME_UPPER / SAME_LOWER on convs and pools; a concat of one tensor.
const PATTERNS: { name: string; ops: string[]; text: RegExp[] }[] = [
  { name: 'ViewStatic', ops: ['Reshape'], text: [/relu\n\s+flatten\n\s+dense 10/] },
  { name: 'ViewDynamic', ops: ['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape'], text: [/relu\n\s+flatten\n\s+dense 10/] },
  { name: 'ViewUnfolded', ops: ['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape'], text: [/relu\n\s+flatten\n\s+dense 10/] },
  { name: 'ReshapeDynamic', ops: ['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Reshape'], text: [/relu\n\s+flatten\n\s+dense 10/] },
  { name: 'ReshapeUnfolded', ops: ['Unsqueeze', 'Concat', 'Reshape'], text: [/relu\n\s+flatten\n\s+dense 10/] },
  { name: 'ViewFeatures', ops: ['Reshape'], text: [/relu\n\s+flatten\n\s+dense 10/] },
  { name: 'FlattenDynamic', ops: ['Flatten'], text: [/relu\n\s+flatten\n\s+dense 10/] },
  { name: 'SizedNearest', ops: ['Shape', 'Slice', 'Gather', 'Resize'], text: [/pad 1\n\s+upsample 2\n\s+avgpool 2x2\n\s+upsample 2x3\n/] },
  { name: 'SizedBilinear', ops: ['Shape', 'Slice', 'Cast', 'Resize'], text: [/pad 1\n\s+upsample 2\n/, /upsample 2x3 mode bilinear/] },
  {
    name: 'SamePads',
    ops: ['Conv', 'MaxPool', 'AveragePool'],
    text: [/conv 8 3x3 pad same\n\s+relu\n\s+maxpool 3x3 stride 1 pad 1\n\s+conv 8 4x4 pad same\n\s+conv 8 3x3 pad 2 dilation 2\n\s+avgpool 3x3 stride 1 pad 1 exclude_pad\n\s+conv 8 3x3 stride 2 pad same\n\s+conv 8 4x4 pad \(2, 2, 1, 1\)/],
  },
  { name: 'CatOne', ops: ['Concat'], text: [/input 16x16x3\n\s+conv 8 3x3\n\s+relu\n\}/] },
];

for (const c of PATTERNS) {
  test(`export pattern ${c.name} imports with PyTorch's output`, (t) => {
    if (skip) return t.skip(skip);
    const expected = (report as unknown as { patterns: Record<string, { ops: string[]; auto_pad: string[] }> }).patterns[c.name];
    for (const op of c.ops) assert.ok(expected.ops.includes(op), `ops of the export: ${expected.ops.join(', ')}`);
    if (c.name === 'SamePads') assert.deepEqual(expected.auto_pad, ['Conv SAME_UPPER', 'MaxPool SAME_UPPER', 'Conv SAME_UPPER', 'Conv SAME_UPPER', 'AveragePool SAME_UPPER', 'Conv SAME_UPPER', 'Conv SAME_LOWER']);
    const out = join(dir, `${c.name}.stride`);
    const r = stride(['import', join(dir, `${c.name}.onnx`), '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(out, 'utf8');
    for (const s of c.text) assert.match(text, s);
    const y = join(dir, `${c.name}.out.npy`);
    const run = stride(['run', out, '--weights', out.replace(/\.stride$/, '.safetensors'), '--input', join(dir, `${c.name}.input.npy`), '--output', y, '--iterations', '0', '--ep', 'cpu']);
    assert.equal(run.status, 0, run.stderr);
    assertMatchesTorch(npy(y), npy(join(dir, `${c.name}.output.npy`)));
  });
}

test('a resize to sizes that are not whole multiples and a reshape that is not a flatten are refused, naming each node', (t) => {
  if (skip) return t.skip(skip);
  const r = stride(['import', join(dir, 'Refused.onnx'), '-o', join(dir, 'Refused.stride')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /2 nodes cannot be imported/);
  assert.match(r.stderr, /\(Resize\): it resizes 8x8 to 12x12; Stride upsamples H and W by whole numbers/);
  assert.match(r.stderr, /\(Reshape\): a reshape Stride cannot express/);
});
