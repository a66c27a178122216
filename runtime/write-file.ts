import { closeSync, fchmodSync, fsyncSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * How Stride writes a user's files: never onto a file it was given to read, and atomically — the bytes go
 * to a temporary file in the same folder, which is renamed into place only once complete, so a failure
 * (disk full, permission, a kill) leaves the previous file as it was.
 */

/** A write that could not be done, with the path and the reason in words. */
export class WriteError extends Error {}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its folder is not a folder',
  EISDIR: 'it is a folder',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
};

/** Why a file operation failed, in words, with the system's code. */
export function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code && REASONS[code] ? `${REASONS[code]} (${code})` : (e as Error).message;
}

/** Whether two paths name the same file (also through links), for paths that may not exist yet. */
export function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Refuses a path that is one of the files being read (`what` names them for the message). */
export function checkNotInput(path: string, inputs: readonly { path: string; what: string }[]): void {
  for (const i of inputs) if (sameFile(path, i.path)) throw new WriteError(`refusing to write ${path}: it is the ${i.what}; give another path`);
}

/** Writes `data` to `path` atomically; on failure the old file, if any, is intact and no temporary is left. */
export function writeFileAtomic(path: string, data: Uint8Array | readonly Uint8Array[]): void {
  let target = path;
  try {
    target = realpathSync(path); // write through a link to its target, as writeFile would
  } catch {
    // a new file
  }
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o666);
    const old = existingMode(target);
    if (old !== undefined) fchmodSync(fd, old);
    for (const chunk of Array.isArray(data) ? data : [data as Uint8Array]) {
      for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at, chunk.length - at);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw new WriteError(`cannot write ${path}: ${reasonOf(e)}; nothing was changed`);
  }
}

function existingMode(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}
