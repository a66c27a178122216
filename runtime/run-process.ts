import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runEnvironment, type CudaInstall } from './gpu-install.js';
import type { ProviderChoice } from './run-protocol.js';

/**
 * The run process (run-worker.ts → dist/run-worker.js) as a process: where it is, how it is started, and
 * starting one early. Only what that needs is imported here, so that `stride run` can start it before the
 * rest of the CLI has loaded (cli/early-run.ts).
 */

/**
 * A run process started before its model exists: its Node and ONNX Runtime load while the caller analyses
 * and exports, on the other core. Until a run takes it, it does not keep the caller alive: a caller that
 * ends first (a usage error) leaves it to end itself as its channel closes. `dispose` ends it if no run took it.
 */
export interface Prestarted {
  take(env: NodeJS.ProcessEnv): ChildProcess | undefined;
  dispose(): void;
}

export function prestartRun(provider: ProviderChoice, cuda: CudaInstall | undefined): Prestarted {
  const env = runEnvironment(provider !== 'cpu' ? cuda : undefined);
  let child: ChildProcess | undefined;
  try {
    child = forkWorker(env);
    releaseWorker(child);
  } catch {
    // no worker bundle: the run that wants one forks it and says so
  }
  return {
    take(wanted) {
      const c = child;
      child = undefined;
      if (c && c.exitCode === null && c.signalCode === null && JSON.stringify(wanted) === JSON.stringify(env)) return c;
      c?.kill('SIGKILL');
      return undefined;
    },
    dispose() {
      child?.kill('SIGKILL');
      child = undefined;
    },
  };
}

export function forkWorker(env: NodeJS.ProcessEnv): ChildProcess {
  return fork(workerPath(), [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env });
}

/** A run holds its process: the caller stays alive until it has answered and ended. */
export function holdWorker(child: ChildProcess): void {
  child.ref();
  child.channel?.ref();
  (child.stderr as { ref?: () => void } | null)?.ref?.();
}

/**
 * The caller no longer waits for the process: it ends itself once its answer is written (or its channel
 * closes), and its own teardown (ONNX Runtime's threads, a model's memory) is no part of a run's time.
 */
export function releaseWorker(child: ChildProcess): void {
  child.unref();
  child.channel?.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
}

/** The worker bundle: beside this module when bundled, in dist/ when running from source. */
function workerPath(): string {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (const candidate of [join(here, 'run-worker.js'), join(here, '..', 'dist', 'run-worker.js')]) if (existsSync(candidate)) return candidate;
  throw new Error('the run worker (dist/run-worker.js) is missing: run `npm run build`');
}
