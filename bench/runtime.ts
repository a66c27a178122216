import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { analyze } from '../language/index.js';
import { exportNetwork } from '../runtime/export.js';
import { runModel } from '../runtime/run.js';
import { runReport } from '../runtime/run-report.js';
import { ROOT } from '../test/lib/cli.js';
import { figure, note, quantile, target } from './lib.js';

/** Export and run costs: what `stride export` and `stride run` add on top of ONNX Runtime. */

function network(file: string) {
  const a = analyze(readFileSync(join(ROOT, 'examples', file), 'utf8'));
  return { a, net: a.networks[0] };
}

async function exportTime(): Promise<void> {
  const { a, net } = network('resnet50.stride');
  exportNetwork(a, net);
  const samples: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    exportNetwork(a, net, { seed: i });
    samples.push(performance.now() - t0);
  }
  samples.sort((x, y) => x - y);
  figure('export-resnet50-median', quantile(samples, 0.5), 'ms');
  target('export-resnet50-median', quantile(samples, 0.5), '<', 250, 'ms');
}

function input(shape: number[], batch: number): { dims: number[]; data: Float32Array } {
  const dims = [batch, ...shape];
  return { dims, data: Float32Array.from({ length: dims.reduce((x, d) => x * d, 1) }, (_, i) => (i % 255) / 255) };
}

/**
 * ResNet-18 at batch 1: the p50 latency `stride run` reports (its child process, its session) against a
 * bare onnxruntime-node session on the same model bytes in this process, in one run, alternating.
 */
async function overhead(): Promise<void> {
  const { a, net } = network('resnet18.stride');
  const model = exportNetwork(a, net);
  const x = input(model.input.shape, 1);
  const bare = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'] });
  const feeds = { input: new ort.Tensor('float32', x.data, x.dims) };
  const bareRuns: number[] = [];
  const strideRuns: number[] = [];
  for (let round = 0; round < 3; round++) {
    const r = await runModel(model, x, { provider: 'cpu', iterations: 20 });
    strideRuns.push(...r.timings.runsMs);
    await bare.run(feeds);
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await bare.run(feeds);
      bareRuns.push(performance.now() - t0);
    }
  }
  await bare.release();
  const s = quantile([...strideRuns].sort((p, q) => p - q), 0.5);
  const b = quantile([...bareRuns].sort((p, q) => p - q), 0.5);
  note('ResNet-18, batch 1, CPU: stride run (child process) against a bare session, 60 runs each');
  figure('run-resnet18-b1-p50', s, 'ms');
  figure('bare-resnet18-b1-p50', b, 'ms');
  figure('run-overhead-ratio', s / b, 'x');
  target('run-overhead-ratio', s / b, '<=', 1.05, 'x');
}

async function throughput(): Promise<void> {
  const { a, net } = network('resnet18.stride');
  const model = exportNetwork(a, net);
  for (const batch of [1, 8, 32]) {
    const r = await runModel(model, input(model.input.shape, batch), { provider: 'auto', iterations: batch === 32 ? 3 : 10 });
    const p50 = quantile([...r.timings.runsMs].sort((p, q) => p - q), 0.5);
    figure(`run-resnet18-throughput-b${batch}`, (1000 * batch) / p50, 'samples/s');
    if (batch === 1) note(`provider: ${r.provider}`);
  }
}

/**
 * `--profile` on ResNet-50: the per-layer kernel times of the optimised graph, summed, against the p50 of the
 * same session's runs; and how many of its layers ran inside another's kernel.
 */
async function profileSum(): Promise<void> {
  const { a, net } = network('resnet50.stride');
  const model = exportNetwork(a, net);
  const result = await runModel(model, input(model.input.shape, 1), { provider: 'cpu', iterations: 10, profile: true });
  const report = runReport(net.name, model, result, 'bench');
  const layers = report.layers ?? [];
  const sum = layers.reduce((t, l) => t + l.ms, 0);
  note(`ResNet-50, batch 1, CPU, --profile: ${layers.filter((l) => l.fused).length} kernels ran ${layers.filter((l) => l.fusedInto).length} fused layers too`);
  figure('profile-resnet50-layers-sum', sum, 'ms');
  figure('profile-resnet50-p50', report.timings.p50Ms, 'ms');
  figure('profile-sum-over-p50', sum / report.timings.p50Ms, 'x');
  target('profile-sum-over-p50', Math.abs(1 - sum / report.timings.p50Ms), '<=', 0.15, 'off');
}

/**
 * `stride run examples/resnet50.stride --iterations 10` as a user runs it, against a script that loads the
 * same exported .onnx in onnxruntime-node and runs it 11 times (the first and 10 timed): wall time and the
 * peak resident memory of the largest process (the run process's, as its report gives it; GNU time's maximum
 * resident set for the bare script and the CLI), alternating. Each ratio is the median of ROUNDS rounds' own
 * ratios, each against the bare run just before it: on a busy machine the three drift together. Twice: run
 * again, the model kept from the run before (model-cache.ts), and the first run of a design, with an empty
 * cache.
 */
const ROUNDS = 7;

async function runVsBare(): Promise<void> {
  const { a, net } = network('resnet50.stride');
  const dir = mkdtempSync(join(tmpdir(), 'stride-bare-'));
  const model = join(dir, 'resnet50.onnx');
  writeFileSync(model, exportNetwork(a, net).bytes);
  const script = join(dir, 'bare.cjs');
  writeFileSync(script, `const ort = require(${JSON.stringify(join(ROOT, 'node_modules', 'onnxruntime-node'))});
(async () => {
  const s = await ort.InferenceSession.create(${JSON.stringify(model)}, { executionProviders: ['cpu'] });
  const x = new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.5), [1, 3, 224, 224]);
  for (let i = 0; i < 11; i++) await s.run({ input: x });
})();
`);
  const time = existsSync('/usr/bin/time');
  const measure = (args: string[], cache?: string) => {
    const t0 = performance.now();
    const env = cache ? { ...process.env, STRIDE_MODEL_CACHE: cache } : process.env;
    const r = spawnSync(time ? '/usr/bin/time' : process.execPath, time ? ['-f', '%M', process.execPath, ...args] : args, { encoding: 'utf8', env });
    const wall = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
    const kb = time ? Number(r.stderr.trim().split('\n').pop()) : NaN;
    // The CLI does not wait for its run process to end, so GNU time sees only the CLI: the run process's own
    // peak comes from the report.
    const ran = args.includes('--json') ? (JSON.parse(r.stdout) as { peakMemory: number }).peakMemory : 0;
    return { wall, peak: Math.max(kb * 1024, ran) };
  };
  const run = [join(ROOT, 'bin', 'stride.js'), 'run', join(ROOT, 'examples', 'resnet50.stride'), '--iterations', '10', '--ep', 'cpu', '--json'];
  const rounds: Record<'bare' | 'again' | 'first', { wall: number; peak: number }[]> = { bare: [], again: [], first: [] };
  measure([script]);
  for (let i = 0; i < ROUNDS; i++) {
    const cache = join(dir, `cache-${i}`);
    rounds.bare.push(measure([script]));
    rounds.first.push(measure(run, cache));
    rounds.again.push(measure(run, cache));
  }
  rmSync(dir, { recursive: true, force: true });
  const med = (xs: number[]) => quantile([...xs].sort((p, q) => p - q), 0.5);
  const wall = (k: keyof typeof rounds) => med(rounds[k].map((r) => r.wall));
  const peak = (k: keyof typeof rounds) => med(rounds[k].map((r) => r.peak));
  const ratio = (k: 'again' | 'first', of: 'wall' | 'peak') => med(rounds[k].map((r, i) => r[of] / rounds.bare[i][of]));
  note(`ResNet-50, batch 1, CPU: \`stride run --iterations 10\` (analysis, export, run process) against a bare onnxruntime-node script on the exported .onnx, alternating, ${ROUNDS} rounds; run again (the model kept) and run first (an empty cache); ratios are medians of each round's own`);
  figure('bare-resnet50-wall', wall('bare'), 'ms');
  figure('run-resnet50-wall', wall('again'), 'ms');
  figure('run-vs-bare-ratio', ratio('again', 'wall'), 'x');
  target('run-vs-bare-ratio', ratio('again', 'wall'), '<=', 1.15, 'x');
  figure('run-first-resnet50-wall', wall('first'), 'ms');
  figure('run-first-vs-bare-ratio', ratio('first', 'wall'), 'x');
  if (time) {
    figure('bare-resnet50-peak', peak('bare') / 2 ** 20, 'MiB');
    figure('run-resnet50-peak', peak('again') / 2 ** 20, 'MiB');
    figure('run-vs-bare-memory-ratio', ratio('again', 'peak'), 'x');
    target('run-vs-bare-memory-ratio', ratio('again', 'peak'), '<=', 1.2, 'x');
    figure('run-first-resnet50-peak', peak('first') / 2 ** 20, 'MiB');
    figure('run-first-vs-bare-memory-ratio', ratio('first', 'peak'), 'x');
    target('run-first-vs-bare-memory-ratio', ratio('first', 'peak'), '<=', 1.2, 'x');
  }
}

export const runtimeBenchmarks = [
  { name: 'run-vs-bare', run: runVsBare },
  { name: 'profile-resnet50', run: profileSum },
  { name: 'export-resnet50', run: exportTime },
  { name: 'run-overhead', run: overhead },
  { name: 'run-throughput', run: throughput },
];
