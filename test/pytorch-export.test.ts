import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { analyze, isConstant } from '../language/index.js';
import { declaredWeights, exportNetwork, nchw } from '../runtime/export.js';
import { exportPytorch } from '../runtime/pytorch-export.js';
import { encodeNpy } from '../runtime/npy-write.js';
import { readNpy } from '../runtime/npy.js';
import { randomInput } from '../runtime/random.js';
import { CLI, ROOT, stride } from './lib/cli.js';

// `stride export --format pytorch` against ONNX Runtime, for every network of examples/ and
// test/fixtures/torch/: the .py is imported by one Python process (Debian's python3-torch), which checks
// that state_dict() keys are Stride's weight names and the parameter count Stride's, loads the ONNX
// export's weights (seed 1, biases and norms given seeded values) strictly and runs a seeded input; then
// `stride run --weights W.safetensors --input X.npy --output Y.npy` must agree within 1e-4 of max|output|.

const PYTHON = '/usr/bin/python3';
const TOLERANCE = 1e-4;
const dir = mkdtempSync(join(tmpdir(), 'stride-pytorch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = `block Basic(c, stride = 1) {
  residual {
    conv c 3x3 stride stride pad 1 nobias
    batchnorm
    relu
  } shortcut {
    conv c 1x1 stride stride nobias
    batchnorm
  }
  relu
}
network Tiny {
  input 32x32x3
  conv 16 3x3 pad 1
  relu
  as skip
  Basic 16
  Basic 32 stride 2
  Basic 32
  globalavgpool
  flatten
  dense 10
}
`;

test('the generated text: a class per block with its parameters, a class for the network, comments with line and shape', () => {
  const a = analyze(SMALL);
  const py = exportPytorch(a, a.networks[0], 'tiny.stride');
  assert.match(py, /^import torch$/m);
  assert.match(py, /^from torch import nn$/m);
  assert.match(py, /^class BatchNorm2d\(NoCounter, nn\.BatchNorm2d\):$/m);
  // Three calls, at two sizes and two strides: one class, its constructor the input's channels and the block's parameters.
  assert.equal(py.match(/^class Basic\w*\(nn\.Module\):$/gm)?.length, 1, py);
  assert.match(py, /^class Tiny\(nn\.Module\):$/m);
  assert.match(py, /^ {4}def __init__\(self, in_channels, c, stride=1\):$/m);
  assert.match(py, /^ {8}self\.conv_1 = nn\.Conv2d\(in_channels, c, 3, stride=stride, padding=1, bias=False\) {2}# L3 → 32x32x16$/m);
  assert.match(py, /^ {8}self\.batchnorm_1 = BatchNorm2d\(c\) {2}# L4 → 32x32x16$/m);
  assert.match(py, /^ {8}self\.relu_1 = nn\.ReLU\(inplace=True\) {2}# L5 → 32x32x16$/m);
  assert.match(py, /^ {8}self\.Basic_1 = Basic\(16, 16\) {2}# L17 → 32x32x16$/m);
  assert.match(py, /^ {8}self\.Basic_2 = Basic\(16, 32, stride=2\) {2}# L18 → 16x16x32$/m);
  assert.match(py, /^ {8}self\.Basic_3 = Basic\(32, 32\) {2}# L19 → 16x16x32$/m);
  assert.match(py, /^ {8}x = self\.Basic_2\(x\) {2}# L18 → 16x16x32$/m);
  // The block input, read twice (body and shortcut), keeps a name; the sum is the residual's line.
  assert.match(py, /^ {4}def forward\(self, identity\):$/m);
  assert.match(py, /^ {8}x = self\.conv_2\(identity\) {2}# L7 → /m);
  assert.match(py, /^ {8}x = relu_1 \+ batchnorm_2 {2}# L2 → /m);
  assert.match(py, /^ {8}self\.dense_1 = nn\.Linear\(32, 10\) {2}# L22 → 10$/m);
  assert.match(py, /^ {8}return x$/m);
});

/** The block classes of a file's export, by name, and the text. */
function blockClasses(file: string): { py: string; names: string[] } {
  const a = analyze(readFileSync(join(ROOT, file), 'utf8'));
  const py = exportPytorch(a, a.networks[0], file);
  return { py, names: [...py.matchAll(/^class (\w+)\(nn\.Module\):\n {4}"""block /gm)].map((m) => m[1]) };
}

test('every example block is one class, its values expressions of its parameters', () => {
  const r50 = blockClasses('examples/resnet50.stride');
  assert.deepEqual(r50.names, ['BottleneckDown', 'Bottleneck']);
  assert.match(r50.py, /def __init__\(self, in_channels, c\):\n(.*\n)*? {8}self\.conv_3 = nn\.Conv2d\(c, c \* 4, 1, bias=False\)/);
  assert.match(r50.py, /^ {8}self\.conv_4 = nn\.Conv2d\(in_channels, c \* 4, 1, stride=stride, bias=False\) {2}# L34/m);
  assert.match(r50.py, /^ {8}self\.BottleneckDown_1 = BottleneckDown\(64, 64\) /m);
  assert.match(r50.py, /^ {8}self\.BottleneckDown_4 = BottleneckDown\(1024, 512, stride=2\) /m);
  assert.match(r50.py, /^ {8}self\.Bottleneck_12 = Bottleneck\(2048, 512\) /m);
  // Nested calls, a kernel and a padding from parameters, a division, a float: EfficientNet's MBConvSkip.
  const eff = blockClasses('examples/efficientnet-b0.stride');
  assert.deepEqual(eff.names, ['SE', 'MBConv', 'MBConvSkip']);
  assert.match(eff.py, /^ {4}def __init__\(self, in_channels, c, k, p, t=6\):$/m);
  assert.match(eff.py, /^ {8}self\.conv_2 = nn\.Conv2d\(c \* t, c \* t, k, padding=\(k - 1\) \/\/ 2, groups=c \* t, bias=False\) /m);
  assert.match(eff.py, /^ {8}self\.SE_1 = SE\(c \* t, c \* t, c \/\/ 4\) /m);
  assert.match(eff.py, /^ {8}self\.droppath_1 = DropPath\(p\) /m);
  const convnext = blockClasses('examples/convnext-tiny.stride');
  assert.deepEqual(convnext.names, ['CNBlock', 'Downsample']);
  assert.match(convnext.py, /^ {8}self\.droppath_1 = DropPath\(0\.1 \* i \/ 17\) /m);
  // A channel count no parameter writes (a split's half): a fraction of one.
  assert.deepEqual(blockClasses('examples/shufflenetv2.stride').names, ['UnitDown', 'Unit']);
  for (const [file, names] of [
    ['examples/resnet18.stride', ['Basic', 'BasicDown']],
    ['examples/mobilenetv2.stride', ['InvRes', 'InvResSkip']],
    ['examples/densenet121.stride', ['DenseLayer', 'Transition']],
    ['examples/unet.stride', ['Double']],
    ['examples/inception.stride', ['Inception']],
  ] as const) assert.deepEqual(blockClasses(file).names, names, file);
});

test('calls of a block that differ in structure get a class each', () => {
  const a = analyze(`block Stack(c, n) {
  repeat n { conv c 3x3 pad 1 }
}
network Two {
  input 8x8x3
  Stack 8 1
  Stack 8 2
  Stack 16 2
}
`);
  const py = exportPytorch(a, a.networks[0], 'two.stride');
  assert.deepEqual([...py.matchAll(/^class (\w+)\(nn\.Module\):/gm)].map((m) => m[1]), ['Stack', 'Stack2', 'Two']);
  assert.match(py, /^ {8}self\.Stack_1 = Stack\(3, 8, 1\) /m);
  assert.match(py, /^ {8}self\.Stack_2 = Stack2\(8, 8, 2\) /m);
  assert.match(py, /^ {8}self\.Stack_3 = Stack2\(8, 16, 2\) /m);
  assert.match(py, /def __init__\(self, in_channels, c, n\):\n {8}super\(\)\.__init__\(\)\n {8}self\.conv_1 = nn\.Conv2d\(in_channels, c, 3, padding=1\) {2}# L2 → 8x8x8\n {8}self\.conv_2 = nn\.Conv2d\(c, c, 3, padding=1\)/);
});

test('an op without a PyTorch form makes the export refuse with the layer and the line', async () => {
  const { findOp } = await import('../language/index.js');
  const op = findOp('lrn')!;
  const saved = op.torch;
  try {
    (op as { torch?: unknown }).torch = undefined;
    const a = analyze('network N {\n  input 8x8x3\n  lrn\n}\n');
    assert.throws(() => exportPytorch(a, a.networks[0]), /lrn_1 \(line 3\) cannot be exported: lrn has no PyTorch form/);
  } finally {
    (op as { torch?: unknown }).torch = saved;
  }
});

test('every op of the language has a PyTorch form', async () => {
  const { OPS } = await import('../language/index.js');
  assert.deepEqual(OPS.filter((op) => !op.torch).map((op) => op.name), []);
});

test('stride export --format pytorch writes FILE.py and will not replace it unless -o names it', () => {
  const src = join(dir, 'tiny.stride');
  writeFileSync(src, SMALL);
  const first = stride(['export', src, '--format', 'pytorch']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /wrote .*tiny\.py: network Tiny as PyTorch/);
  assert.match(readFileSync(join(dir, 'tiny.py'), 'utf8'), /^class Tiny\(nn\.Module\):$/m);
  const again = stride(['export', src, '--format', 'pytorch']);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /tiny\.py already exists; to replace it, give its path with -o/);
  assert.equal(stride(['export', src, '--format', 'pytorch', '-o', join(dir, 'tiny.py')]).status, 0);
  const bad = stride(['export', src, '--format', 'keras']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--format must be onnx or pytorch/);
});

interface Job {
  network: string;
  file: string;
  pick: string[];
  cls: string;
  py: string;
  model: string;
  weights: string;
  input: string;
  output: string;
  strideOut: string;
  names: string[];
  params: number;
}

const sources = ['examples', 'test/fixtures/torch'].flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.stride')).sort().map((f) => `${d}/${f}`));
const jobs: Job[] = sources.flatMap((f) => {
  const a = analyze(readFileSync(join(ROOT, f), 'utf8'));
  return a.networks.map((net) => {
    const p = (suffix: string) => join(dir, `${net.name}${suffix}`);
    const py = exportPytorch(a, net, f);
    writeFileSync(p('.py'), py);
    writeFileSync(p('.onnx'), exportNetwork(a, net, { seed: 1 }).bytes);
    const shape = [1, ...nchw(net.layers[0].facts!.shape)];
    writeFileSync(p('-input.npy'), Buffer.concat(encodeNpy(shape, randomInput(shape.reduce((x, d) => x * d, 1), 1))));
    const cls = [...py.matchAll(/^class (\w+)\(nn\.Module\):\n {4}"""Network /gm)].pop()![1];
    return {
      network: net.name,
      file: f,
      pick: a.networks.length > 1 ? ['--network', net.name] : [],
      cls,
      py: p('.py'),
      model: p('.onnx'),
      weights: p('-weights.safetensors'),
      input: p('-input.npy'),
      output: p('-torch.npy'),
      strideOut: p('-stride.npy'),
      names: declaredWeights(a, net).filter((w) => !isConstant(w.init)).map((w) => w.name),
      params: net.totals.trainableParams,
    };
  });
});

/** The Python process: one job a line in, one result a line out, in order. */
const python = (() => {
  const child = spawn(PYTHON, ['-B', join(ROOT, 'test/torch/pytorch_export.py')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const waiting: ((r: { ok: boolean; problems: string[] }) => void)[] = [];
  const lines = createInterface({ input: child.stdout });
  let first = true;
  lines.on('line', (line) => {
    if (!line.startsWith('{')) return;
    if (first) {
      first = false;
      return;
    }
    waiting.shift()?.(JSON.parse(line));
  });
  child.on('close', (code) => {
    for (const w of waiting.splice(0)) w({ ok: false, problems: [`python ended (exit ${code}): ${stderr.slice(-3000)}`] });
  });
  for (const j of jobs) child.stdin.write(`${JSON.stringify(j)}\n`);
  child.stdin.end();
  return jobs.map(() => new Promise<{ ok: boolean; problems: string[] }>((resolve) => waiting.push(resolve)));
})();

let active = 0;
const queue: (() => void)[] = [];
async function strideRun(args: string[]): Promise<{ status: number | null; stderr: string }> {
  if (active >= 2) await new Promise<void>((go) => queue.push(go));
  active++;
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stderr }));
    });
  } finally {
    active--;
    queue.shift()?.();
  }
}

const errors: number[] = [];
const checks = jobs.map(async (j, i) => {
  const r = await python[i];
  assert.ok(r.ok, `${j.network}: ${r.problems.join('; ')}`);
  const run = await strideRun(['run', join(ROOT, j.file), ...j.pick, '--weights', j.weights, '--input', j.input, '--output', j.strideOut, '--iterations', '0', '--ep', 'cpu']);
  assert.equal(run.status, 0, `${j.network}: stride run: ${run.stderr}`);
  const ours = readNpy(readFileSync(j.strideOut), j.strideOut);
  const theirs = readNpy(readFileSync(j.output), j.output);
  assert.deepEqual(ours.shape, theirs.shape, j.network);
  let scale = 0;
  let diff = 0;
  for (let k = 0; k < theirs.data.length; k++) {
    scale = Math.max(scale, Math.abs(theirs.data[k]));
    diff = Math.max(diff, Math.abs(theirs.data[k] - ours.data[k]));
  }
  errors[i] = diff / scale;
  assert.ok(diff <= TOLERANCE * scale, `${j.network}: max|stride − torch| = ${diff} against max|torch| = ${scale}`);
});

for (const [i, j] of jobs.entries()) {
  test(`${j.network} (${j.file}): the PyTorch export computes what stride run does`, async () => {
    await checks[i];
  });
}

test('summary of the PyTorch checks', async () => {
  await Promise.allSettled(checks);
  const done = errors.filter((e) => e !== undefined);
  console.log(`# ${done.length}/${jobs.length} networks agree; max relative error ${Math.max(...done).toExponential(2)}`);
});
