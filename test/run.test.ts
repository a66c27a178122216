import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { attributeTimes } from '../runtime/profile-fusion.js';
import { ROOT, stride, summaryJson } from './lib/cli.js';

// `stride run` as a user runs it: export, a child process with ONNX Runtime, the report.
const dir = mkdtempSync(join(tmpdir(), 'stride-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lenet = join(ROOT, 'examples/lenet5.stride');

test('--ep auto runs on the CPU here and says why CUDA was not used', () => {
  const r = stride(['run', lenet, '--iterations', '3']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^network LeNet5 on CPU\n/);
  assert.match(r.stdout, /provider {2}CPU: the CUDA execution provider is not available \(its libraries are not installed(, and this machine has no NVIDIA driver loaded)?\); to use a GPU, run "Stride: Set Up GPU \(CUDA\)" in VS Code, or `stride setup-gpu`\n/);
  assert.match(r.stdout, /output {4}dense_3 1×10: /);
  assert.match(r.stdout, /top-5 {5}#\d+ [\d.]+%/);
  assert.match(r.stdout, /timing {4}session [\d.]+ ms · first run [\d.]+ ms · p50 [\d.]+ ms · p90 [\d.]+ ms over 3 runs/);
});

test('--ep cuda fails and names the set-up', () => {
  const r = stride(['run', lenet, '--ep', 'cuda']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error: the CUDA execution provider is not available here \(its libraries are not installed(, and this machine has no NVIDIA driver loaded)?\); to set it up, run "Stride: Set Up GPU \(CUDA\)" in VS Code, or `stride setup-gpu`\n$/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('--json reports the output shape, batch and throughput; --profile maps time to source lines', () => {
  const r = stride(['run', join(ROOT, 'examples/resnet18.stride'), '--ep', 'cpu', '--batch', '2', '--iterations', '2', '--profile', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.provider, 'cpu');
  assert.equal(report.reason, 'as requested');
  assert.deepEqual(report.input.shape, [2, 3, 224, 224]);
  assert.deepEqual(report.output.shape, [2, 1000]);
  assert.equal(report.top5.length, 5);
  assert.ok(report.timings.throughput > 0);
  const conv1 = report.layers.find((l: { name: string }) => l.name === 'conv_1');
  assert.equal(conv1.line, 39);
  assert.ok(conv1.ms > 0, 'conv_1 took time');
  assert.ok(report.layers.filter((l: { ms: number }) => l.ms > 0).length > 20);
  // The optimised graph: batchnorm and relu run inside the conv's kernel, a block's add and relu inside its second conv.
  type Row = { name: string; ms: number; fused?: string[]; fusedInto?: string };
  const row = (name: string): Row => report.layers.find((l: Row) => l.name === name);
  assert.deepEqual(conv1.fused, ['batchnorm_1', 'relu_1']);
  assert.equal(row('batchnorm_1').fusedInto, 'conv_1');
  assert.equal(row('relu_1').ms, 0);
  assert.deepEqual(row('Basic_1.conv_2').fused, ['Basic_1.batchnorm_2', 'Basic_1.add_1', 'Basic_1.relu_2']);
  for (const l of report.layers as Row[]) assert.ok(l.ms > 0 || l.fusedInto, `${l.name} has a time or a kernel it ran in`);
  const total = (report.layers as Row[]).reduce((a, l) => a + l.ms, 0);
  assert.ok(total > 0.4 * report.timings.p50Ms && total < 1.5 * report.timings.p50Ms, `kernels ${total} ms against a p50 of ${report.timings.p50Ms} ms a run`);
});

test('fused kernels are put back on their layers: back along the main input, forward through what only they feed', () => {
  const layers = [
    { name: 'conv_1', op: 'conv', line: 2, inputs: [], macs: true },
    { name: 'batchnorm_1', op: 'batchnorm', line: 3, inputs: ['conv_1'], macs: false },
    { name: 'relu_1', op: 'relu', line: 4, inputs: ['batchnorm_1'], macs: false },
    { name: 'conv_2', op: 'conv', line: 5, inputs: ['relu_1'], macs: true },
    { name: 'batchnorm_2', op: 'batchnorm', line: 6, inputs: ['conv_2'], macs: false },
    { name: 'add_1', op: 'add', line: 7, inputs: ['batchnorm_2', 'relu_1'], macs: false },
    { name: 'relu_2', op: 'relu', line: 8, inputs: ['add_1'], macs: false },
    { name: 'maxpool_1', op: 'maxpool', line: 9, inputs: ['relu_2'], macs: false },
  ];
  // As ONNX Runtime names them: after the tensor a fused node stands for, with its NCHWc suffix; a reorder unnamed.
  const times = attributeTimes(layers, { ReorderInput: 100, relu_1_nchwc: 2000, batchnorm_2_nchwc: 3000, maxpool_1_nchwc: 500, ReorderOutput: 50 }, 2);
  const by = Object.fromEntries(times.map((t) => [t.name, t]));
  assert.equal(by.conv_1.ms, 1.05);
  assert.deepEqual(by.conv_1.fused, ['batchnorm_1', 'relu_1']);
  assert.equal(by.relu_1.fusedInto, 'conv_1');
  assert.equal(by.conv_2.ms, 1.5);
  assert.deepEqual(by.conv_2.fused, ['batchnorm_2', 'add_1', 'relu_2']);
  assert.equal(by.maxpool_1.ms, 0.275);
  assert.ok(Math.abs(times.reduce((a, t) => a + t.ms, 0) - 2.825) < 1e-12, 'every node counted once');
  // Without optimisation every node is its layer's, named with its line.
  const plain = attributeTimes(layers, Object.fromEntries(layers.map((l) => [`${l.name}:L${l.line}`, 10])), 1);
  assert.ok(plain.every((t) => t.ms === 0.01 && !t.fused && !t.fusedInto));
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
  const request = { type: 'run-source' as const, text: readFileSync(join(ROOT, 'examples/vgg16.stride'), 'utf8'), seed: 0, provider: 'cpu' as const, iterations: 50, profile: false, captureOps: [], maxChannels: 0 };
  const abort = new AbortController();
  const cancelled = runSource(request, { signal: abort.signal });
  setTimeout(() => abort.abort(), 300);
  await assert.rejects(cancelled, /the run was cancelled/);
  await assert.rejects(runSource(request, { timeoutMs: 300 }), /the run took longer than 300 ms and was stopped/);
});

test('results of any size arrive: U-Net, FCN, and 340 MiB of U-Net feature maps', () => {
  for (const name of ['unet', 'fcn']) {
    const r = stride(['run', join(ROOT, `examples/${name}.stride`), '--ep', 'cpu', '--iterations', '0', '--json']);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).output.shape.length, 4, name);
  }
  const layers = summaryJson(join(ROOT, 'examples/unet.stride')).json.networks[0].layers.filter((l) => l.op !== 'input').map((l) => l.name);
  const r = stride(['run', join(ROOT, 'examples/unet.stride'), '--ep', 'cpu', '--iterations', '0', '--capture', layers.join(','), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const captures = JSON.parse(r.stdout).captures as { shape: number[] }[];
  assert.equal(captures.length, layers.length - 1);
  const bytes = captures.reduce((n, c) => n + c.shape.reduce((x, d) => x * d, 4), 0);
  assert.ok(bytes > 300 * 2 ** 20, `${bytes} bytes of feature maps`);
});

test('--output writes the output and each captured layer as .npy files NumPy reads', async () => {
  const { readNpy } = await import('../runtime/npy.js');
  const out = join(dir, 'r18.npy');
  const r = stride(['run', join(ROOT, 'examples/resnet18.stride'), '--ep', 'cpu', '--iterations', '0', '--capture', 'conv_1', '--output', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.written, [out, join(dir, 'r18.conv_1.npy')]);
  const logits = readNpy(readFileSync(out), out);
  assert.deepEqual(logits.shape, [1, 1000]);
  assert.ok(Math.abs(Math.max(...logits.data) - report.output.max) < 1e-6);
  assert.deepEqual(readNpy(readFileSync(join(dir, 'r18.conv_1.npy')), 'conv_1').shape, [1, 64, 112, 112]);
  assert.equal(stride(['run', lenet, '--output', join(dir, 'x.txt')]).status, 2);
});

/** The run process a CLI started (polled by its parent's pid), or '' if none appeared while `waiting()`. */
async function runProcessOf(cli: ChildProcess, waiting: () => boolean = () => true): Promise<string> {
  for (let i = 0; i < 200 && waiting(); i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const pid = execFileSync('ps', ['-o', 'pid=', '--ppid', String(cli.pid)], { encoding: 'utf8' }).trim();
      if (pid) return pid;
    } catch {
      // no child yet
    }
  }
  return '';
}

/** Whether the process `pid` has ended within 3 s. */
async function goneWithin3s(pid: string): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      if (execFileSync('ps', ['-o', 'pid=', '-p', pid], { encoding: 'utf8' }).trim() === '') return true;
    } catch {
      return true;
    }
  }
  return false;
}

test('killing the CLI ends the run process too', async () => {
  const cli = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'run', join(ROOT, 'examples/resnet18.stride'), '--ep', 'cpu', '--iterations', '10000'], { stdio: 'ignore' });
  const worker = await runProcessOf(cli);
  assert.ok(worker, 'the run process started');
  await new Promise((r) => setTimeout(r, 1500));
  cli.kill('SIGKILL');
  assert.ok(await goneWithin3s(worker), 'the run process is gone within 3 s of its parent');
});

test('`stride run` ends once its answer is written, and its run process ends by itself soon after', async () => {
  const cli = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'run', join(ROOT, 'examples/resnet18.stride'), '--ep', 'cpu', '--iterations', '40'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  cli.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const ended = new Promise<number | null>((r) => cli.on('exit', r));
  const worker = await runProcessOf(cli, () => cli.exitCode === null);
  assert.ok(worker, 'the run process started');
  assert.equal(await ended, 0);
  assert.match(out, /network ResNet18 on CPU/);
  assert.ok(await goneWithin3s(worker), 'the run process is gone within 3 s of the answer');
});

test('a usage error ends `stride run` at once, though its run process was started before the options were read', () => {
  for (const args of [['--ep', 'gpu'], ['--batch', '0'], ['--iterations', 'x']]) {
    const t0 = performance.now();
    const r = stride(['run', lenet, ...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.ok(performance.now() - t0 < 5_000, `${args.join(' ')}: ${(performance.now() - t0).toFixed(0)} ms`);
  }
});

test('--iterations is bounded, a long run shows its progress, sizes are checked before allocating', () => {
  const many = stride(['run', lenet, '--iterations', '1000000']);
  assert.equal(many.status, 2);
  assert.match(many.stderr, /^stride: --iterations must be a whole number from 0 to 10,000, not '1000000'/);
  for (const batch of ['9007199254740993', '1e300', '2.5', '-1', '0x10']) {
    const r = stride(['run', lenet, `--batch=${batch}`]);
    assert.equal(r.status, 2, batch);
    assert.match(r.stderr, new RegExp(`^stride: --batch must be a whole number from 1 to 9,007,199,254,740,991, not '${batch.replace('.', '\\.')}'`), batch);
  }
  const huge = stride(['run', join(ROOT, 'examples/resnet18.stride'), '--batch', '100000']);
  assert.equal(huge.status, 1);
  assert.match(huge.stderr, /resnet18\.stride: error: batch 100,000 needs about [\d.]+ [GT]iB \(44\.6 MiB of weights, [\d.]+ MiB more that ONNX Runtime holds with them, 56\.1 GiB of input \(in the run process\), [\d.]+ [GT]iB of activations and outputs while it runs\) and this machine has [\d.]+ GiB; use --batch [\d,]+ or less\n$/);
  const progress = stride(['run', join(ROOT, 'examples/resnet18.stride'), '--ep', 'cpu', '--iterations', '300', '--json']);
  assert.equal(progress.status, 0, progress.stderr);
  // How long the run itself took, from its own timings: the export before it does not count.
  const t = JSON.parse(progress.stdout).timings;
  const runMs = t.sessionMs + t.firstRunMs + t.p50Ms * t.iterations;
  if (runMs > 3000) assert.match(progress.stderr, /^stride: run \d+\/300 \(\d+ s, about \d+ s left\)\n/);
  if (runMs < 1500) assert.equal(progress.stderr, '', 'a short run is silent');
});

test('ONNX Runtime running out of memory is reported at the layer\'s line with a next step', () => {
  // A 2.5 GB address-space limit: the real allocation failure, at the first large activation.
  const r = spawnSync('sh', ['-c', `ulimit -v 2500000 && exec "${process.execPath}" dist/cli.js run examples/resnet18.stride --batch 400 --ep cpu --iterations 0`], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^examples\/resnet18\.stride: error: out of memory in (conv|relu|batchnorm|maxpool)_\d+ \(line \d+\) at batch 400: ONNX Runtime could not allocate [\d.]+ [GM]iB; try a smaller batch \(--batch 200\)\n$/);
});

test('the peak memory reported is the run process\'s own, not its caller\'s', () => {
  // The caller holds 1.5 GB when it starts the CLI: ru_maxrss would carry it over to the run process.
  const script = `const b = Buffer.alloc(1.5 * 2 ** 30, 1); const r = require('node:child_process').spawnSync(process.execPath, ['dist/cli.js', 'run', 'examples/lenet5.stride', '--ep', 'cpu', '--iterations', '1', '--json'], { encoding: 'utf8' }); process.stdout.write(b[0] === 1 ? r.stdout : '');`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  const peak = JSON.parse(r.stdout).peakMemory;
  assert.ok(peak > 20 * 2 ** 20 && peak < 400 * 2 ** 20, `peak ${peak} bytes`);
});

test('--mean and --std: no gaps, no zeros to divide by, and never silently ignored', () => {
  for (const [flag, value, message] of [
    ['--mean', '0.5,,0.5', /--mean takes numbers separated by commas \(e\.g\. 0\.485,0\.456,0\.406\), not '0\.5,,0\.5'/],
    ['--mean', '0.5,0.5,', /--mean takes numbers/],
    ['--std', '0.2,0,0.2', /--std divides the input: its values cannot be 0/],
    ['--mean', '0.5', /--mean and --std normalise an image input; the input is random, so they would be ignored/],
  ] as const) {
    const r = stride(['run', lenet, flag, value]);
    assert.equal(r.status, 2, `${flag} ${value}`);
    assert.match(r.stderr, message);
  }
});

test('a source run (the run panel) takes a batch, an input file and a weights file, each named in what it reports', async () => {
  const { runSource } = await import('../runtime/run.js');
  const text = readFileSync(lenet, 'utf8');
  const weights = join(dir, 'lenet-seed5.onnx');
  assert.equal(stride(['export', lenet, '--seed', '5', '-o', weights]).status, 0);
  const npy = join(dir, 'two.npy');
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 32, 32), }".padEnd(117, ' ') + '\n';
  const values = Float32Array.from({ length: 2 * 32 * 32 }, (_, i) => ((i * 37) % 101) / 101);
  writeFileSync(npy, Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, header.length, 0]), Buffer.from(header), Buffer.from(values.buffer)]));
  const base = { type: 'run-source' as const, text, seed: 0, provider: 'cpu' as const, iterations: 1, profile: false, captureOps: [], maxChannels: 0 };

  const loaded = await runSource({ ...base, weightsFile: weights, inputFile: npy }, {});
  assert.deepEqual(loaded.report.input, { source: npy, shape: [2, 1, 32, 32] });
  assert.equal(loaded.report.weights, weights);
  // The weights file holds the seed-5 initialisation: the same run as seed 5 without a file.
  const seeded = await runSource({ ...base, seed: 5, inputFile: npy }, {});
  assert.equal(seeded.report.weights, undefined);
  assert.equal(loaded.report.output.mean, seeded.report.output.mean);
  assert.notEqual(loaded.report.output.mean, (await runSource({ ...base, inputFile: npy }, {})).report.output.mean);

  const batch = await runSource({ ...base, batch: 3 }, {});
  assert.deepEqual(batch.report.input.shape, [3, 1, 32, 32]);
  assert.deepEqual(batch.report.output.shape, [3, 10]);
  await assert.rejects(runSource({ ...base, weightsFile: join(dir, 'missing.safetensors') }, {}), { message: `cannot read the weights file ${join(dir, 'missing.safetensors')}: no such file` });
});

test('time per layer sums per op and per top-level block call, slowest first, with shares of the total', async () => {
  const { layerTotals } = await import('../runtime/run-report.js');
  const layers = [
    { name: 'conv_1', op: 'conv', ms: 4 },
    { name: 'Basic_1.conv_1', op: 'conv', ms: 2 },
    { name: 'Basic_1.relu_1', op: 'relu', ms: 1 },
    { name: 'Stage_1.Basic_1.conv_1', op: 'conv', ms: 3 },
    { name: 'dense_1', op: 'dense', ms: 0 },
  ];
  const t = layerTotals(layers);
  assert.equal(t.total, 10);
  assert.deepEqual(t.byOp, [
    { key: 'conv', ms: 9, layers: 3, share: 0.9 },
    { key: 'relu', ms: 1, layers: 1, share: 0.1 },
    { key: 'dense', ms: 0, layers: 1, share: 0 },
  ]);
  assert.deepEqual(t.byBlock.map((g) => [g.key, g.ms, g.layers]), [['(network)', 4, 2], ['Basic_1', 3, 2], ['Stage_1', 3, 1]]);
  assert.deepEqual(layerTotals([{ name: 'x', op: 'relu', ms: 0 }]).byOp, [{ key: 'relu', ms: 0, layers: 1, share: 0 }]);

  const r = stride(['run', join(ROOT, 'examples/resnet18.stride'), '--ep', 'cpu', '--iterations', '1', '--profile']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /time per layer \(mean per run, [\d.]+ ms in all, the optimised graph's kernels; p50 [\d.]+ ms a run\):/);
  assert.match(r.stdout, /\n {4}batchnorm_1 +line {3}40 +in conv_1\n/);
  assert.match(r.stdout, /\n {4}conv_1 +line {3}39 +[\d.]+ ms +[\d.]+% +█* +\(with batchnorm_1, relu_1\)/);
  assert.match(r.stdout, /\n {4}conv_1 +line {3}39 +[\d.]+ ms +[\d.]+%/);
  const shares = (line: string) => [...(new RegExp(`^  ${line} +(.*)$`, 'm').exec(r.stdout)?.[1] ?? '').matchAll(/\(([\d.]+)%\)/g)].reduce((a, m) => a + Number(m[1]), 0);
  assert.match(r.stdout, /^ {2}time per op {5}conv [\d.]+ ms \([\d.]+%\), /m);
  assert.match(r.stdout, /^ {2}time per block {2}.*BasicDown_1 [\d.]+ ms/m);
  assert.ok(Math.abs(shares('time per op') - 100) < 0.6 && Math.abs(shares('time per block') - 100) < 0.6, 'the shares add up to the whole');
});
