import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as Ort from 'onnxruntime-node';
import { analyze } from '../language/index.js';
import { declaredWeights, exportNetwork, pickNetwork } from './export.js';
import { inputFromFile, readRunFile } from './input-file.js';
import { loadWeights } from './weights-file.js';
import { checkRunSize } from './run-size.js';
import { CUDA_SETUP_HINT, type FeatureMap, type RunRequest, type RunResult, type SourceExportRequest, type SourceExportResult, type SourceRunRequest, type SourceRunResult, type WorkerMessage, type WorkerRequest } from './run-protocol.js';
import { randomInput } from './random.js';
import { runReport, sessionEstimate } from './run-report.js';
import { explainRunFailure } from './run-errors.js';
import { checkNotInput, writeFileAtomic } from './write-file.js';
import { cudaLoadProblem, loadOrt } from './ort-load.js';

/**
 * The child process that holds an ONNX Runtime session: a native crash, an out-of-memory or a hang here
 * ends this process, not the editor or the CLI, and the parent can kill it to cancel a run.
 */

const { ort, bindingDir } = loadOrt();
ort.env.logLevel = 'fatal';

/**
 * A run blocks this thread inside ONNX Runtime, so the watchdog lives on a thread of its own: when the
 * parent goes away (killed, crashed: this process is re-parented) or the deadline passes, it ends this
 * process, even in the middle of a run.
 */
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const { parent, deadline } = workerData;
setInterval(() => {
  let gone = process.ppid !== parent;
  if (!gone) try { process.kill(parent, 0); } catch { gone = true; }
  if (gone || Date.now() > deadline) process.kill(process.pid, 'SIGKILL');
}, 200);
`;

function startWatchdog(timeoutMs: number): void {
  // A little after the parent's own limit, which reports the time-out in words.
  new Worker(WATCHDOG, { eval: true, workerData: { parent: process.ppid, deadline: Date.now() + timeoutMs + 5_000 } }).unref();
}

/** A size in /proc/self/status (`VmHWM`, `VmRSS`), in bytes; undefined where there is none (not Linux). */
function procStatus(field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return undefined;
}

/** Peak resident memory of this process: VmHWM, which (unlike ru_maxrss) does not carry over an exec. */
function peakMemory(): number {
  return procStatus('VmHWM') ?? process.resourceUsage().maxRSS * 1024;
}

/** Resident memory of this process now: VmRSS. */
function residentMemory(): number {
  return procStatus('VmRSS') ?? process.memoryUsage.rss();
}

/** Iterations done, sent at most a few times a second so a long run can show its progress. */
function progress(done: number, total: number, last: { at: number }): void {
  const now = performance.now();
  if (now - last.at < 250 && done < total) return;
  last.at = now;
  process.send!({ type: 'progress', done, total } satisfies WorkerMessage);
}

/** An error's whole message without ONNX Runtime's colour codes. */
function plain(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\u001b\[[0-9;]*m/g, '');
}

function firstLine(e: unknown): string {
  // ONNX Runtime appends its source location; the first clause is what a user needs.
  return plain(e).split(/\r?\n|\[ONNXRuntimeError\]/)[0].trim();
}

/** Why the CUDA provider did not load, as specific as the loader can say. */
function cudaProblem(e: unknown): string {
  const why = firstLine(e);
  if (!/Failed to load shared library/i.test(why)) return why;
  const privateCopy = process.env.STRIDE_ORT_BINDING !== undefined;
  const loader = cudaLoadProblem(bindingDir);
  if (!loader) return why;
  if (!privateCopy && /is not in /.test(loader)) return existsSync('/proc/driver/nvidia/version') ? 'its libraries are not installed' : 'its libraries are not installed, and this machine has no NVIDIA driver loaded';
  return privateCopy ? `the libraries set up in ${bindingDir} do not load: ${loader}` : loader;
}

async function createSession(req: RunRequest, options: Ort.InferenceSession.SessionOptions): Promise<{ session: Ort.InferenceSession; provider: 'cuda' | 'cpu'; reason: string; cudaProblem?: string }> {
  if (req.provider === 'cpu') return { session: await ort.InferenceSession.create(req.model, { ...options, executionProviders: ['cpu'] }), provider: 'cpu', reason: 'as requested' };
  try {
    const session = await ort.InferenceSession.create(req.model, { ...options, executionProviders: ['cuda'] });
    return { session, provider: 'cuda', reason: req.provider === 'cuda' ? 'as requested' : 'the CUDA execution provider loaded' };
  } catch (e) {
    const problem = cudaProblem(e);
    if (req.provider === 'cuda') throw new CudaError(`the CUDA execution provider is not available here (${problem}); to set it up, ${CUDA_SETUP_HINT}`, problem);
    const session = await ort.InferenceSession.create(req.model, { ...options, executionProviders: ['cpu'] });
    return { session, provider: 'cpu', reason: `the CUDA execution provider is not available (${problem}); to use a GPU, ${CUDA_SETUP_HINT}`, cudaProblem: problem };
  }
}

/** CUDA was asked for and did not load: the caller offers the set-up. */
class CudaError extends Error {
  constructor(
    message: string,
    readonly problem: string,
  ) {
    super(message);
  }
}

async function run(req: RunRequest): Promise<RunResult> {
  const prefix = join(tmpdir(), `stride-profile-${process.pid}`);
  // The graph a real run runs, optimised: each fused kernel's time is put back on its layers afterwards.
  const options: Ort.InferenceSession.SessionOptions = req.profile ? { enableProfiling: true, profileFilePrefix: prefix } : {};
  // The model bytes and the input are resident already: what the session adds is the peak less this.
  const rssBeforeSession = residentMemory();
  const t0 = performance.now();
  const { session, provider, reason, cudaProblem: problem } = await createSession(req, options);
  const sessionMs = performance.now() - t0;
  const feeds = { [req.input.name]: new ort.Tensor('float32', req.input.data, req.input.dims) };
  const t1 = performance.now();
  let out = await session.run(feeds, req.outputs);
  const firstRunMs = performance.now() - t1;
  const runsMs: number[] = [];
  const last = { at: performance.now() };
  for (let i = 0; i < req.iterations; i++) {
    const t = performance.now();
    out = await session.run(feeds, req.outputs);
    runsMs.push(performance.now() - t);
    progress(i + 1, req.iterations, last);
  }
  const outputs = req.outputs.map((name) => ({ name, dims: [...out[name].dims], data: out[name].data as Float32Array }));
  let nodeTimes: Record<string, number> | undefined;
  if (req.profile) {
    // onnxruntime-node writes the profile to `<prefix>_<date>.json` and does not return the name.
    session.endProfiling();
    const dir = tmpdir();
    const base = basename(prefix);
    const file = readdirSync(dir).find((f) => f.startsWith(base) && f.endsWith('.json'));
    nodeTimes = readProfile(file ? join(dir, file) : '');
  }
  await session.release();
  return { type: 'result', provider, reason, cudaProblem: problem, outputs, timings: { sessionMs, firstRunMs, runsMs }, peakRss: peakMemory(), rssBeforeSession, nodeTimes };
}

/** Kernel time per node from ONNX Runtime's Chrome-trace profile. */
function readProfile(file: string): Record<string, number> {
  if (!file) return {};
  const events = JSON.parse(readFileSync(file, 'utf8')) as { cat?: string; name?: string; dur?: number }[];
  rmSync(file, { force: true });
  const times: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || e.dur === undefined) continue;
    const node = e.name.slice(0, -'_kernel_time'.length);
    times[node] = (times[node] ?? 0) + e.dur;
  }
  return times;
}

/** Analyse, export and run a network given as text; capture feature maps of the chosen layers. */
async function runSource(req: SourceRunRequest): Promise<SourceRunResult> {
  const a = analyze(req.text);
  const net = pickNetwork(a, req.network);
  const captured = net.layers.filter((l) => req.captureOps.includes(l.op.name) && l.facts?.shape.length === 3);
  const weights = req.weightsFile ? loadWeights(readRunFile(readFileSync, req.weightsFile, 'weights file'), req.weightsFile, declaredWeights(a, net)) : undefined;
  const model = exportNetwork(a, net, { seed: req.seed, weights, captures: captured.map((l) => l.name) });
  const batch = req.batch ?? 1;
  const given = req.inputFile ? inputFromFile(readRunFile(readFileSync, req.inputFile, 'input file'), req.inputFile, model.input.shape, batch) : undefined;
  checkRunSize(net, given?.batch ?? batch, req.iterations);
  const dims = [given?.batch ?? batch, ...model.input.shape];
  const data = given?.data ?? randomInput(dims.reduce((x, d) => x * d, 1), req.seed);
  let result: RunResult;
  try {
    result = await run({ type: 'run', model: model.bytes, input: { name: model.input.name, dims, data }, outputs: [model.output.name, ...captured.map((l) => l.name)], provider: req.provider, iterations: req.iterations, profile: req.profile, timeoutMs: req.timeoutMs });
  } catch (e) {
    if (e instanceof CudaError) throw e;
    // An out-of-memory names an ONNX node: say which layer, on which line.
    throw new Error(explainRunFailure(plain(e), model.layers, dims[0]) ?? firstLine(e));
  }
  const report = runReport(net.name, model, result, req.inputFile ?? `random (seed ${req.seed})`, captured.length === 0 && !req.profile ? sessionEstimate(net, dims[0], req.iterations) : undefined);
  if (req.weightsFile) report.weights = req.weightsFile;
  const lines = new Map(model.layers.map((l) => [l.name, l.line]));
  const featureMaps = result.outputs.slice(1).map((o) => featureMap(o, lines.get(o.name) ?? 0, req.maxChannels));
  return { type: 'source-result', report, featureMaps };
}

/** The first sample's first channels, each scaled to 0–255 by its own range. */
function featureMap(o: { name: string; dims: number[]; data: Float32Array }, line: number, maxChannels: number): FeatureMap {
  const [, c, h, w] = o.dims;
  const channels = Math.min(c, maxChannels);
  const pixels = new Uint8Array(channels * h * w);
  for (let k = 0; k < channels; k++) {
    const plane = o.data.subarray(k * h * w, (k + 1) * h * w);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of plane) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo || 1;
    for (let i = 0; i < plane.length; i++) pixels[k * h * w + i] = Math.round((255 * (plane[i] - lo)) / span);
  }
  return { layer: o.name, line, channels, height: h, width: w, pixels };
}

async function exportSource(req: SourceExportRequest): Promise<SourceExportResult> {
  const a = analyze(req.text);
  const net = pickNetwork(a, req.network);
  if (req.source) checkNotInput(req.path, [{ path: req.source, what: 'source file' }]);
  const model = exportNetwork(a, net, { seed: req.seed });
  writeFileAtomic(req.path, model.bytes);
  return { type: 'export-result', network: net.name, path: req.path, bytes: model.bytes.length, layers: model.layers.length };
}

function handle(req: WorkerRequest): Promise<WorkerMessage> {
  if (req.type === 'run') return run(req);
  if (req.type === 'run-source') return runSource(req);
  return exportSource(req);
}

/** The answer, then the end: exiting only once the message is written, however large it is. */
function reply(m: WorkerMessage): void {
  process.send!(m, undefined, {}, (e) => {
    if (e) process.stderr.write(`the answer could not be sent: ${e.message}\n`);
    process.exit(e ? 1 : 0);
  });
}

// The parent is the only reader of the answer: without it there is nothing left to do.
process.on('disconnect', () => process.exit(0));

process.once('message', (req: WorkerRequest) => {
  startWatchdog(req.timeoutMs);
  handle(req)
    .then(reply)
    .catch((e: unknown) => reply({ type: 'error', message: firstLine(e), detail: plain(e), cudaProblem: e instanceof CudaError ? e.problem : undefined }));
});
