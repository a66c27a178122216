/**
 * What an ONNX Runtime session adds to the run process's memory, measured as `stride run` runs it (the
 * child process, onnxruntime-node on the CPU, default session options) against a rule that predicts it
 * from the network's layers.
 *
 *   node --import tsx bench/ort-memory.ts [--all] [--batch 1,32] [--iterations N] [FILE[:NETWORK]…]
 *   node --import tsx bench/run.ts ort-memory [--all]
 *
 * By default ResNet-18 and VGG-16 at batch 1 and 32; `--all` every network of every example at batch 1
 * and 8. The figure is `sessionMemory` = the run process's peak resident memory (VmHWM) at the end less
 * its resident memory just before `InferenceSession.create` (the model bytes and the input are resident
 * by then, so neither is in it). Needs `npm run build` first (the run worker is dist/run-worker.js).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyze, inferenceMemory, type InferenceMemory } from '../language/index.js';
import { nchwcBlock } from '../runtime/cpu.js';
import { exportNetwork } from '../runtime/export.js';
import { randomInput } from '../runtime/random.js';
import { runModel } from '../runtime/run.js';
import { figure, note } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MiB = 2 ** 20;

// ---------------------------------------------------------------------------------------------- measuring

export interface OrtMemoryCase {
  file: string;
  network?: string;
  batch: number;
}

export interface OrtMemoryMeasurement {
  network: string;
  batch: number;
  peakRss: number;
  rssBeforeSession: number;
  sessionMemory: number;
  p50Ms: number;
  terms: InferenceMemory;
}

/** Runs one case the way `stride run --ep cpu` does: exported with seeded weights, a random input. */
export async function measure(c: OrtMemoryCase, iterations: number): Promise<OrtMemoryMeasurement> {
  const a = analyze(readFileSync(c.file, 'utf8'));
  const net = c.network ? a.networks.find((n) => n.name === c.network) : a.networks[0];
  if (!net) throw new Error(`no network ${c.network ?? ''} in ${c.file}`);
  const model = exportNetwork(a, net, { seed: 0 });
  const dims = [c.batch, ...model.input.shape];
  const data = randomInput(dims.reduce((x, d) => x * d, 1), 0);
  const r = await runModel(model, { dims, data }, { provider: 'cpu', iterations });
  const runs = [...r.timings.runsMs].sort((x, y) => x - y);
  return {
    network: net.name,
    batch: c.batch,
    peakRss: r.peakRss,
    rssBeforeSession: r.rssBeforeSession,
    sessionMemory: r.peakRss - r.rssBeforeSession,
    p50Ms: runs.length > 0 ? runs[runs.length >> 1] : r.timings.firstRunMs,
    terms: inferenceMemory(net.layers, net.output, { batch: c.batch, block: nchwcBlock(), iterations }),
  };
}

const DEFAULT_NETWORKS = ['resnet18.stride', 'vgg16.stride'];

/** Every network of every example (or the named ones), at each batch. */
function cases(all: boolean, batches: number[], named: string[]): OrtMemoryCase[] {
  const dir = join(ROOT, 'examples');
  const targets = named.length > 0 ? named : (all ? readdirSync(dir).filter((f) => f.endsWith('.stride')).sort() : DEFAULT_NETWORKS).map((f) => join(dir, f));
  const out: OrtMemoryCase[] = [];
  for (const batch of batches) {
    for (const t of targets) {
      const [file, network] = t.includes(':') ? [t.slice(0, t.lastIndexOf(':')), t.slice(t.lastIndexOf(':') + 1)] : [t, undefined];
      const names = network ? [network] : analyze(readFileSync(file, 'utf8')).networks.filter((n) => n.layers.length > 1).map((n) => n.name);
      for (const n of named.length > 0 || all ? names : names.slice(0, 1)) out.push({ file, network: n, batch });
    }
  }
  return out;
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** Measures every case, each in a fresh run process; prints a table (notes) and figures. */
export async function ortMemory(all = process.argv.includes('--all'), argv = process.argv.slice(2)): Promise<OrtMemoryMeasurement[]> {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const batches = (flag('--batch') ?? (all ? '1,8' : '1,32')).split(',').map(Number);
  const iterations = Number(flag('--iterations') ?? 10);
  const valued = new Set([flag('--batch'), flag('--iterations')]);
  const named = argv.filter((x) => !x.startsWith('-') && !valued.has(x) && /\.stride(:|$)/.test(x));
  const list = cases(all, batches, named);
  note(`ONNX Runtime session memory, CPU, ${iterations} timed runs after the first; NCHWc block ${nchwcBlock()}; MiB`);
  note('network            batch  weights  sessionMem   peakRss  rssBefore   copies  planAct  predicted  error');
  const results: OrtMemoryMeasurement[] = [];
  for (const c of list) {
    let m: OrtMemoryMeasurement;
    try {
      m = await measure(c, iterations);
    } catch (e) {
      note(`${basename(c.file)} ${c.network ?? ''} batch ${c.batch}: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
      continue;
    }
    results.push(m);
    const t = m.terms;
    const error = (100 * (t.session - m.sessionMemory)) / m.sessionMemory;
    note(
      `${m.network.padEnd(18)} ${String(m.batch).padStart(5)} ${mib(t.weights).padStart(8)} ${mib(m.sessionMemory).padStart(11)} ${mib(m.peakRss).padStart(9)} ${mib(m.rssBeforeSession).padStart(10)} ${mib(t.weightCopies).padStart(8)} ${mib(t.activations).padStart(8)} ${mib(t.session).padStart(10)} ${(error >= 0 ? '+' : '') + error.toFixed(1).padStart(5)}%`,
    );
    const key = `ort-${slug(m.network)}-b${m.batch}`;
    figure(`${key}-session-memory`, m.sessionMemory / MiB, 'MiB');
    figure(`${key}-predicted`, t.session / MiB, 'MiB');
    figure(`${key}-error`, error, '%');
  }
  return results;
}

export const ortMemoryBenchmarks = [{ name: 'ort-memory', run: () => ortMemory().then(() => undefined) }];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ortMemory().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  });
}
