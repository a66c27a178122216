import { copyFileSync, createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { crc32 } from 'node:zlib';
import * as yauzl from 'yauzl';
import { formatBytes } from '../language/index.js';
import { detectGpu, MIN_DRIVER, systemRoots, versionAtLeast, type GpuDetection, type GpuRoots } from './gpu-detect.js';
import { downloadFile, DownloadError, fetchJson, type NetOptions } from './gpu-download.js';
import { BINDING_FILES, bundledOnnxRuntime, INSTALL_RECORD, installDir, installedCuda, type CudaInstall } from './gpu-install.js';
import { RunError, runSource } from './run.js';

/**
 * Stride: Set Up GPU (CUDA) and `stride setup-gpu`: checks the machine for what ONNX Runtime's CUDA
 * provider needs, downloads the provider libraries of the bundled onnxruntime-node's version from the
 * package its own install script uses (NuGet's Microsoft.ML.OnnxRuntime.Gpu.Linux, which the VSIX cannot
 * ship: it is too large), installs them beside a private copy of the binding (`gpu-install.ts`), and checks
 * that a session loads with them. Each way it can fail is a problem of its own kind, with the next step.
 */

/** The package and the files of it onnxruntime-node's install script (install-metadata.js) takes for linux/x64 CUDA 12. */
export const CUDA_PACKAGE = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';
export const PACKAGE_FILES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'].map((f) => ({ file: f, entry: `runtimes/linux-x64/native/${f}` }));
export const NUGET_INDEX = 'https://api.nuget.org/v3/index.json';

export type ProblemKind = 'platform' | 'no-driver' | 'old-driver' | 'no-gpu' | 'libraries-missing' | 'wrong-major' | 'download' | 'archive' | 'verify';

export interface SetupProblem {
  ok: false;
  kind: ProblemKind;
  /** The whole message: what is missing and how to get it. */
  message: string;
  detection?: GpuDetection;
}

export interface SetupDone {
  ok: true;
  install: CudaInstall;
  gpus: string[];
  /** Whether the libraries were downloaded this time (not already there). */
  downloaded: boolean;
  message: string;
  detection: GpuDetection;
}

export type SetupResult = SetupDone | SetupProblem;

export interface SetupOptions {
  /** Where installs live: the extension's global storage, or the CLI's cache folder. */
  home: string;
  roots?: GpuRoots;
  /** A NuGet v3 service index (a mirror of nuget.org's). */
  feed?: string;
  net?: NetOptions;
  /** `linux/x64`; another platform is told what it can do instead. */
  platform?: string;
  /** Download again even when this version is installed. */
  force?: boolean;
  /** Each step as it starts, and the download's progress (0–1) while it goes on. */
  onStep?: (message: string, fraction?: number) => void;
  /** Checks that a session loads with an install; undefined when it does, else why not. The default runs one in the run process. */
  verify?: (install: CudaInstall) => Promise<string | undefined>;
  /** onnxruntime-node's binding folder and version (default: the one this process resolves). */
  onnxruntime?: { bindingDir: string; version: string };
}

const CUDA_DOWNLOAD = 'https://developer.nvidia.com/cuda-12-6-3-download-archive (or your distribution\'s cuda-toolkit-12 packages)';
const CUDNN_DOWNLOAD = 'https://developer.nvidia.com/cudnn-downloads (package cudnn9-cuda-12)';
const PIP_WHEELS = 'pip install nvidia-cuda-runtime-cu12 nvidia-cublas-cu12 nvidia-cufft-cu12 nvidia-curand-cu12 nvidia-cudnn-cu12';

function problem(kind: ProblemKind, message: string, detection?: GpuDetection): SetupProblem {
  return { ok: false, kind, message, detection };
}

/** What the machine lacks for CUDA 12, or undefined when it has everything. */
export function checkMachine(d: GpuDetection): SetupProblem | undefined {
  if (d.driver === undefined && d.gpus.length === 0) {
    return problem('no-driver', `no NVIDIA driver: /proc/driver/nvidia/version does not exist and ${d.smiProblem ?? 'nvidia-smi lists no GPU'}. Stride runs networks on the CPU here. For a GPU, this machine needs an NVIDIA GPU and its driver (${MIN_DRIVER} or newer, for CUDA 12): https://www.nvidia.com/Download/index.aspx, or your distribution's nvidia-driver package; then run the set-up again.`, d);
  }
  if (d.driver !== undefined && d.driver !== 'unknown' && !versionAtLeast(d.driver, MIN_DRIVER)) {
    return problem('old-driver', `the NVIDIA driver is ${d.driver}; CUDA 12 needs ${MIN_DRIVER} or newer. Update it (https://www.nvidia.com/Download/index.aspx) and run the set-up again.`, d);
  }
  if (d.gpus.length === 0 && d.smiProblem && !/not on PATH/.test(d.smiProblem)) {
    return problem('no-gpu', `the NVIDIA driver ${d.driver} is loaded but lists no GPU (${d.smiProblem}). Check that the GPU is visible to this machine (in a container: --gpus all) and run the set-up again.`, d);
  }
  const missing = d.libraries.filter((l) => !l.path);
  const wrong = missing.filter((l) => l.otherMajors.length > 0);
  if (wrong.length > 0) {
    const parts = wrong.map((l) => `${l.name} is needed but only ${l.otherMajors.join(', ')} ${l.otherMajors.length === 1 ? 'is' : 'are'} installed`);
    const cudnn = wrong.some((l) => l.part === 'cudnn');
    const cuda = wrong.some((l) => l.part === 'cuda');
    const get = [cuda ? `CUDA 12: ${CUDA_DOWNLOAD}` : '', cudnn ? `cuDNN 9: ${CUDNN_DOWNLOAD}` : ''].filter(Boolean).join('; ');
    return problem('wrong-major', `the wrong major version: ${parts.join('; ')}. ONNX Runtime's CUDA provider needs CUDA 12 and cuDNN 9 (the other versions can stay). Install ${get}; or, without root, ${PIP_WHEELS} and put their lib folders on LD_LIBRARY_PATH. Then run the set-up again.`, d);
  }
  if (missing.length > 0) {
    const cuda = missing.filter((l) => l.part === 'cuda').map((l) => l.name);
    const cudnn = missing.filter((l) => l.part === 'cudnn').map((l) => l.name);
    const what = [cuda.length ? `the CUDA 12 runtime (${cuda.join(', ')})` : '', cudnn.length ? `cuDNN 9 (${cudnn.join(', ')})` : ''].filter(Boolean).join(' and ');
    const get = [cuda.length ? `CUDA 12: ${CUDA_DOWNLOAD}` : '', cudnn.length ? `cuDNN 9: ${CUDNN_DOWNLOAD}` : ''].filter(Boolean).join('; ');
    return problem('libraries-missing', `${what} ${cuda.length + cudnn.length === 1 ? 'is' : 'are'} not installed: not on LD_LIBRARY_PATH, in ldconfig's cache or in /usr/local/cuda*/lib64. Install ${get}; or, without root, ${PIP_WHEELS} and put their lib folders on LD_LIBRARY_PATH. Then run the set-up again.`, d);
  }
  return undefined;
}

/** The .nupkg URL of the package on a NuGet v3 feed, as onnxruntime-node's install script resolves it. */
export async function resolvePackage(feed: string, version: string, net: NetOptions = {}): Promise<string> {
  const index = (await fetchJson(feed, net)) as { resources?: { '@id': string; '@type': string }[] };
  const base = index.resources?.find((r) => r['@type'] === 'PackageBaseAddress/3.0.0')?.['@id'];
  if (!base) throw new DownloadError(`${feed} is not a NuGet v3 feed index (it has no PackageBaseAddress/3.0.0)`, feed);
  const name = CUDA_PACKAGE.toLowerCase();
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const versions = (await fetchJson(`${prefix}${name}/index.json`, net)) as { versions?: string[] };
  if (!versions.versions?.includes(version.toLowerCase())) {
    throw new DownloadError(`${feed} has no ${CUDA_PACKAGE} ${version} (it has ${(versions.versions ?? []).slice(-3).join(', ') || 'none'}), the version the bundled ONNX Runtime needs`, feed);
  }
  return `${prefix}${name}/${version.toLowerCase()}/${name}.${version.toLowerCase()}.nupkg`;
}

/** A zip archive that is not one, or lacks a file: the download is kept out. */
export class ArchiveError extends Error {}

/** Takes the provider libraries out of the package into `dir`, checking each one's size and CRC-32. */
export async function extractProviders(nupkg: string, dir: string): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(nupkg, { strictFileNames: true });
  } catch (e) {
    throw new ArchiveError(`the downloaded package is not a valid zip archive (${(e as Error).message.replace(/\.$/, '')})`);
  }
  try {
    const wanted = new Map(PACKAGE_FILES.map((f) => [f.entry, f.file]));
    for await (const entry of zip.eachEntry()) {
      const file = wanted.get(entry.fileName);
      if (!file) continue;
      wanted.delete(entry.fileName);
      let crc = 0;
      const check = new Transform({
        transform(chunk: Buffer, _enc, done) {
          crc = crc32(chunk, crc);
          done(null, chunk);
        },
      });
      await pipeline(await zip.openReadStreamPromise(entry), check, createWriteStream(join(dir, file), { mode: 0o755 }));
      if (crc >>> 0 !== entry.crc32 >>> 0) throw new ArchiveError(`${entry.fileName} in the downloaded package is damaged (its CRC-32 does not match)`);
    }
    if (wanted.size > 0) throw new ArchiveError(`the downloaded package has no ${[...wanted.keys()].join(', ')}: it is not ${CUDA_PACKAGE}`);
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    throw new ArchiveError(`the downloaded package is damaged (${(e as Error).message.replace(/\.$/, '')})`);
  } finally {
    zip.close();
  }
}

/** That a session with the CUDA provider loads from `install`: a one-layer network in the run process. */
export async function verifyInRunProcess(install: CudaInstall): Promise<string | undefined> {
  try {
    await runSource(
      { type: 'run-source', text: 'network GpuCheck {\n  input 8x8x3\n  conv 4 3x3\n}\n', seed: 0, provider: 'cuda', iterations: 1, profile: false, captureOps: [], maxChannels: 0 },
      { cuda: install, timeoutMs: 120_000 },
    );
    return undefined;
  } catch (e) {
    return e instanceof RunError && e.cudaProblem ? e.cudaProblem : (e as Error).message;
  }
}

function libDirsFor(d: GpuDetection): string[] {
  return [...new Set(d.libraries.filter((l) => l.path && !l.onLoaderPath).map((l) => dirname(l.path!)))];
}

/** The set-up, from the checks to a loaded session. Never throws for the machine's or the network's problems. */
export async function setupGpu(o: SetupOptions): Promise<SetupResult> {
  const step = o.onStep ?? (() => undefined);
  const platform = o.platform ?? `${process.platform}/${process.arch}`;
  if (platform !== 'linux/x64') {
    return problem('platform', `ONNX Runtime's CUDA provider for Node is built for Linux x64 only; this is ${platform}. Stride runs networks on the CPU here${platform.startsWith('win32') ? ' (on Windows, use WSL 2 with the NVIDIA driver for WSL)' : ''}.`);
  }
  step('Checking the NVIDIA driver, the GPU and the CUDA 12 / cuDNN 9 libraries');
  const detection = detectGpu(o.roots ?? systemRoots());
  const lacking = checkMachine(detection);
  if (lacking) return lacking;
  const ort = o.onnxruntime ?? bundledOnnxRuntime();
  const dir = installDir(o.home, ort.version);
  const libDirs = libDirsFor(detection);
  const verify = o.verify ?? verifyInRunProcess;
  const gpus = detection.gpus.length ? detection.gpus.join(', ') : 'the GPU';
  let install = o.force ? undefined : installedCuda(o.home, ort.version);
  let downloaded = false;
  if (install) {
    // What the loader needs may have moved since: the folders are this machine's now.
    install = { ...install, libDirs };
    writeFileSync(join(dir, INSTALL_RECORD), JSON.stringify({ onnxruntime: install.onnxruntime, libDirs, source: install.source }, null, 2));
  } else {
    const feed = o.feed ?? NUGET_INDEX;
    const net = o.net ?? {};
    const staging = `${dir}.partial-${process.pid}`;
    const nupkg = `${staging}.nupkg`;
    try {
      step(`Finding ${CUDA_PACKAGE} ${ort.version} on ${new URL(feed).host}`);
      const url = await resolvePackage(feed, ort.version, net);
      mkdirSync(o.home, { recursive: true });
      step(`Downloading ${CUDA_PACKAGE} ${ort.version}`, 0);
      let last = 0;
      const bytes = await downloadFile(url, nupkg, {
        ...net,
        onProgress: (got, total) => {
          const at = total ? got / total : 0;
          if (at - last < 0.01 && got !== total) return;
          last = at;
          step(`Downloading ${CUDA_PACKAGE} ${ort.version}: ${formatBytes(got)}${total ? ` of ${formatBytes(total)}` : ''}`, at);
        },
      });
      step(`Extracting the CUDA provider libraries (${formatBytes(bytes)} downloaded)`, 1);
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      await extractProviders(nupkg, staging);
      for (const f of BINDING_FILES) copyFileSync(join(ort.bindingDir, f), join(staging, f));
      writeFileSync(join(staging, INSTALL_RECORD), JSON.stringify({ onnxruntime: ort.version, libDirs, source: url }, null, 2));
      rmSync(dir, { recursive: true, force: true });
      renameSync(staging, dir);
      install = { dir, onnxruntime: ort.version, libDirs, source: url };
      downloaded = true;
    } catch (e) {
      rmSync(staging, { recursive: true, force: true });
      if (e instanceof DownloadError) {
        const refused = e.status !== undefined ? ' The server refused it: if a proxy or firewall stands between, set VS Code\'s http.proxy (CLI: HTTPS_PROXY), or download the .nupkg elsewhere and give a feed that serves it.' : ' Check the network connection and the proxy setting (VS Code: http.proxy; CLI: HTTPS_PROXY).';
        return problem('download', `the CUDA provider libraries could not be downloaded: ${e.message}.${refused}`, detection);
      }
      if (e instanceof ArchiveError) return problem('archive', `the CUDA provider libraries could not be installed: ${e.message}. Run the set-up again to download it anew.`, detection);
      throw e;
    } finally {
      rmSync(nupkg, { force: true });
    }
  }
  step(`Checking that an ONNX Runtime session loads on ${gpus}`);
  const failed = await verify(install);
  if (failed !== undefined) {
    return problem('verify', `the CUDA provider libraries are installed in ${install.dir}, but an ONNX Runtime session with them did not load: ${failed}. ${/cannot open shared object file/.test(failed) ? 'A library it names is missing from the loader\'s path: install it, or put its folder on LD_LIBRARY_PATH, and run the set-up again.' : 'Run the set-up again once that is fixed; until then Stride runs networks on the CPU.'}`, detection);
  }
  return { ok: true, install, gpus: detection.gpus, downloaded, detection, message: `CUDA is set up: ONNX Runtime ${install.onnxruntime} runs on ${gpus} (driver ${detection.driver ?? 'unknown'}). Run Network uses it from now on (provider auto or cuda).` };
}

/** What a bug report or a help request needs to know of this machine's GPU set-up, one fact a line. */
export function gpuDetails(d: GpuDetection, install: CudaInstall | undefined, onnxruntime = bundledOnnxRuntime().version): string {
  const lines = [
    `platform: ${process.platform}/${process.arch}, ONNX Runtime ${onnxruntime} (onnxruntime-node)`,
    `NVIDIA driver: ${d.driver ?? 'none'}${d.smiProblem ? ` (${d.smiProblem})` : ''}`,
    `GPUs: ${d.gpus.length ? d.gpus.join(', ') : 'none'}`,
    ...d.libraries.map((l) => `${l.name}: ${l.path ? `${l.path}${l.onLoaderPath ? '' : ' (not on the loader path)'}` : `missing${l.otherMajors.length ? ` (found ${l.otherMajors.join(', ')})` : ''}`}`),
    `CUDA provider libraries: ${install ? `${install.dir} (from ${install.source})` : 'not set up'}`,
  ];
  return lines.join('\n');
}
