import * as jpeg from 'jpeg-js';
import * as zlib from 'node:zlib';
import { InputError } from './input-error.js';

/**
 * Images as network inputs: PNG or JPEG (told apart by their first bytes, not the file name) → one C×H×W
 * float32 image. Steps: decode; convert channels (grey → 3 copies when the network takes 3, RGB → ITU-R
 * BT.601 luma 0.299R + 0.587G + 0.114B when it takes 1, alpha dropped); scale to [0, 1]; resize bilinearly
 * to the network's H×W (half-pixel centres, align_corners=false, no antialiasing — as
 * torch.nn.functional.interpolate(mode='bilinear') and ONNX Resize 'linear'/'half_pixel'; the aspect ratio is
 * not kept); then (x − mean) / std per channel when given.
 *
 * Size limits, checked from the header (PNG's IHDR, JPEG's SOF) before anything is decoded: at most
 * MAX_PIXELS pixels, and at most MAX_DECODED_BYTES of decoded samples (width × height × channels × bytes per
 * sample; a palette counts as 3 channels, 16 bits as 2 bytes), so that 8-bit images are limited by their
 * pixels (at most 400 MB) and 16-bit ones also by their bytes. An 8000×6000 photo is 144 MB as 8-bit RGB and
 * 384 MB as 16-bit RGBA; a 10000×10000 16-bit RGBA image (800 MB) is refused. JPEGs are also limited by what
 * jpeg-js needs to decode them (MAX_JPEG_MEMORY) and by their number of scans (MAX_JPEG_PASSES).
 *
 * PNGs are decoded by this module (zlib inflates, then one row at a time is unfiltered, converted and
 * resized), so reading one takes its inflated size plus a few rows, not a float copy of the whole image.
 * Interlaced PNGs also hold their de-interlaced pixels. JPEGs are decoded by jpeg-js, which holds the whole
 * image and its DCT blocks (1.6 GB and several seconds for an 8000×6000 4:4:4 photo).
 */

/** Images with more pixels than this are refused before decoding (jpeg-js's own default limit). */
export const MAX_PIXELS = 100_000_000;

/** Images whose decoded samples take more bytes than this are refused before decoding. */
export const MAX_DECODED_BYTES = 512 * 1024 * 1024;

/**
 * JPEGs are refused when jpeg-js would account for more memory than this (its maxMemoryUsageInMB: the DCT
 * blocks at 256 bytes each, the component planes and the output; it uses about 1.6 times as much). An
 * 8000×6000 4:4:4 photo counts 961 MiB (and takes 1.6 GB), a 4:2:0 one 618 MiB; 10000×10000 is refused.
 */
export const MAX_JPEG_MEMORY = 1024 * 1024 * 1024;

/**
 * A JPEG's scans may together cover the frame's blocks at most this many times. Real progressive JPEGs
 * take a few passes (libjpeg's default script about 5); a tiny file with thousands of empty scans over a
 * large frame would otherwise decode for minutes.
 */
export const MAX_JPEG_PASSES = 64;

export interface ImageTarget {
  channels: number;
  height: number;
  width: number;
}

export interface ImageOptions {
  /** Per-channel mean, subtracted after scaling to [0, 1]; one value per network input channel. */
  mean?: number[];
  /** Per-channel standard deviation, divided by after the mean; one value per network input channel. */
  std?: number[];
}

/** An image's pixels as decoded, before any conversion: what Pillow's Image.open gives, as an array. */
export interface DecodedImage {
  width: number;
  height: number;
  /**
   * Samples per pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. Palette PNGs give RGB (a tRNS alpha is
   * dropped, as Pillow's convert('RGB')); JPEGs give 1 (grey) or 3 (RGB, also from CMYK).
   */
  channels: 1 | 2 | 3 | 4;
  /** 8 or 16. 1-, 2- and 4-bit grey is scaled to 8 bits (× 255, 85, 17), as Pillow's mode 'L'. */
  bitDepth: 8 | 16;
  /** height × width × channels samples, row-major. */
  data: Uint8Array | Uint16Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image format from the first bytes: 'png', 'jpeg', or undefined for anything else. */
export function detectImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** What a file that is neither PNG nor JPEG looks like, for the message. */
function otherFormat(bytes: Uint8Array): string | undefined {
  const ascii = String.fromCharCode(...bytes.subarray(0, 12));
  if (ascii.startsWith('GIF8')) return 'a GIF';
  if (ascii.startsWith('BM')) return 'a BMP';
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return 'a WebP';
  if (ascii.startsWith('II*\0') || ascii.startsWith('MM\0*')) return 'a TIFF';
  if (ascii.startsWith('\x93NUMPY')) return 'a NumPy .npy array';
  if (ascii.slice(4, 8) === 'ftyp') return 'an HEIF/AVIF (or MP4)';
  if (ascii.startsWith('\xff\x0a') || ascii.startsWith('\0\0\0\x0cJXL ')) return 'a JPEG XL';
  if (ascii.startsWith('%PDF')) return 'a PDF';
  if (ascii.startsWith('PK\x03\x04')) return 'a ZIP (or .npz)';
  return undefined;
}

/** A header-checked image whose rows are decoded on demand. */
interface ImageRows {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /**
   * Decodes the image, calling `visit` in order with the samples (width × channels) of every row for which
   * `wanted` is true (every row when it is not given); a row is valid only during its call.
   */
  read(visit: (y: number, row: Uint8Array | Uint16Array) => void, wanted?: (y: number) => boolean): void;
}

/** Checks the header (format, size, limits) and returns the decoder; every problem is an InputError. */
function openImage(bytes: Uint8Array, file: string): ImageRows {
  const format = detectImageFormat(bytes);
  if (format === undefined) {
    const other = otherFormat(bytes);
    throw new InputError(`${file}: not a PNG or JPEG image${other ? ` (it is ${other} file)` : ''}`);
  }
  return format === 'png' ? openPng(bytes, file) : openJpeg(bytes, file);
}

/**
 * Decodes a PNG or JPEG image into its pixels as stored (see DecodedImage), with no channel conversion,
 * scaling or resizing. The same limits and errors as readImage.
 */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const image = openImage(bytes, file);
  const { width, height, channels, bitDepth } = image;
  const n = width * height * channels;
  const data = bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  const rowLength = width * channels;
  image.read((y, row) => data.set(row, y * rowLength));
  return { width, height, channels, bitDepth, data };
}

/**
 * Reads a PNG or JPEG image into one C×H×W float32 image of the target size. Every problem throws an
 * InputError naming the file.
 */
export function readImage(bytes: Uint8Array, file: string, target: ImageTarget, options: ImageOptions = {}): Float32Array {
  const { channels, height, width } = target;
  if (channels !== 1 && channels !== 3) {
    throw new InputError(
      `${file}: the network takes ${channels} input channels, and an image gives 1 (grey) or 3 (RGB); ` +
        `give the input as a .npy array instead`,
    );
  }
  if (!(Number.isSafeInteger(height) && height > 0 && Number.isSafeInteger(width) && width > 0)) {
    throw new InputError(`${file}: the network input size ${height}×${width} is not a fixed image size`);
  }
  const mean = checkStats(options.mean, 'mean', channels, file);
  const std = checkStats(options.std, 'std', channels, file);
  if (std?.some((s) => s === 0)) throw new InputError(`${file}: std has a zero value; every std must be non-zero`);
  return resample(openImage(bytes, file), channels, height, width, mean, std);
}

function checkStats(values: number[] | undefined, name: string, channels: number, file: string): number[] | undefined {
  if (values === undefined) return undefined;
  if (values.length !== channels) {
    throw new InputError(
      `${file}: ${name} has ${values.length} value${values.length === 1 ? '' : 's'} but the network takes ` +
        `${channels} channel${channels === 1 ? '' : 's'}; give one ${name} per channel`,
    );
  }
  if (!values.every(Number.isFinite)) throw new InputError(`${file}: ${name} has a value that is not a finite number`);
  return values;
}

// ---- limits ----

const LAYOUT_NAMES = ['', 'grey', 'grey + alpha', 'RGB', 'RGBA'];

/** Refuses empty images and those over the limits, from their header's numbers. */
function checkSize(w: number, h: number, channels: number, bitDepth: 8 | 16, layout: string, file: string): void {
  if (w === 0 || h === 0) throw new InputError(`${file}: the image is empty (${w}×${h} pixels)`);
  const pixels = w * h;
  if (pixels > MAX_PIXELS) {
    throw new InputError(
      `${file}: the image is too large to read (${w}×${h} pixels; at most ${MAX_PIXELS / 1e6} megapixels); ` +
        `resize it first`,
    );
  }
  const bytes = pixels * channels * (bitDepth / 8);
  if (bytes > MAX_DECODED_BYTES) {
    const mib = (n: number) => `${Math.ceil(n / 2 ** 20)} MiB`;
    const as8 = bitDepth === 16 && bytes / 2 <= MAX_DECODED_BYTES ? ', or save it with 8 bits a sample' : '';
    throw new InputError(
      `${file}: the image is too large to read (${w}×${h} pixels of ${bitDepth}-bit ${layout} decode to ` +
        `${mib(bytes)}; at most ${mib(MAX_DECODED_BYTES)}); resize it first${as8}`,
    );
  }
}

// ---- PNG ----

interface Chunk {
  type: string;
  start: number; // offset of the length field
  end: number; // offset after the CRC
}

/** Walks the chunks, so that truncation and a missing header get a plain message. */
function pngChunks(bytes: Uint8Array, file: string): Chunk[] {
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

function openPng(bytes: Uint8Array, file: string): ImageRows {
  const corrupt = (why: string) => new InputError(`${file}: corrupt PNG: ${why}`);
  const chunks = pngChunks(bytes, file);
  const ihdr = chunks[0]!;
  if (ihdr.type !== 'IHDR' || ihdr.end - ihdr.start !== 25) throw corrupt('it does not start with an IHDR header chunk');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcOk = (c: Chunk) => crc32(bytes.subarray(c.start + 4, c.end - 4)) === view.getUint32(c.end - 4);
  // The size decides what is allocated, so check that the header is intact first.
  if (!crcOk(ihdr)) throw corrupt('bad checksum (CRC) in the IHDR header chunk');
  const w = view.getUint32(ihdr.start + 8);
  const h = view.getUint32(ihdr.start + 12);
  const depth = bytes[ihdr.start + 16]!;
  const colorType = bytes[ihdr.start + 17]!;
  const interlace = bytes[ihdr.start + 20]!;
  const kind = PNG_COLOR_TYPES[colorType];
  if (!kind) throw corrupt(`unknown colour type ${colorType} in the IHDR header chunk`);
  if (!kind.depths.includes(depth)) throw corrupt(`bit depth ${depth} is not valid for ${kind.name} images`);
  if (bytes[ihdr.start + 18] !== 0 || bytes[ihdr.start + 19] !== 0) {
    throw corrupt('unknown compression or filter method in the IHDR header chunk');
  }
  if (interlace > 1) throw corrupt(`unknown interlace method ${interlace} in the IHDR header chunk`);
  if (w > 0x7fffffff || h > 0x7fffffff) throw corrupt(`width or height over 2³¹ − 1 in the IHDR header chunk`);
  const channels = (colorType === 3 ? 3 : kind.samples) as 1 | 2 | 3 | 4;
  const bitDepth = depth === 16 ? 16 : 8;
  checkSize(w, h, channels, bitDepth, colorType === 3 ? 'palette' : LAYOUT_NAMES[channels]!, file);

  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (const chunk of chunks.slice(1)) {
    if (!crcOk(chunk)) throw corrupt(`bad checksum (CRC) in the ${JSON.stringify(chunk.type)} chunk`);
    const data = bytes.subarray(chunk.start + 8, chunk.end - 4);
    if (chunk.type === 'IDAT') idat.push(data);
    else if (chunk.type === 'PLTE' && !palette) palette = data;
    else if (chunk.type === 'IHDR') throw corrupt('a second IHDR header chunk');
  }
  if (idat.length === 0) throw corrupt('no image data (IDAT chunk)');
  if (colorType === 3) {
    if (!palette) throw corrupt('a palette image without a palette (PLTE chunk)');
    if (palette.length === 0 || palette.length % 3 !== 0 || palette.length > 768) {
      throw corrupt(`a palette (PLTE chunk) of ${palette.length} bytes, not 3 for each of 1 to 256 colours`);
    }
  }

  const samples = kind.samples;
  const bitsPerPixel = samples * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3); // the filters' byte distance to the pixel on the left
  const passes = (interlace ? ADAM7 : [[0, 0, 1, 1] as const]).map(([x0, y0, dx, dy]) => {
    const pw = w > x0 ? Math.ceil((w - x0) / dx) : 0;
    const ph = h > y0 ? Math.ceil((h - y0) / dy) : 0;
    return { x0, y0, dx, dy, pw, ph, rowBytes: Math.ceil((pw * bitsPerPixel) / 8) };
  });
  const inflatedSize = passes.reduce((n, p) => n + (p.pw && p.ph ? p.ph * (1 + p.rowBytes) : 0), 0);

  /** Converts `count` pixels of a row's bytes from `at` into samples of `out` from `o`, `step` samples apart. */
  const convert = (data: Uint8Array, at: number, count: number, out: Uint8Array | Uint16Array, o: number, step: number) => {
    if (depth === 16) {
      for (let i = 0, q = at; i < count; i++, o += step) {
        for (let c = 0; c < samples; c++, q += 2) out[o + c] = (data[q]! << 8) | data[q + 1]!;
      }
    } else if (colorType === 3) {
      const pal = palette!;
      const mask = (1 << depth) - 1;
      for (let i = 0; i < count; i++, o += step) {
        const bit = i * depth;
        const index = depth === 8 ? data[at + i]! : (data[at + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
        // An index past the palette's end reads as black.
        const p = index * 3;
        out[o] = pal[p] ?? 0;
        out[o + 1] = pal[p + 1] ?? 0;
        out[o + 2] = pal[p + 2] ?? 0;
      }
    } else if (depth < 8) {
      const mask = (1 << depth) - 1;
      const scale = 255 / mask;
      for (let i = 0; i < count; i++, o += step) {
        const bit = i * depth;
        out[o] = ((data[at + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask) * scale;
      }
    } else {
      for (let i = 0, q = at; i < count; i++, o += step) {
        for (let c = 0; c < samples; c++) out[o + c] = data[q++]!;
      }
    }
  };
  /** Whether a row's bytes already are its samples (8-bit, no palette). */
  const direct = depth === 8 && colorType !== 3;

  return {
    width: w,
    height: h,
    channels,
    bitDepth,
    read(visit, wanted) {
      const data = inflate(idat, inflatedSize, w, h, file);
      const rowLength = w * channels;
      if (!interlace) {
        const { rowBytes } = passes[0]!;
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
        return;
      }
      // Interlaced: each pass is a small image of its own; put its pixels in place, then hand out the rows.
      const full = bitDepth === 16 ? new Uint16Array(w * h * channels) : new Uint8Array(w * h * channels);
      let at = 0;
      for (const p of passes) {
        if (!p.pw || !p.ph) continue;
        for (let r = 0; r < p.ph; r++, at += 1 + p.rowBytes) {
          unfilterRow(data, at, r === 0 ? -1 : at - 1 - p.rowBytes, r, p.rowBytes, bpp, file);
          convert(data, at + 1, p.pw, full, ((p.y0 + r * p.dy) * w + p.x0) * channels, p.dx * channels);
        }
      }
      for (let y = 0; y < h; y++) if (!wanted || wanted(y)) visit(y, full.subarray(y * rowLength, (y + 1) * rowLength));
    },
  };
}

/** Inflates the image data, refusing more or less than the header's size needs. */
function inflate(idat: Uint8Array[], size: number, w: number, h: number, file: string): Uint8Array {
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

/**
 * Undoes the filter of the row whose filter byte is at `at`, in place; `prev` is the previous row's filter
 * byte offset (its bytes already unfiltered), or negative for the first row.
 */
function unfilterRow(d: Uint8Array, at: number, prev: number, y: number, n: number, bpp: number, file: string): void {
  const filter = d[at]!;
  const p = at + 1;
  const q = prev + 1;
  const hasUp = prev >= 0;
  switch (filter) {
    case 0:
      return;
    case 1: // Sub
      for (let i = bpp; i < n; i++) d[p + i] = d[p + i]! + d[p + i - bpp]!;
      return;
    case 2: // Up
      if (hasUp) for (let i = 0; i < n; i++) d[p + i] = d[p + i]! + d[q + i]!;
      return;
    case 3: // Average
      for (let i = 0; i < n; i++) {
        const left = i >= bpp ? d[p + i - bpp]! : 0;
        const up = hasUp ? d[q + i]! : 0;
        d[p + i] = d[p + i]! + ((left + up) >> 1);
      }
      return;
    case 4: // Paeth
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? d[p + i - bpp]! : 0;
        const b = hasUp ? d[q + i]! : 0;
        const c = hasUp && i >= bpp ? d[q + i - bpp]! : 0;
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        d[p + i] = d[p + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      return;
    default:
      throw new InputError(`${file}: corrupt PNG: unknown filter type ${filter} in the image data (row ${y + 1})`);
  }
}

let crcTable: Uint32Array | undefined;
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

// ---- JPEG ----

interface JpegFrame {
  marker: number;
  precision: number;
  height: number;
  width: number;
  components: { id: number; h: number; v: number }[];
}

interface JpegLayout {
  state: 'complete' | 'truncated' | 'no-scan' | 'corrupt';
  /** What is wrong, for 'corrupt'. */
  why?: string;
  frames: JpegFrame[];
  /** Blocks decoded by all the scans together, and the blocks of the whole frame. */
  scanBlocks: number;
  frameBlocks: number;
}

const SOF_KINDS: Record<number, string> = {
  0xc3: 'lossless',
  0xc5: 'hierarchical',
  0xc6: 'hierarchical',
  0xc7: 'hierarchical',
  0xc9: 'arithmetic-coded',
  0xca: 'arithmetic-coded',
  0xcb: 'arithmetic-coded',
  0xcd: 'arithmetic-coded',
  0xce: 'arithmetic-coded',
  0xcf: 'arithmetic-coded',
};

function openJpeg(bytes: Uint8Array, file: string): ImageRows {
  const layout = jpegLayout(bytes);
  if (layout.state === 'truncated') {
    throw new InputError(`${file}: corrupt JPEG: truncated (the file ends before the end-of-image marker)`);
  }
  if (layout.state === 'corrupt') throw new InputError(`${file}: corrupt JPEG: ${layout.why}`);
  const frame = layout.frames[0];
  if (!frame) throw new InputError(`${file}: corrupt JPEG: no frame header (SOF marker)`);
  const kind = SOF_KINDS[frame.marker];
  if (kind) {
    throw new InputError(`${file}: unsupported JPEG: ${kind} JPEGs are not read; save it as an ordinary JPEG or a PNG`);
  }
  if (layout.frames.length > 1) throw new InputError(`${file}: unsupported JPEG: more than one frame (SOF marker)`);
  if (layout.state === 'no-scan') throw new InputError(`${file}: corrupt JPEG: no image data (start-of-scan marker)`);
  if (frame.precision !== 8) {
    throw new InputError(`${file}: unsupported JPEG: ${frame.precision}-bit samples; only 8-bit JPEGs are read`);
  }
  const n = frame.components.length;
  if (n !== 1 && n !== 3 && n !== 4) {
    throw new InputError(`${file}: unsupported JPEG: ${n} colour components (grey, YCbCr/RGB and CMYK are read)`);
  }
  if (frame.height === 0 && frame.width > 0) {
    throw new InputError(`${file}: unsupported JPEG: its height is given after the image data (a DNL marker)`);
  }
  const channels = n === 1 ? 1 : 3;
  checkSize(frame.width, frame.height, channels, 8, channels === 1 ? 'grey' : 'RGB', file);
  const memory = jpegMemory(frame);
  if (memory > MAX_JPEG_MEMORY) {
    throw new InputError(
      `${file}: the image is too large to read (${frame.width}×${frame.height} pixels; decoding this JPEG takes ` +
        `${Math.ceil(memory / 2 ** 20)} MiB, at most ${MAX_JPEG_MEMORY / 2 ** 20} MiB); resize it first`,
    );
  }
  if (layout.scanBlocks > MAX_JPEG_PASSES * layout.frameBlocks) {
    throw new InputError(
      `${file}: corrupt JPEG: its scans cover the image ${Math.round(layout.scanBlocks / layout.frameBlocks)} times ` +
        `(at most ${MAX_JPEG_PASSES} are decoded)`,
    );
  }
  const { width, height } = frame;
  return {
    width,
    height,
    channels,
    bitDepth: 8,
    read(visit, wanted) {
      let image: { width: number; height: number; data: Uint8Array };
      try {
        image = jpeg.decode(bytes, {
          useTArray: true,
          formatAsRGBA: false,
          tolerantDecoding: false,
          maxResolutionInMP: MAX_PIXELS / 1e6,
          maxMemoryUsageInMB: MAX_JPEG_MEMORY / 2 ** 20 + 64, // the check above is the limit; this is a margin
        });
      } catch (e) {
        const text = errorText(e);
        if (/limit exceeded|allocate enough memory/.test(text)) {
          throw new InputError(`${file}: the image is too large to read (${text}); resize it first`);
        }
        if (/^Unsupported color mode/.test(text)) throw new InputError(`${file}: unsupported JPEG: ${text}`);
        throw new InputError(`${file}: corrupt JPEG: ${text}`);
      }
      if (image.width !== width || image.height !== height) {
        throw new InputError(`${file}: corrupt JPEG: the decoded size differs from the frame header's`);
      }
      // jpeg-js gives RGB for grey (Y, Y, Y), YCbCr and Adobe CMYK/YCCK images alike.
      const data = image.data;
      const grey = channels === 1 ? new Uint8Array(width) : undefined;
      for (let y = 0; y < height; y++) {
        if (wanted && !wanted(y)) continue;
        const start = y * width * 3;
        if (grey) {
          for (let x = 0; x < width; x++) grey[x] = data[start + 3 * x]!;
          visit(y, grey);
        } else {
          visit(y, data.subarray(start, start + width * 3));
        }
      }
    },
  };
}

/**
 * Walks the markers from SOI to EOI, skipping segments by their length and scans by their escaped 0xFF
 * bytes, to tell a file cut short ('truncated') from one with an end-of-image marker ('complete'; bytes after
 * it, such as an appended video, are ignored), and to read the frame headers and what each scan covers
 * before the decoder allocates for them. It is as strict as jpeg-js, so that it sees every frame jpeg-js
 * would: segment lengths must match the frame and scan headers, and bytes that are not a marker where one
 * should be are refused, except where jpeg-js recovers (a marker whose 0xFF the previous segment ended with,
 * and one malformed APP0/APP1 segment).
 */
function jpegLayout(bytes: Uint8Array): JpegLayout {
  const n = bytes.length;
  const frames: JpegFrame[] = [];
  const layout = (state: JpegLayout['state'], why?: string): JpegLayout => ({ state, why, frames, scanBlocks, frameBlocks });
  let scanBlocks = 0;
  let frameBlocks = 0;
  let scans = 0;
  let recovered = false;
  let i = 2;
  for (;;) {
    if (i >= n) return layout('truncated');
    if (bytes[i] === 0xff) {
      while (i < n && bytes[i] === 0xff) i++; // fill bytes
      if (i >= n) return layout('truncated');
    } else if (!(bytes[i - 1] === 0xff && bytes[i]! >= 0xc0 && bytes[i]! <= 0xfe)) {
      if (!recovered && bytes[i] === 0 && (bytes[i + 1] === 0xe0 || bytes[i + 1] === 0xe1) && i + 4 <= n) {
        recovered = true;
        const end = i + 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
        if (end >= n) return layout('truncated');
        if (bytes[end] === 0xff) {
          i = end;
          continue;
        }
      }
      return layout('corrupt', `no marker where one should be (at byte ${i})`);
    }
    const marker = bytes[i]!;
    i++;
    if (marker === 0xd9) return layout(scans > 0 ? 'complete' : 'no-scan');
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // no length
    if (i + 2 > n) return layout('truncated');
    const length = (bytes[i]! << 8) | bytes[i + 1]!;
    if (length < 2) return layout('corrupt', `a segment length of ${length} (marker 0xFF${hex(marker)})`);
    const start = i + 2; // the segment's contents
    i += length;
    if (i > n) return layout('truncated');
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const count = bytes[start + 5] ?? 0;
      if (length !== 8 + 3 * count) return layout('corrupt', 'a frame header (SOF marker) whose length does not match its components');
      const components: JpegFrame['components'] = [];
      for (let k = 0; k < count; k++) {
        const hv = bytes[start + 7 + 3 * k]!;
        if (hv >> 4 < 1 || hv >> 4 > 4 || (hv & 15) < 1 || (hv & 15) > 4) {
          return layout('corrupt', 'a sampling factor outside 1 to 4 in the frame header (SOF marker)');
        }
        components.push({ id: bytes[start + 6 + 3 * k]!, h: hv >> 4, v: hv & 15 });
      }
      const frame = {
        marker,
        precision: bytes[start]!,
        height: (bytes[start + 1]! << 8) | bytes[start + 2]!,
        width: (bytes[start + 3]! << 8) | bytes[start + 4]!,
        components,
      };
      frames.push(frame);
      if (frames.length === 1) frameBlocks = Math.max(1, blocks(frame, components));
    } else if (marker === 0xda) {
      scans++;
      const frame = frames[0];
      if (!frame) return layout('corrupt', 'image data (start-of-scan marker) before the frame header (SOF marker)');
      const count = bytes[start] ?? 0;
      if (length !== 6 + 2 * count) return layout('corrupt', 'a scan header (SOS marker) whose length does not match its components');
      const used: JpegFrame['components'] = [];
      for (let k = 0; k < count; k++) {
        const component = frame.components.find((c) => c.id === bytes[start + 1 + 2 * k]);
        if (!component) return layout('corrupt', 'a scan of a component the frame header does not have');
        used.push(component);
      }
      scanBlocks += blocks(frame, used);
      // entropy-coded data: 0xFF is followed by 0x00 (an escaped byte) or a restart marker until the next marker
      while (i < n && !(bytes[i] === 0xff && i + 1 < n && bytes[i + 1] !== 0x00 && (bytes[i + 1]! < 0xd0 || bytes[i + 1]! > 0xd7))) i++;
      if (i + 1 >= n) return layout('truncated');
    }
  }
}

/** The 8×8 blocks a scan of these components decodes (one component: its own blocks; several: whole MCUs). */
function blocks(frame: JpegFrame, used: { h: number; v: number }[]): number {
  const maxH = Math.max(1, ...frame.components.map((c) => c.h));
  const maxV = Math.max(1, ...frame.components.map((c) => c.v));
  if (used.length === 1) {
    const c = used[0]!;
    return Math.ceil((Math.ceil(frame.width / 8) * c.h) / maxH) * Math.ceil((Math.ceil(frame.height / 8) * c.v) / maxV);
  }
  const mcus = Math.ceil(frame.width / 8 / maxH) * Math.ceil(frame.height / 8 / maxV);
  return mcus * used.reduce((s, c) => s + c.h * c.v, 0);
}

/** The memory jpeg-js accounts for when it decodes this frame into RGB (see its requestMemoryAllocation calls). */
function jpegMemory(frame: JpegFrame): number {
  const maxH = Math.max(1, ...frame.components.map((c) => c.h));
  const maxV = Math.max(1, ...frame.components.map((c) => c.v));
  const mcusPerLine = Math.ceil(frame.width / 8 / maxH);
  const mcusPerColumn = Math.ceil(frame.height / 8 / maxV);
  let bytes = frame.width * frame.height * (frame.components.length + 3); // its planes' copy, and the output
  for (const c of frame.components) {
    bytes += mcusPerLine * c.h * mcusPerColumn * c.v * 256; // the DCT blocks
    const blocksPerLine = Math.ceil((Math.ceil(frame.width / 8) * c.h) / maxH);
    const blocksPerColumn = Math.ceil((Math.ceil(frame.height / 8) * c.v) / maxV);
    bytes += blocksPerLine * 8 * blocksPerColumn * 8; // the component's decoded plane
  }
  return bytes;
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

function errorText(e: unknown): string {
  // The decoders' own failures on malformed bytes (reading past a table, an undefined component) say nothing useful.
  if (e instanceof TypeError || e instanceof RangeError) return 'malformed data';
  return e instanceof Error ? e.message : String(e);
}

// ---- pixels → the network's input ----

/** Per output index along one axis: the two source indices and the weight of the second. */
function axis(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; t: Float64Array } {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    t[o] = src - lo;
  }
  return { i0, i1, t };
}

/**
 * Converts, scales and resizes an image row by row into C×outH×outW values: each needed source row is
 * resized horizontally as it is decoded, and an output row is made as soon as its two source rows are
 * there, so only two rows are held. Values are those of resizing whole float32 [0, 1] planes (as
 * resizeBilinear does), then normalising.
 */
function resample(
  image: ImageRows,
  channels: 1 | 3,
  outH: number,
  outW: number,
  mean: number[] | undefined,
  std: number[] | undefined,
): Float32Array {
  const { width: inW, height: inH, channels: samples } = image;
  const max = image.bitDepth === 16 ? 65535 : 255;
  const xs = axis(inW, outW);
  const ys = axis(inH, outH);
  const wanted = new Uint8Array(inH);
  for (let o = 0; o < outH; o++) wanted[ys.i0[o]!] = wanted[ys.i1[o]!] = 1;

  // One source sample of network channel c at column x, as the float32 [0, 1] value of a plane.
  type Row = Uint8Array | Uint16Array;
  const value: (row: Row, x: number, c: number) => number =
    samples <= 2
      ? (row, x) => Math.fround(row[x * samples]! / max)
      : channels === 3
        ? (row, x, c) => Math.fround(row[x * samples + c]! / max)
        : (row, x) => {
            const r = row[x * samples]!;
            const g = row[x * samples + 1]!;
            const b = row[x * samples + 2]!;
            // A grey pixel keeps its value exactly (the weights' sum is not exactly 1 in floating point).
            return Math.fround((r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b) / max);
          };

  const out = new Float32Array(channels * outH * outW);
  let prev = new Float64Array(channels * outW); // the last needed source row, resized horizontally
  let cur = new Float64Array(channels * outW);
  let next = 0; // the next output row
  image.read(
    (r, row) => {
      for (let c = 0; c < channels; c++) {
        for (let x = 0; x < outW; x++) {
          const a = value(row, xs.i0[x]!, c);
          const b = value(row, xs.i1[x]!, c);
          cur[c * outW + x] = a + (b - a) * xs.t[x]!;
        }
      }
      // Output rows whose lower source row is r; their upper one is r or the previous needed row, r − 1.
      for (; next < outH && ys.i1[next] === r; next++) {
        const top = ys.i0[next] === r ? cur : prev;
        const ty = ys.t[next]!;
        for (let c = 0; c < channels; c++) {
          const m = mean?.[c] ?? 0;
          const s = std?.[c] ?? 1;
          const base = (c * outH + next) * outW;
          for (let x = 0; x < outW; x++) {
            const t = top[c * outW + x]!;
            out[base + x] = (Math.fround(t + (cur[c * outW + x]! - t) * ty) - m) / s;
          }
        }
      }
      [prev, cur] = [cur, prev];
    },
    (r) => wanted[r] === 1,
  );
  return out;
}

/** Bilinear resize of one plane, half-pixel centres (align_corners=false), edges clamped. */
export function resizeBilinear(src: Float32Array, inW: number, inH: number, outW: number, outH: number): Float32Array {
  if (inW === outW && inH === outH) return src;
  const xs = axis(inW, outW);
  const ys = axis(inH, outH);
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const row0 = ys.i0[y]! * inW;
    const row1 = ys.i1[y]! * inW;
    const ty = ys.t[y]!;
    for (let x = 0; x < outW; x++) {
      const x0 = xs.i0[x]!;
      const x1 = xs.i1[x]!;
      const tx = xs.t[x]!;
      const top = src[row0 + x0]! + (src[row0 + x1]! - src[row0 + x0]!) * tx;
      const bottom = src[row1 + x0]! + (src[row1 + x1]! - src[row1 + x0]!) * tx;
      out[y * outW + x] = top + (bottom - top) * ty;
    }
  }
  return out;
}
