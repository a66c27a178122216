import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportResult } from './export.js';
import type { ProviderChoice, RunRequest, RunResult, SourceExportRequest, SourceExportResult, SourceRunRequest, SourceRunResult, WorkerMessage, WorkerRequest } from './run-protocol.js';

/** Runs an exported model in a child process and reports what ONNX Runtime did, or why it could not. */

export class RunError extends Error {}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

export interface RunOptions {
  provider: ProviderChoice;
  /** Timed runs after the first (default 10). */
  iterations?: number;
  profile?: boolean;
  /** Layer outputs to fetch besides the network's output (feature maps). */
  captures?: string[];
  /** Cancels the run: the child process is killed. */
  signal?: AbortSignal;
  /** Gives up and kills the child after this long (default 10 minutes). */
  timeoutMs?: number;
}

/** The worker bundle: beside this module when bundled, in dist/ when running from source. */
function workerPath(): string {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (const candidate of [join(here, 'run-worker.js'), join(here, '..', 'dist', 'run-worker.js')]) if (existsSync(candidate)) return candidate;
  throw new RunError('the run worker (dist/run-worker.js) is missing: run `npm run build`');
}

export function runModel(model: ExportResult, input: { dims: number[]; data: Float32Array }, options: RunOptions): Promise<RunResult> {
  const request: RunRequest = {
    type: 'run',
    model: model.bytes,
    input: { name: model.input.name, dims: input.dims, data: input.data },
    outputs: [model.output.name, ...(options.captures ?? []).filter((c) => c !== model.output.name)],
    provider: options.provider,
    iterations: options.iterations ?? 10,
    profile: options.profile ?? false,
  };
  return inChild(request, options, (m) => (m.type === 'result' ? m : undefined));
}

/** Analyses, exports and runs a network given as text, all in the child: the caller's thread stays free. */
export function runSource(request: SourceRunRequest, options: Pick<RunOptions, 'signal' | 'timeoutMs'>): Promise<SourceRunResult> {
  return inChild(request, options, (m) => (m.type === 'source-result' ? m : undefined));
}

/** Exports a network given as text to a file, in the child. */
export function exportSource(request: SourceExportRequest, options: Pick<RunOptions, 'signal' | 'timeoutMs'> = {}): Promise<SourceExportResult> {
  return inChild(request, options, (m) => (m.type === 'export-result' ? m : undefined));
}

function inChild<T>(request: WorkerRequest, options: Pick<RunOptions, 'signal' | 'timeoutMs'>, accept: (m: WorkerMessage) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath(), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let settled = false;
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
      finish(() => reject(new RunError(`the run took longer than ${formatDuration(options.timeoutMs ?? 600_000)} and was stopped`)));
    }, options.timeoutMs ?? 600_000);
    if (options.signal?.aborted) return abort();
    options.signal?.addEventListener('abort', abort);
    child.on('message', (m: WorkerMessage) =>
      finish(() => {
        const ok = accept(m);
        if (ok !== undefined) resolve(ok);
        else reject(new RunError(m.type === 'error' ? m.message : `unexpected answer from the run process (${m.type})`));
      }),
    );
    child.on('exit', (code, signal) => {
      const why = signal === 'SIGKILL' ? 'was killed (out of memory?)' : signal ? `crashed (${signal})` : `exited with code ${code}`;
      const detail = stderr.replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n').slice(-3).join(' ');
      finish(() => reject(new RunError(`the ONNX Runtime process ${why} before answering${detail ? `: ${detail}` : ''}`)));
    });
    child.send(request);
  });
}
