import { InputError } from '../input-error.js';
import { checkSize, LAYOUT_NAMES } from './limits.js';
import { chunkCrcOk, chunkData, pngChunks, type Chunk } from './png-chunks.js';
import { unfilterRow } from './png-filters.js';
import { inflate } from './png-inflate.js';
import { sampleConverter, type SampleConverter } from './png-samples.js';
import type { ImageRows, VisitRow } from './rows.js';

/**
 * PNGs are decoded here rather than by a library: zlib inflates, then one row at a time is unfiltered and
 * converted, and resized as it comes (resize.ts), so reading one takes its inflated size plus a few rows, not
 * a float copy of the whole image. Interlaced PNGs also hold their de-interlaced pixels.
 */

/** Bit depths allowed for each colour type, and the samples a pixel stores. */
const PNG_COLOR_TYPES: Record<number, { depths: number[]; samples: number; name: string }> = {
  0: { depths: [1, 2, 4, 8, 16], samples: 1, name: 'grey' },
  2: { depths: [8, 16], samples: 3, name: 'RGB' },
  3: { depths: [1, 2, 4, 8], samples: 1, name: 'palette' },
  4: { depths: [8, 16], samples: 2, name: 'grey + alpha' },
  6: { depths: [8, 16], samples: 4, name: 'RGBA' },
};

/** Adam7: the first pixel and the step of each pass, in x and in y. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The IHDR header's fields, once checked. */
interface PngHeader {
  w: number;
  h: number;
  depth: number;
  colorType: number;
  interlace: number;
  /** Samples a pixel stores (a palette index is one). */
  samples: number;
}

/** One pass's pixels: the first and the step in x and y, the pass's size, and its rows' bytes (no filter byte). */
interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  pw: number;
  ph: number;
  rowBytes: number;
}

/** What decoding the inflated data needs to know. */
interface PngLayout {
  w: number;
  h: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /** The filters' byte distance to the pixel on the left. */
  bpp: number;
  passes: Pass[];
  convert: SampleConverter;
  /** Whether a row's bytes already are its samples (8-bit, no palette). */
  direct: boolean;
}

function corrupt(file: string, why: string): InputError {
  return new InputError(`${file}: corrupt PNG: ${why}`);
}

/** Checks the header, the chunks and the limits, and returns the decoder; every problem is an InputError. */
export function openPng(bytes: Uint8Array, file: string): ImageRows {
  const chunks = pngChunks(bytes, file);
  const header = readHeader(bytes, chunks[0]!, file);
  const { w, h, depth, colorType, interlace, samples } = header;
  const channels = (colorType === 3 ? 3 : samples) as 1 | 2 | 3 | 4;
  const bitDepth = depth === 16 ? 16 : 8;
  checkSize(w, h, channels, bitDepth, colorType === 3 ? 'palette' : LAYOUT_NAMES[channels]!, file);
  const { idat, palette } = readData(bytes, chunks, colorType, file);

  const bitsPerPixel = samples * depth;
  const passes = pngPasses(w, h, interlace, bitsPerPixel);
  const inflatedSize = passes.reduce((n, p) => n + (p.pw && p.ph ? p.ph * (1 + p.rowBytes) : 0), 0);
  const layout: PngLayout = {
    w,
    h,
    channels,
    bitDepth,
    bpp: Math.max(1, bitsPerPixel >> 3),
    passes,
    convert: sampleConverter(depth, colorType, samples, palette),
    direct: depth === 8 && colorType !== 3,
  };
  return {
    width: w,
    height: h,
    channels,
    bitDepth,
    read(visit, wanted) {
      const data = inflate(idat, inflatedSize, w, h, file);
      if (interlace) readInterlaced(data, layout, file, visit, wanted);
      else readRows(data, layout, file, visit, wanted);
    },
  };
}

/** Reads and checks the IHDR chunk, which must come first. */
function readHeader(bytes: Uint8Array, ihdr: Chunk, file: string): PngHeader {
  if (ihdr.type !== 'IHDR' || ihdr.end - ihdr.start !== 25) throw corrupt(file, 'it does not start with an IHDR header chunk');
  // The size decides what is allocated, so check that the header is intact first.
  if (!chunkCrcOk(bytes, ihdr)) throw corrupt(file, 'bad checksum (CRC) in the IHDR header chunk');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w = view.getUint32(ihdr.start + 8);
  const h = view.getUint32(ihdr.start + 12);
  const depth = bytes[ihdr.start + 16]!;
  const colorType = bytes[ihdr.start + 17]!;
  const interlace = bytes[ihdr.start + 20]!;
  const kind = PNG_COLOR_TYPES[colorType];
  if (!kind) throw corrupt(file, `unknown colour type ${colorType} in the IHDR header chunk`);
  if (!kind.depths.includes(depth)) throw corrupt(file, `bit depth ${depth} is not valid for ${kind.name} images`);
  if (bytes[ihdr.start + 18] !== 0 || bytes[ihdr.start + 19] !== 0) {
    throw corrupt(file, 'unknown compression or filter method in the IHDR header chunk');
  }
  if (interlace > 1) throw corrupt(file, `unknown interlace method ${interlace} in the IHDR header chunk`);
  if (w > 0x7fffffff || h > 0x7fffffff) throw corrupt(file, `width or height over 2³¹ − 1 in the IHDR header chunk`);
  return { w, h, depth, colorType, interlace, samples: kind.samples };
}

/** Checks every chunk after IHDR and gathers the image data and the palette (the first PLTE chunk). */
function readData(
  bytes: Uint8Array,
  chunks: Chunk[],
  colorType: number,
  file: string,
): { idat: Uint8Array[]; palette: Uint8Array | undefined } {
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (const chunk of chunks.slice(1)) {
    if (!chunkCrcOk(bytes, chunk)) throw corrupt(file, `bad checksum (CRC) in the ${JSON.stringify(chunk.type)} chunk`);
    const data = chunkData(bytes, chunk);
    if (chunk.type === 'IDAT') idat.push(data);
    else if (chunk.type === 'PLTE' && !palette) palette = data;
    else if (chunk.type === 'IHDR') throw corrupt(file, 'a second IHDR header chunk');
  }
  if (idat.length === 0) throw corrupt(file, 'no image data (IDAT chunk)');
  if (colorType === 3) {
    if (!palette) throw corrupt(file, 'a palette image without a palette (PLTE chunk)');
    if (palette.length === 0 || palette.length % 3 !== 0 || palette.length > 768) {
      throw corrupt(file, `a palette (PLTE chunk) of ${palette.length} bytes, not 3 for each of 1 to 256 colours`);
    }
  }
  return { idat, palette };
}

/** The passes the image data holds: the seven of Adam7 when interlaced, else one of the whole image. */
function pngPasses(w: number, h: number, interlace: number, bitsPerPixel: number): Pass[] {
  return (interlace ? ADAM7 : [[0, 0, 1, 1] as const]).map(([x0, y0, dx, dy]) => {
    const pw = w > x0 ? Math.ceil((w - x0) / dx) : 0;
    const ph = h > y0 ? Math.ceil((h - y0) / dy) : 0;
    return { x0, y0, dx, dy, pw, ph, rowBytes: Math.ceil((pw * bitsPerPixel) / 8) };
  });
}

/** A non-interlaced image: every row is unfiltered (the next one needs it), but only wanted rows are converted. */
function readRows(data: Uint8Array, layout: PngLayout, file: string, visit: VisitRow, wanted?: (y: number) => boolean): void {
  const { w, h, channels, bitDepth, bpp, convert, direct } = layout;
  const { rowBytes } = layout.passes[0]!;
  const rowLength = w * channels;
  const row = direct ? undefined : bitDepth === 16 ? new Uint16Array(rowLength) : new Uint8Array(rowLength);
  for (let y = 0, at = 0; y < h; y++, at += 1 + rowBytes) {
    unfilterRow(data, at, at - 1 - rowBytes, y, rowBytes, bpp, file);
    if (wanted && !wanted(y)) continue;
    if (row) {
      convert(data, at + 1, w, row, 0, channels);
      visit(y, row);
    } else {
      visit(y, data.subarray(at + 1, at + 1 + rowBytes));
    }
  }
}

/** An interlaced image: each pass is a small image of its own; put its pixels in place, then hand out the rows. */
function readInterlaced(data: Uint8Array, layout: PngLayout, file: string, visit: VisitRow, wanted?: (y: number) => boolean): void {
  const { w, h, channels, bitDepth, bpp, convert } = layout;
  const rowLength = w * channels;
  const full = bitDepth === 16 ? new Uint16Array(w * h * channels) : new Uint8Array(w * h * channels);
  let at = 0;
  for (const p of layout.passes) {
    if (!p.pw || !p.ph) continue;
    for (let r = 0; r < p.ph; r++, at += 1 + p.rowBytes) {
      unfilterRow(data, at, r === 0 ? -1 : at - 1 - p.rowBytes, r, p.rowBytes, bpp, file);
      convert(data, at + 1, p.pw, full, ((p.y0 + r * p.dy) * w + p.x0) * channels, p.dx * channels);
    }
  }
  for (let y = 0; y < h; y++) if (!wanted || wanted(y)) visit(y, full.subarray(y * rowLength, (y + 1) * rowLength));
}
