import { cliGpuHome, installedCuda } from '../runtime/gpu-install.js';
import { prestartRun, type Prestarted } from '../runtime/run-process.js';

/**
 * `stride run` starts its run process first of all, before the rest of the CLI is evaluated: Node and ONNX
 * Runtime take as long to load there as the CLI takes to load and analyse here, so the two overlap. It is
 * started as for `--ep auto`; a run that wants another environment (`--ep cpu` where CUDA is set up) starts
 * its own. Imported first by stride.ts, which makes this module's body run before the others'.
 */
let early: Prestarted | undefined = process.argv[2] === 'run' ? prestartRun('auto', installedCuda(cliGpuHome())) : undefined;

/** The run process started at load, once; undefined for any other command or a second take. */
export function takeEarlyRun(): Prestarted | undefined {
  const taken = early;
  early = undefined;
  return taken;
}
