import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * What a machine has for ONNX Runtime's CUDA execution provider: the NVIDIA driver and its GPUs, and the
 * CUDA 12 and cuDNN 9 libraries the provider library links against. Every place it looks is a parameter,
 * so that a prepared folder can stand for a machine.
 */

/** Where to look. `systemRoots()` gives this machine's. */
export interface GpuRoots {
  /** /proc: `driver/nvidia/version` is there when the kernel module is loaded. */
  proc: string;
  /** Folders searched for `nvidia-smi` (PATH). */
  path: string[];
  /** Folders the dynamic loader searches (LD_LIBRARY_PATH, then ldconfig's cache, then the default dirs). */
  loaderDirs: string[];
  /** Folders where CUDA is often installed but the loader may not look (a CUDA toolkit, WSL's driver). */
  otherDirs: string[];
}

/** A library ONNX Runtime's CUDA provider needs, by the name the loader looks for. */
export interface Requirement {
  /** `libcudart.so`: the stem; the major version follows it. */
  stem: string;
  major: number;
  /** What it is part of, for the message: `the CUDA 12 runtime`, `cuDNN 9`. */
  part: 'cuda' | 'cudnn';
}

/** ONNX Runtime 1.2x/1.3x's CUDA 12 build: the libraries `libonnxruntime_providers_cuda.so` is linked with. */
export const REQUIREMENTS: readonly Requirement[] = [
  { stem: 'libcudart.so', major: 12, part: 'cuda' },
  { stem: 'libcublas.so', major: 12, part: 'cuda' },
  { stem: 'libcublasLt.so', major: 12, part: 'cuda' },
  { stem: 'libcufft.so', major: 11, part: 'cuda' },
  { stem: 'libcurand.so', major: 10, part: 'cuda' },
  { stem: 'libcudnn.so', major: 9, part: 'cudnn' },
];

/** The oldest Linux driver CUDA 12 runs on (CUDA 12.0 release notes, table 3). */
export const MIN_DRIVER = '525.60.13';

export interface LibraryFound {
  name: string;
  /** Where it is; undefined when it is nowhere. */
  path?: string;
  /** Whether the loader finds it as it is (otherwise its folder must go on LD_LIBRARY_PATH). */
  onLoaderPath: boolean;
  /** Other majors of the same library found (`libcudart.so.11`), when the one needed is not. */
  otherMajors: string[];
}

export interface GpuDetection {
  /** The kernel module's version (from /proc/driver/nvidia/version or nvidia-smi). */
  driver?: string;
  /** GPU names as nvidia-smi gives them. */
  gpus: string[];
  /** Why nvidia-smi gave nothing, when it did not. */
  smiProblem?: string;
  libraries: (Requirement & LibraryFound)[];
}

/** The default library folders of Debian/Ubuntu, Fedora/RHEL and the usual CUDA installs. */
const DEFAULT_LOADER_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

function splitPath(v: string | undefined): string[] {
  return (v ?? '').split(delimiter).filter(Boolean);
}

/** The folders of ldconfig's cache: where the loader finds libraries without LD_LIBRARY_PATH. */
function ldconfigDirs(): string[] {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      const out = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 });
      const dirs = new Set<string>();
      for (const m of out.matchAll(/=> (\/\S+)\/[^/\s]+$/gm)) dirs.add(m[1]);
      return [...dirs];
    } catch {
      // not on PATH as a user: try the next
    }
  }
  return [];
}

/** Where CUDA toolkits install (`/usr/local/cuda-12.4/lib64`) and WSL keeps its driver; pip's nvidia-* wheels are found through LD_LIBRARY_PATH. */
function cudaToolkitDirs(): string[] {
  const dirs = ['/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib', '/usr/lib/wsl/lib', '/opt/cuda/lib64'];
  try {
    for (const d of readdirSync('/usr/local')) if (/^cuda-\d/.test(d)) dirs.push(`/usr/local/${d}/lib64`);
  } catch {
    // no /usr/local
  }
  return dirs;
}

/** This machine's roots. */
export function systemRoots(env: NodeJS.ProcessEnv = process.env): GpuRoots {
  const loaderDirs = [...new Set([...splitPath(env.LD_LIBRARY_PATH), ...ldconfigDirs(), ...DEFAULT_LOADER_DIRS])];
  return { proc: '/proc', path: [...splitPath(env.PATH), '/usr/lib/wsl/lib'], loaderDirs, otherDirs: cudaToolkitDirs().filter((d) => !loaderDirs.includes(d)) };
}

/** `NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 …` → 550.54.15. */
function procDriver(proc: string): string | undefined {
  try {
    return /Kernel Module\s+([\d.]+)/.exec(readFileSync(join(proc, 'driver', 'nvidia', 'version'), 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return undefined;
  }
}

function findOnPath(name: string, dirs: string[]): string | undefined {
  for (const d of dirs) {
    const p = join(d, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** GPU names and the driver version from `nvidia-smi`, or why it gave none. */
function smi(dirs: string[]): { gpus: string[]; driver?: string; problem?: string } {
  const exe = findOnPath('nvidia-smi', dirs);
  if (!exe) return { gpus: [], problem: 'nvidia-smi is not on PATH' };
  try {
    const out = execFileSync(exe, ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    const rows = out.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.split(',').map((c) => c.trim()));
    return { gpus: rows.map((r) => r[0]), driver: rows[0]?.[1] };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const said = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n')[0];
    return { gpus: [], problem: `${exe} failed: ${said || err.message}` };
  }
}

function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Where each needed library is, and which other majors of it there are. */
function findLibraries(roots: GpuRoots): (Requirement & LibraryFound)[] {
  const listing = new Map<string, string[]>();
  const list = (d: string): string[] => {
    let files = listing.get(d);
    if (!files) listing.set(d, (files = filesIn(d)));
    return files;
  };
  return REQUIREMENTS.map((r) => {
    const name = `${r.stem}.${r.major}`;
    const found = (dirs: string[]) => dirs.find((d) => list(d).includes(name));
    const loader = found(roots.loaderDirs);
    const other = loader ? undefined : found(roots.otherDirs);
    const majors = new Set<string>();
    if (!loader && !other) {
      const pattern = new RegExp(`^${r.stem.replace(/\./g, '\\.')}\\.(\\d+)$`);
      for (const d of [...roots.loaderDirs, ...roots.otherDirs]) for (const f of list(d)) if (pattern.test(f) && f !== name) majors.add(f);
    }
    const dir = loader ?? other;
    return { ...r, name, path: dir ? join(dir, name) : undefined, onLoaderPath: loader !== undefined, otherMajors: [...majors].sort() };
  });
}

export function detectGpu(roots: GpuRoots): GpuDetection {
  const fromProc = procDriver(roots.proc);
  const s = smi(roots.path);
  return { driver: fromProc && fromProc !== 'unknown' ? fromProc : (s.driver ?? fromProc), gpus: s.gpus, smiProblem: s.problem, libraries: findLibraries(roots) };
}

/** `550.54.15` ≥ `525.60.13`, part by part. */
export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < b.length; i++) {
    const x = a[i] ?? 0;
    if (Number.isNaN(x)) return true;
    if (x !== b[i]) return x > b[i];
  }
  return true;
}
