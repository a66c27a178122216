import * as zlib from 'node:zlib';
import { InputError } from '../input-error.js';

/** Inflates the image data, refusing more or less than the header's size needs. */
export function inflate(idat: Uint8Array[], size: number, w: number, h: number, file: string): Uint8Array {
  const compressed = idat.length === 1 ? idat[0]! : Buffer.concat(idat);
  let out: Buffer;
  try {
    // One output buffer of the expected size (plus one byte, so that a full buffer does not allocate another);
    // one byte more than expected stops inflating at once.
    out = zlib.inflateSync(compressed, { chunkSize: Math.max(64, size + 1), maxOutputLength: size });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InputError(`${file}: corrupt PNG: the image data holds more than its ${w}×${h} pixels`);
    }
    if (code === 'Z_BUF_ERROR') throw new InputError(`${file}: corrupt PNG: the image data is cut short`);
    const why = e instanceof Error ? e.message : String(e);
    throw new InputError(`${file}: corrupt PNG: bad compressed image data (${why})`);
  }
  if (out.length < size) {
    throw new InputError(`${file}: corrupt PNG: the image data is cut short (${out.length} of ${size} bytes)`);
  }
  return out;
}
