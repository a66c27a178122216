import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = `${ROOT}dist/cli.js`;

// The models `stride run` keeps between runs go to a folder of the tests', not the user's cache.
process.env.STRIDE_MODEL_CACHE ??= join(tmpdir(), 'stride-test-models');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * How long one command may take before it counts as stuck. The longest, VGG-16 at batch 32, takes about
 * 30 s alone; the suite runs two test files at a time, and one of them may be PyTorch's numerics.
 */
const COMMAND_TIMEOUT_MS = 240_000;

/** Runs the built `stride` command as a user would. */
export function stride(args: string[], input?: string, env?: NodeJS.ProcessEnv): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', input, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, env: env && { ...process.env, ...env } });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The `--json` summary of a file, with the exit status. */
export function summaryJson(file: string, extra: string[] = []): { status: number; json: SummaryJson } {
  const r = stride(['summary', file, '--json', ...extra]);
  if (r.status !== 0 && r.status !== 1) throw new Error(`stride summary ${file} exited ${r.status}: ${r.stderr}`);
  return { status: r.status, json: JSON.parse(r.stdout) as SummaryJson };
}

export interface LayerJson {
  line: number;
  callLine?: number;
  name: string;
  op: string;
  shape: number[] | null;
  params: number | null;
  trainableParams: number | null;
  unsharedParams: number | null;
  macs: number | null;
  receptiveField: number | null;
  receptiveFieldHW: [number, number] | null;
  jump: [number, number] | null;
  activationBytes: number | null;
  keptBytes: number | null;
  formula?: string[];
}

export interface NetworkJson {
  name: string;
  line: number;
  complete: boolean;
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  macs: number;
  output: number[] | null;
  memory: Record<string, number | string>;
  layers: LayerJson[];
}

export interface SummaryJson {
  diagnostics: { severity: string; code: string; line: number; column: number; message: string }[];
  networks: NetworkJson[];
}
