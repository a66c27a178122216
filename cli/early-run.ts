import { cliGpuHome, installedCuda } from '../runtime/gpu-install.js';
import { prestartRun, type Prestarted } from '../runtime/run-process.js';

/**
 * `stride run` starts its run process first of all, before the rest of the CLI (its own bundle, cli-main.js)
 * is even parsed: Node and ONNX Runtime take as long to load there as the CLI takes to load and analyse
 * here, so the two overlap. It is started as for `--ep auto`; a run that wants another environment (`--ep
 * cpu` where CUDA is set up) starts its own.
 */
export function startEarlyRun(argv: readonly string[]): Prestarted | undefined {
  return argv[0] === 'run' ? prestartRun('auto', installedCuda(cliGpuHome())) : undefined;
}
