import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportResult, ModelFile, ModelInfo } from './export.js';

/**
 * Exported models kept between runs. `stride run` on a file it has run before — the usual loop of running,
 * reading, running again — takes the model from here instead of making it again: the seeded initialisation
 * of ResNet-50's 25.6M weights and the writing of its 100 MB are most of what a run adds to ONNX Runtime's
 * own work. The run process reads the file by its path, so the model is never copied between
 * processes either.
 *
 * An entry is `KEY.onnx` and `KEY.json` (what the export says of the model, without its bytes); the key hashes
 * everything the bytes depend on. The least recently used entries go once there are more than MAX_ENTRIES
 * of them or they hold more than MAX_BYTES. It is a cache: a write that fails leaves the run to go on without it,
 * and an entry that does not read back whole is not used.
 */

const FORMAT = 1;
export const MAX_ENTRIES = 16;
export const MAX_BYTES = 2 ** 30;

/**
 * The folder, or undefined where there is none: `STRIDE_MODEL_CACHE` names it (`0` or `off` switches the
 * cache off), else `home`/models. Off where this code is not a bundle (running from source under tsx): the key
 * names the bundle's own file, so a change to any module is a new key only in a bundle.
 */
export function modelCacheDir(home: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env.STRIDE_MODEL_CACHE;
  if (set === '0' || set === 'off') return undefined;
  if (codeIdentity() === undefined) return undefined;
  return set || join(home, 'models');
}

let identity: { of: string | undefined } | undefined;

/** The size and time of the file this code runs from, when it is a bundle: a rebuilt Stride exports anew. Read once. */
function codeIdentity(): string | undefined {
  identity ??= { of: bundleIdentity() };
  return identity.of;
}

function bundleIdentity(): string | undefined {
  const here = typeof __filename === 'string' ? __filename : '';
  if (!here.endsWith('.js')) return undefined;
  try {
    const s = statSync(here);
    return `${here}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** A file the model is made from (weights), by identity: a rewritten file changes its size or times. */
export function fileIdentity(path: string): string {
  const s = statSync(path);
  return `${path}:${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/** The key of everything an export's bytes depend on. */
export function modelKey(parts: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify({ format: FORMAT, code: codeIdentity(), ...parts }))
    .digest('hex')
    .slice(0, 32);
}

/** The entry of `key`, marked as just used; undefined where there is none or it does not read back whole. */
export function lookupModel(dir: string, key: string): ModelFile | undefined {
  const path = join(dir, `${key}.onnx`);
  try {
    const { info, bytes } = JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as { info?: ModelInfo; bytes?: number };
    if (!info || !Array.isArray(info.layers) || !Array.isArray(info.input?.shape) || !Array.isArray(info.output?.shape) || statSync(path).size !== bytes) return undefined;
    const now = new Date();
    utimesSync(path, now, now);
    return { ...info, path };
  } catch {
    return undefined;
  }
}

/** What an exported model is made from: its key's parts. */
export interface ModelParts {
  text: string;
  network: string;
  seed: number;
  /** Layers whose outputs the model also gives. */
  captures: readonly string[];
  weightsFile?: string;
}

/**
 * The model kept for `parts` in `dir`, or the one `exportNow` makes, kept there for the next run; what
 * `exportNow` gives as it is where there is no folder, it cannot be written, or `reuse` is false (the kept
 * one did not read). `exportNow`'s null (a weights file it reported it cannot read) is passed on.
 */
export function keptOrExported<T extends ExportResult>(dir: string | undefined, parts: ModelParts, exportNow: () => T | null, reuse = true): ModelFile | T | null {
  let key: string | undefined;
  try {
    if (dir) key = modelKey({ text: parts.text, network: parts.network, seed: parts.seed, captures: parts.captures, weights: parts.weightsFile && fileIdentity(parts.weightsFile) });
  } catch {
    // a weights file that cannot be read: exportNow reads it and says so
  }
  const kept = dir && key && reuse ? lookupModel(dir, key) : undefined;
  if (kept) return kept;
  const model = exportNow();
  if (!model) return null;
  return (dir && key && storeModel(dir, key, model)) || model;
}

/**
 * Runs `model`; a kept one that ONNX Runtime can no longer read (a disk error, a file changed by hand, an
 * entry another run evicted) is forgotten, and the one `again` exports is run instead, once. `message`
 * gives a failure's text.
 */
export async function runKept<M extends ExportResult | ModelFile, R>(model: M, run: (m: M) => Promise<R>, again: () => M | null, message: (e: unknown) => string): Promise<R> {
  try {
    return await run(model);
  } catch (e) {
    if (!('path' in model) || !/Protobuf parsing failed|Load model from .* failed|No such file/i.test(message(e))) throw e;
    forgetModel(model.path);
    const fresh = again();
    if (!fresh) throw e;
    return run(fresh);
  }
}

/** Removes the entry of a model file. */
function forgetModel(path: string): void {
  try {
    rmSync(path.replace(/\.onnx$/, '.json'), { force: true });
    rmSync(path, { force: true });
  } catch {
    // a folder that is not one: there is nothing to remove
  }
}

/** Writes the model as the entry of `key` (the bytes, then the description that makes it whole); undefined where it cannot be written. */
export function storeModel(dir: string, key: string, model: ExportResult, limits = { entries: MAX_ENTRIES, bytes: MAX_BYTES }): ModelFile | undefined {
  const { bytes, ...info } = model;
  const path = join(dir, `${key}.onnx`);
  try {
    mkdirSync(dir, { recursive: true });
    writeInPlace(path, bytes);
    writeInPlace(join(dir, `${key}.json`), Buffer.from(JSON.stringify({ info, bytes: bytes.length })));
  } catch {
    forgetModel(path);
    return undefined;
  }
  evict(dir, key, limits);
  return { ...info, path };
}

/** A temporary file renamed into place: a reader sees the whole file or none. Not synced: an entry lost to a crash is only a miss. */
function writeInPlace(path: string, data: Uint8Array): void {
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx');
  try {
    for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(temp, path);
}

/** Removes the least recently used entries beyond the limits, never `keep`, and temporaries a killed run left. */
function evict(dir: string, keep: string, limits: { entries: number; bytes: number }): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const entries: { key: string; size: number; used: number }[] = [];
  const hour = Date.now() - 3_600_000;
  for (const name of names) {
    try {
      const s = statSync(join(dir, name));
      if (name.endsWith('.tmp')) {
        if (s.mtimeMs < hour) rmSync(join(dir, name), { force: true });
      } else if (name.endsWith('.onnx')) entries.push({ key: name.slice(0, -'.onnx'.length), size: s.size, used: s.mtimeMs });
    } catch {
      // removed meanwhile by another run
    }
  }
  entries.sort((a, b) => b.used - a.used);
  let total = 0;
  entries.forEach((e, i) => {
    total += e.size;
    if (e.key !== keep && (i >= limits.entries || total > limits.bytes)) forgetModel(join(dir, `${e.key}.onnx`));
  });
}
