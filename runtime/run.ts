import type { ChildProcess } from 'node:child_process';
import type { ExportResult, ModelFile } from './export.js';
import { runEnvironment, type CudaInstall } from './gpu-install.js';
import { explainRunFailure } from './run-errors.js';
import { forkWorker, holdWorker, releaseWorker, type Prestarted } from './run-process.js';
import type { ProviderChoice, RunRequest, RunResult, SourceExportRequest, SourceExportResult, SourceRunRequest, SourceRunResult, WorkerMessage, WorkerRequest } from './run-protocol.js';

/** Runs an exported model in a child process and reports what ONNX Runtime did, or why it could not. */

export { prestartRun, type Prestarted } from './run-process.js';

export class RunError extends Error {
  constructor(
    message: string,
    /** Why CUDA did not load, where CUDA was asked for: the set-up is the next step. */
    readonly cudaProblem?: string,
  ) {
    super(message);
  }
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

export interface RunOptions {
  /** A run process already started for this run (`prestartRun`). */
  prestarted?: Prestarted;
  provider: ProviderChoice;
  /** Timed runs after the first (default 10, at most MAX_ITERATIONS). */
  iterations?: number;
  profile?: boolean;
  /** Layer outputs to fetch besides the network's output (feature maps). */
  captures?: string[];
  /** Cancels the run: the child process is killed. */
  signal?: AbortSignal;
  /** Gives up and kills the child after this long (default 10 minutes); the child also ends itself. */
  timeoutMs?: number;
  /** Called as timed runs complete, a few times a second at most. */
  onProgress?: (done: number, total: number) => void;
  /** The CUDA provider libraries the GPU set-up installed (`installedCuda`), for a run that may use CUDA. */
  cuda?: CudaInstall;
}

/** The most timed runs one `run` makes: enough for stable percentiles, bounded so a typo cannot run for days. */
export const MAX_ITERATIONS = 10_000;

const DEFAULT_TIMEOUT_MS = 600_000;

type ChildOptions = Pick<RunOptions, 'signal' | 'timeoutMs' | 'onProgress' | 'cuda'> & { prestarted?: Prestarted };

/** Runs a model given as bytes, or as a file (read by the run process itself: nothing is copied to it). */
export function runModel(model: ExportResult | ModelFile, input: { dims: number[] } & ({ data: Float32Array } | { seed: number }), options: RunOptions): Promise<RunResult> {
  const iterations = options.iterations ?? 10;
  if (!Number.isInteger(iterations) || iterations < 0 || iterations > MAX_ITERATIONS) throw new RunError(`iterations must be a whole number from 0 to ${MAX_ITERATIONS}, not ${iterations}`);
  const request: RunRequest = {
    type: 'run',
    model: 'path' in model ? model.path : model.bytes,
    input: { ...input, name: model.input.name },
    outputs: [model.output.name, ...(options.captures ?? []).filter((c) => c !== model.output.name)],
    provider: options.provider,
    iterations,
    profile: options.profile ?? false,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
  return inChild(request, options, (m) => (m.type === 'result' ? m : undefined), (detail) => explainRunFailure(detail, model.layers, input.dims[0] ?? 1));
}

/** Analyses, exports and runs a network given as text, all in the child: the caller's thread stays free. */
export function runSource(request: Omit<SourceRunRequest, 'timeoutMs'>, options: ChildOptions): Promise<SourceRunResult> {
  return inChild({ ...request, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }, options, (m) => (m.type === 'source-result' ? m : undefined));
}

/** Exports a network given as text to a file, in the child. */
export function exportSource(request: Omit<SourceExportRequest, 'timeoutMs'>, options: ChildOptions = {}): Promise<SourceExportResult> {
  return inChild({ ...request, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS }, options, (m) => (m.type === 'export-result' ? m : undefined));
}

function inChild<T>(request: WorkerRequest, options: ChildOptions, accept: (m: WorkerMessage) => T | undefined, explain: (detail: string) => string | undefined = () => undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const useCuda = 'provider' in request && request.provider !== 'cpu';
    const env = runEnvironment(useCuda ? options.cuda : undefined);
    let child: ChildProcess;
    try {
      child = options.prestarted?.take(env) ?? forkWorker(env);
    } catch (e) {
      return reject(new RunError((e as Error).message));
    }
    holdWorker(child);
    let stderr = '';
    let settled = false;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      f();
    };
    const abort = () => {
      child.kill('SIGKILL');
      finish(() => reject(new RunError('the run was cancelled')));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => reject(new RunError(`the run took longer than ${formatDuration(timeoutMs)} and was stopped`)));
    }, timeoutMs);
    if (options.signal?.aborted) return abort();
    options.signal?.addEventListener('abort', abort);
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') return options.onProgress?.(m.done, m.total);
      releaseWorker(child);
      finish(() => {
        const ok = accept(m);
        if (ok !== undefined) resolve(ok);
        else if (m.type === 'error') reject(new RunError((m.detail && explain(m.detail)) ?? m.message, m.cudaProblem));
        else reject(new RunError(`unexpected answer from the run process (${m.type})`));
      });
    });
    child.on('error', (e) => finish(() => reject(new RunError(`the ONNX Runtime process could not be started: ${e.message}`))));
    // 'close', not 'exit': it comes after the last message has been read from the channel.
    child.on('close', (code, signal) => {
      const why = signal === 'SIGKILL' ? 'was killed (out of memory?)' : signal ? `crashed (${signal})` : `exited with code ${code}`;
      const detail = stderr.replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n').slice(-3).join(' ');
      finish(() => reject(new RunError(`the ONNX Runtime process ${why} before answering${detail ? `: ${detail}` : ''}`)));
    });
    child.send(request);
  });
}
