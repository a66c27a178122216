import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { CLI, ROOT, summaryJson } from './lib/cli.js';

// PyTorch as the independent oracle for every network in examples/: each is written by hand as a PyTorch
// module in test/torch/networks.py, from the text of its .stride file. For each network:
//   1. `stride export --opset 17 --seed 1` writes the ONNX model;
//   2. one Python process (Debian's python3-torch and python3-onnx) checks it with onnx.checker
//      (full_check), loads its weights by name into the module (strict: every name and shape must match),
//      gives the biases and batchnorm tensors seeded values (Stride initialises them to zeros and ones,
//      which would hide mistakes in them), writes the module's state_dict as a .safetensors file (quicker
//      to write than an ONNX model of 500 MB), and computes the module's output on a seeded input;
//   3. `stride run --weights ….safetensors --input ….npy --output ….npy` runs the network on ONNX
//      Runtime, and its output must match PyTorch's: max|stride − torch| ≤ 1e-4 · max|torch|.
// The three steps overlap: two stride processes at a time beside the Python one, the largest networks
// first. The whole file takes about a minute and a half on two cores.
// STRIDE_TORCH_NETWORKS=LeNet5,VGG16 checks only those networks.

const PYTHON = '/usr/bin/python3';
const INSTALL = 'apt-get install -y python3-torch python3-onnx';
const ORACLE = join(ROOT, 'test/torch/oracle.py');
const TOLERANCE = 1e-4;
const SILENT_S = 240;
const CLI_TIMEOUT_S = 120;
const SEED = 1;
/**
 * Above this many MACs for the whole batch, PyTorch computes in float32: its float64 convolutions are some
 * 50 times slower here. On these networks float32 and float64 agree to about 1e-6 of the output's range.
 */
const FLOAT64_MACS = 4e9;
/** Batch 2 (so that the batch dimension is exercised), 1 for the two networks that compute the most. */
const BATCH: Record<string, number> = { UNet: 1, FCN8s: 1 };

const dir = mkdtempSync(join(tmpdir(), 'stride-torch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Net {
  file: string;
  name: string;
  /** `--network NAME` where the file has several. */
  pick: string[];
  batch: number;
  dtype: 'float32' | 'float64';
  model: string;
  weights: string;
  input: string;
  torchOut: string;
  strideOut: string;
  /** Weights: the largest networks start first. */
  params: number;
}

const only = process.env.STRIDE_TORCH_NETWORKS?.split(',').map((s) => s.trim());
// The examples, and networks that exist to cover ops no example uses (test/fixtures/torch/).
const sources = ['examples', 'test/fixtures/torch'].flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.stride')).sort().map((f) => `${d}/${f}`));
const nets: Net[] = sources.flatMap((f) => {
  const file = join(ROOT, f);
  const { json } = summaryJson(file);
  return json.networks.filter((n) => !only || only.includes(n.name)).map((n) => {
    const batch = BATCH[n.name] ?? 2;
    const p = (suffix: string) => join(dir, `${n.name}${suffix}`);
    return {
      file: f,
      name: n.name,
      pick: json.networks.length > 1 ? ['--network', n.name] : [],
      batch,
      dtype: n.macs * batch > FLOAT64_MACS ? 'float32' : 'float64',
      model: p('.onnx'),
      weights: p('-weights.safetensors'),
      input: p('-input.npy'),
      torchOut: p('-torch.npy'),
      strideOut: p('-stride.npy'),
      params: n.params,
    };
  });
});

// ------------------------------------------------------------------------------------------- processes

interface Done {
  status: number | string | null;
  stdout: string;
  stderr: string;
}

/**
 * At most two stride processes at a time: the machine's cores are shared with the Python process. Runs
 * go before exports still waiting, so that each network finishes (and frees its files) soon.
 */
let running = 0;
const waiting: { run: boolean; go: () => void }[] = [];
async function strideCli(args: string[]): Promise<Done> {
  if (running >= 2) {
    await new Promise<void>((go) => {
      const run = args[0] === 'run';
      const at = run ? waiting.findIndex((w) => !w.run) : -1;
      waiting.splice(at < 0 ? waiting.length : at, 0, { run, go });
    });
  }
  running++;
  try {
    return await new Promise<Done>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => {
        stderr += `\n(stopped after ${CLI_TIMEOUT_S} s)`;
        child.kill('SIGKILL');
      }, CLI_TIMEOUT_S * 1000);
      child.on('error', reject);
      child.on('close', (status, signal) => {
        clearTimeout(timer);
        resolve({ status: status ?? signal, stdout, stderr });
      });
    });
  } finally {
    running--;
    waiting.shift()?.go();
  }
}

interface OracleResult {
  network: string;
  ok: boolean;
  problems: string[];
  seconds?: number;
  output_shape?: number[];
}

/** The Python process: jobs in on stdin as each export finishes, one result a line out. */
const oracle = (() => {
  const child = spawn(PYTHON, ['-B', ORACLE], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => {}); // a process that has ended: its 'close' reports it
  const pending = new Map<string, (r: OracleResult) => void>();
  let failure: string | undefined;
  const fail = (why: string) => {
    failure ??= why;
    for (const [name, resolve] of pending) resolve({ network: name, ok: false, problems: [failure] });
    pending.clear();
  };
  // A network takes PyTorch seconds; minutes without a word mean it is stuck.
  let watchdog: NodeJS.Timeout | undefined;
  const watch = () => {
    clearTimeout(watchdog);
    if (pending.size === 0) return;
    watchdog = setTimeout(() => {
      fail(`the PyTorch process gave no answer for ${SILENT_S} s`);
      child.kill('SIGKILL');
    }, SILENT_S * 1000);
  };
  const ready = new Promise<{ versions?: string; error?: string }>((resolve) => {
    child.on('error', (e) => {
      const why = `cannot start ${PYTHON} (${e.message}); CI installs PyTorch and ONNX with: ${INSTALL}`;
      fail(why);
      resolve({ error: why });
    });
    const lines = createInterface({ input: child.stdout });
    let first = true;
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const msg = JSON.parse(line);
      if (first) {
        first = false;
        if (msg.import_error) {
          const why = `${PYTHON} cannot import torch and onnx (${msg.import_error}); install them with: ${INSTALL}`;
          fail(why);
          resolve({ error: why });
        } else resolve({ versions: `torch ${msg.torch}, onnx ${msg.onnx}` });
        return;
      }
      pending.get(msg.network)?.(msg as OracleResult);
      pending.delete(msg.network);
      watch();
    });
    child.on('close', (code) => {
      const why = `the PyTorch process ended (exit ${code}) before answering${stderr ? `:\n${stderr.slice(-4000)}` : ''}`;
      if (first) resolve({ error: `${why}; it needs torch and onnx: ${INSTALL}` });
      fail(why);
      clearTimeout(watchdog);
    });
  });
  return {
    ready,
    ask(net: Net): Promise<OracleResult> {
      if (failure) return Promise.resolve({ network: net.name, ok: false, problems: [failure] });
      const job = { network: net.name, model: net.model, weights: net.weights, input: net.input, output: net.torchOut, batch: net.batch, seed: SEED, dtype: net.dtype };
      return new Promise((resolve) => {
        pending.set(net.name, resolve);
        child.stdin.write(`${JSON.stringify(job)}\n`);
        watch();
      });
    },
    close: () => child.stdin.end(),
  };
})();

// ---------------------------------------------------------------------------------------------- .npy

interface Array32 {
  shape: number[];
  data: Float32Array;
}

function readNpy(file: string): Array32 {
  const b = readFileSync(file);
  assert.equal(b.subarray(1, 6).toString('latin1'), 'NUMPY', `${file} is not a .npy file`);
  const v2 = b[6] >= 2;
  const length = v2 ? b.readUInt32LE(8) : b.readUInt16LE(8);
  const start = (v2 ? 12 : 10) + length;
  const header = b.subarray(v2 ? 12 : 10, start).toString('latin1');
  assert.match(header, /'descr': '<f4'/, `${file}: not little-endian float32 (${header.trim()})`);
  assert.match(header, /'fortran_order': False/, `${file}: Fortran order (${header.trim()})`);
  const shape = header.match(/'shape': \(([^)]*)\)/)![1].split(',').filter((s) => s.trim() !== '').map(Number);
  const count = shape.reduce((a, d) => a * d, 1);
  assert.equal(b.length - start, 4 * count, `${file}: ${b.length - start} bytes of data for shape (${shape.join(', ')})`);
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(b.subarray(start));
  return { shape, data };
}

/** A flat index as [n, c, h, w] (or whatever the rank is). */
function position(index: number, shape: number[]): string {
  const at: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    at.unshift(index % shape[i]);
    index = Math.floor(index / shape[i]);
  }
  return `[${at.join(', ')}]`;
}

// ------------------------------------------------------------------------------------------- pipeline

interface Outcome {
  problems: string[];
  /** Seconds each step took: export, PyTorch, run. */
  seconds?: number[];
  /** Max |stride − torch| and max |torch|, when both outputs were there to compare. */
  compared?: { maxDiff: number; maxRef: number; where: string; stride: number; torch: number; shape: number[] };
}

async function check(net: Net): Promise<Outcome> {
  const seconds: number[] = [];
  let start = Date.now();
  const step = () => {
    seconds.push((Date.now() - start) / 1000);
    start = Date.now();
  };
  const { error } = await oracle.ready;
  if (error) return { problems: [error] };
  const exported = await strideCli(['export', net.file, ...net.pick, '-o', net.model, '--opset', '17', '--seed', String(SEED)]);
  if (exported.status !== 0) return { problems: [`stride export exited ${exported.status}: ${exported.stderr.trim()}`] };
  step();
  const torch = await oracle.ask(net);
  step();
  rmSync(net.model, { force: true });
  if (!torch.output_shape) return { problems: torch.problems };
  const problems = [...torch.problems];
  const ran = await strideCli(['run', net.file, ...net.pick, '--weights', net.weights, '--input', net.input, '--output', net.strideOut, '--ep', 'cpu', '--iterations', '0']);
  step();
  rmSync(net.weights, { force: true });
  if (ran.status !== 0) return { problems: [...problems, `stride run exited ${ran.status}: ${ran.stderr.trim()}`] };
  const ours = readNpy(net.strideOut);
  const ref = readNpy(net.torchOut);
  if (ours.shape.join('×') !== ref.shape.join('×')) return { problems: [...problems, `stride's output is ${ours.shape.join('×')}, PyTorch's ${ref.shape.join('×')}`] };
  let maxDiff = 0;
  let maxRef = 0;
  let worst = 0;
  let nan = -1;
  for (let i = 0; i < ref.data.length; i++) {
    const d = Math.abs(ours.data[i] - ref.data[i]);
    if (Number.isNaN(d) && nan < 0) nan = i;
    if (d > maxDiff) [maxDiff, worst] = [d, i];
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
  }
  if (nan >= 0) problems.push(`NaN at ${position(nan, ref.shape)}: stride ${ours.data[nan]}, PyTorch ${ref.data[nan]}`);
  const compared = { maxDiff, maxRef, where: position(worst, ref.shape), stride: ours.data[worst], torch: ref.data[worst], shape: ref.shape };
  if (!(maxDiff <= TOLERANCE * maxRef)) {
    problems.push(
      `outputs differ: max |stride − torch| = ${maxDiff.toPrecision(4)} at ${compared.where} of ${ref.shape.join('×')} ` +
        `(stride ${compared.stride}, PyTorch ${compared.torch}), ${(maxDiff / maxRef).toExponential(2)} of max |torch| = ${maxRef.toPrecision(4)}; allowed ${TOLERANCE}`,
    );
  }
  return { problems, compared, seconds };
}

// Every network starts now, the largest first (the small ones then fill the gaps); the tests below wait
// for theirs, in the order of the files.
const outcomes = new Map(
  [...nets].sort((a, b) => b.params - a.params).map((n) => [n.name, check(n).catch((e: Error) => ({ problems: [`${e.stack ?? e}`] }) as Outcome)]),
);
Promise.all(outcomes.values()).then(() => oracle.close());

test('PyTorch and ONNX are there to check against (Debian python3-torch, python3-onnx)', async (t) => {
  const { error, versions } = await oracle.ready;
  if (error) assert.fail(error);
  t.diagnostic(versions!);
});

test('every network in examples/ is checked', { skip: only && 'STRIDE_TORCH_NETWORKS is set' }, () => {
  assert.ok(nets.length >= 21, `${nets.length} networks found in examples/`);
  assert.equal(new Set(nets.map((n) => n.name)).size, nets.length, 'network names are unique across examples/');
});

for (const net of nets) {
  test(`${net.name} (${net.file}) computes what PyTorch computes, batch ${net.batch}`, async (t) => {
    const { problems, compared, seconds } = await outcomes.get(net.name)!;
    if (compared) t.diagnostic(`max |stride − torch| ${compared.maxDiff.toPrecision(3)} of max |torch| ${compared.maxRef.toPrecision(4)} (${net.dtype} reference)`);
    // Each step's time, waits for a free process included.
    if (seconds) t.diagnostic(`export ${seconds[0].toFixed(1)} s, PyTorch ${seconds[1].toFixed(1)} s, run ${seconds[2].toFixed(1)} s`);
    if (problems.length > 0) assert.fail(`${net.name} (${net.file}):\n  ${problems.join('\n  ')}`);
  });
}
