import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as Ort from 'onnxruntime-node';
import { CUDA_SETUP_HINT, type RunRequest, type RunResult, type WorkerMessage, type WorkerRequest } from './run-protocol.js';
import { randomInput } from './random.js';
import { cudaLoadProblem, loadOrt } from './ort-load.js';
import type * as SourceRequests from './run-source.js';

/**
 * The child process that holds an ONNX Runtime session: a native crash, an out-of-memory or a hang here
 * ends this process, not the editor or the CLI, and the parent can kill it to cancel a run. It loads only
 * ONNX Runtime, so that it is ready soon after it starts; a request that brings a network's text loads
 * the language too (run-source.ts, its own bundle).
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

/** A session on a model's bytes or its file. */
function openSession(model: Uint8Array | string, options: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

async function createSession(req: RunRequest, options: Ort.InferenceSession.SessionOptions): Promise<{ session: Ort.InferenceSession; provider: 'cuda' | 'cpu'; reason: string; cudaProblem?: string }> {
  if (req.provider === 'cpu') return { session: await openSession(req.model, { ...options, executionProviders: ['cpu'] }), provider: 'cpu', reason: 'as requested' };
  try {
    const session = await openSession(req.model, { ...options, executionProviders: ['cuda'] });
    return { session, provider: 'cuda', reason: req.provider === 'cuda' ? 'as requested' : 'the CUDA execution provider loaded' };
  } catch (e) {
    const problem = cudaProblem(e);
    if (req.provider === 'cuda') throw new CudaError(`the CUDA execution provider is not available here (${problem}); to set it up, ${CUDA_SETUP_HINT}`, problem);
    const session = await openSession(req.model, { ...options, executionProviders: ['cpu'] });
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
  // A seeded input is made here rather than copied over: at a large batch the copies alone can tip a run out of memory.
  const data = 'data' in req.input ? req.input.data : randomInput(req.input.dims.reduce((x, d) => x * d, 1), req.input.seed);
  // The input (and the model bytes, where they came as bytes) are resident already: what the session adds is the peak less this.
  const rssBeforeSession = residentMemory();
  const t0 = performance.now();
  const { session, provider, reason, cudaProblem: problem } = await createSession(req, options);
  const sessionMs = performance.now() - t0;
  const feeds = { [req.input.name]: new ort.Tensor('float32', data, req.input.dims) };
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

function handle(req: WorkerRequest): Promise<WorkerMessage> {
  if (req.type === 'run') return run(req);
  // Beside this bundle; required only now, and by a path esbuild leaves as it is.
  const source = require(join(__dirname, 'run-source.js')) as typeof SourceRequests;
  const session = { run, isCudaError: (e: unknown) => e instanceof CudaError, plain, firstLine };
  return req.type === 'run-source' ? source.runSource(req, session) : source.exportSource(req);
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
