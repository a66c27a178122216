import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where the GPU set-up puts ONNX Runtime's CUDA provider libraries, and how a run finds them. ONNX Runtime
 * loads a provider library from the folder of the `libonnxruntime.so.1` it runs with, so the set-up makes a
 * private copy of onnxruntime-node's binding folder (the addon, `libonnxruntime.so.1`, the provider
 * libraries) and the run process loads the addon from there (`ort-load.ts`).
 */

/** What `stride-gpu.json` in an installed folder records. */
export interface CudaInstall {
  /** The private binding folder. */
  dir: string;
  /** The onnxruntime-node version the provider libraries match. */
  onnxruntime: string;
  /** Library folders the loader must search that it does not by itself (put on LD_LIBRARY_PATH). */
  libDirs: string[];
  /** Where the package came from. */
  source: string;
}

export const INSTALL_RECORD = 'stride-gpu.json';

/** The binding's file names, as onnxruntime-node's package lays them out for linux/x64. */
export const BINDING_FILES = ['onnxruntime_binding.node', 'libonnxruntime.so.1'];

const here = typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js');

/** onnxruntime-node as this process resolves it: its folder and version. */
export function bundledOnnxRuntime(): { root: string; version: string; bindingDir: string } {
  const pkg = createRequire(here).resolve('onnxruntime-node/package.json');
  const root = dirname(pkg);
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return { root, version, bindingDir: join(root, 'bin', 'napi-v6', process.platform, process.arch) };
}

/** The CLI's folder for it: $XDG_CACHE_HOME/stride, or ~/.cache/stride. */
export function cliGpuHome(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'stride');
}

/** The folder of one ONNX Runtime version's CUDA 12 provider, under `home`. */
export function installDir(home: string, version: string): string {
  return join(home, `onnxruntime-${version}-linux-x64-cuda12`);
}

/** The set-up done under `home` for this onnxruntime-node, or undefined when there is none (or an older one). */
export function installedCuda(home: string, version = bundledOnnxRuntime().version): CudaInstall | undefined {
  const dir = installDir(home, version);
  try {
    const record = JSON.parse(readFileSync(join(dir, INSTALL_RECORD), 'utf8')) as Omit<CudaInstall, 'dir'>;
    // A folder emptied by hand would make the run process fail to start: it counts as not set up.
    if (record.onnxruntime !== version || !BINDING_FILES.every((f) => existsSync(join(dir, f)))) return undefined;
    return { ...record, dir, libDirs: Array.isArray(record.libDirs) ? record.libDirs : [] };
  } catch {
    return undefined;
  }
}

/** The environment of a run process that uses an install: its binding folder, its library folders. */
export function runEnvironment(install: CudaInstall | undefined, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (!install) return env;
  const ld = [...install.libDirs, ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)];
  return { ...env, STRIDE_ORT_BINDING: install.dir, ...(ld.length ? { LD_LIBRARY_PATH: ld.join(':') } : {}) };
}
