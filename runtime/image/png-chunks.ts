import * as zlib from 'node:zlib';
import { InputError } from '../input-error.js';

/** Where one chunk lies in the file. */
export interface Chunk {
  type: string;
  start: number; // offset of the length field
  end: number; // offset after the CRC
}

/** Walks the chunks, so that truncation and a missing header get a plain message. */
export function pngChunks(bytes: Uint8Array, file: string): Chunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  let offset = 8;
  for (;;) {
    if (offset + 8 > bytes.length) {
      throw new InputError(`${file}: corrupt PNG: truncated (the file ends before the IEND chunk)`);
    }
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const end = offset + 12 + length;
    if (end > bytes.length) {
      throw new InputError(`${file}: corrupt PNG: truncated (the file ends inside the ${JSON.stringify(type)} chunk)`);
    }
    chunks.push({ type, start: offset, end });
    if (type === 'IEND') return chunks;
    offset = end;
  }
}

/** The bytes a chunk holds, without its length, type and CRC. */
export function chunkData(bytes: Uint8Array, chunk: Chunk): Uint8Array {
  return bytes.subarray(chunk.start + 8, chunk.end - 4);
}

/** Whether a chunk's CRC matches its type and data. */
export function chunkCrcOk(bytes: Uint8Array, chunk: Chunk): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return crc32(bytes.subarray(chunk.start + 4, chunk.end - 4)) === view.getUint32(chunk.end - 4);
}

let crcTable: Uint32Array | undefined;
// zlib.crc32 is only in newer Node versions; the table below stands in where it is missing.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

function crc32(bytes: Uint8Array): number {
  if (nativeCrc32) return nativeCrc32(bytes) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
