import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from './input-error.js';

/**
 * Images as network inputs: PNG or JPEG (told apart by their first bytes, not the file name) → one C×H×W
 * float32 image. Steps: decode; convert channels (grey → 3 copies when the network takes 3, RGB → ITU-R
 * BT.601 luma 0.299R + 0.587G + 0.114B when it takes 1, alpha dropped); scale to [0, 1]; resize bilinearly
 * to the network's H×W (half-pixel centres, align_corners=false, no antialiasing — as
 * torch.nn.functional.interpolate(mode='bilinear') and ONNX Resize 'linear'/'half_pixel'; the aspect ratio is
 * not kept); then (x − mean) / std per channel when given.
 */

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

/** Images larger than this many pixels are refused rather than decoded (jpeg-js's own default limit). */
const MAX_PIXELS = 100_000_000;

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
  return undefined;
}

/** Decoded pixels: `samples` values per pixel, row-major, the first three R, G, B (grey is already R = G = B). */
interface Pixels {
  width: number;
  height: number;
  samples: number;
  max: number;
  data: ArrayLike<number>;
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

  const format = detectImageFormat(bytes);
  if (format === undefined) {
    const other = otherFormat(bytes);
    throw new InputError(`${file}: not a PNG or JPEG image${other ? ` (it is ${other} file)` : ''}`);
  }
  const pixels = format === 'png' ? decodePng(bytes, file) : decodeJpeg(bytes, file);
  const planes = toPlanes(pixels, channels);
  const out = new Float32Array(channels * height * width);
  for (let c = 0; c < channels; c++) {
    const resized = resizeBilinear(planes[c]!, pixels.width, pixels.height, width, height);
    const m = mean?.[c] ?? 0;
    const s = std?.[c] ?? 1;
    const base = c * height * width;
    for (let i = 0; i < resized.length; i++) out[base + i] = (resized[i]! - m) / s;
  }
  return out;
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

// ---- PNG ----

interface Chunk {
  type: string;
  start: number; // offset of the length field
  end: number; // offset after the CRC
}

/** Walks the chunks, so that truncation and a missing header get a plain message before pngjs sees the file. */
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

function decodePng(bytes: Uint8Array, file: string): Pixels {
  const chunks = pngChunks(bytes, file);
  const ihdr = chunks[0]!;
  if (ihdr.type !== 'IHDR' || ihdr.end - ihdr.start !== 25) {
    throw new InputError(`${file}: corrupt PNG: it does not start with an IHDR header chunk`);
  }
  if (!chunks.some((c) => c.type === 'IDAT')) throw new InputError(`${file}: corrupt PNG: no image data (IDAT chunk)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The size is read here, before pngjs allocates for it, so check that the header is intact first.
  if (crc32(bytes.subarray(ihdr.start + 4, ihdr.start + 21)) !== view.getUint32(ihdr.start + 21)) {
    throw new InputError(`${file}: corrupt PNG: bad checksum (CRC) in the IHDR header chunk`);
  }
  const w = view.getUint32(ihdr.start + 8);
  const h = view.getUint32(ihdr.start + 12);
  const colorType = bytes[ihdr.start + 17]!;
  checkSize(w, h, file);

  // A tRNS chunk on a grey or RGB image makes pngjs zero the colour of the pixels it marks transparent; alpha
  // is dropped here anyway, so leave it out and keep their colour. (On a palette image it only sets alpha.)
  let input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if ((colorType === 0 || colorType === 2) && chunks.some((c) => c.type === 'tRNS')) {
    input = Buffer.concat([
      input.subarray(0, 8),
      ...chunks.filter((c) => c.type !== 'tRNS').map((c) => input.subarray(c.start, c.end)),
    ]);
  }
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(input, { skipRescale: true });
  } catch (e) {
    throw new InputError(`${file}: corrupt PNG: ${errorText(e)}`);
  }
  // pngjs gives RGBA, grey replicated; 8 bits a sample from palettes, else the file's bit depth unscaled.
  const max = png.palette ? 255 : 2 ** png.depth - 1;
  return { width: png.width, height: png.height, samples: 4, max, data: png.data as ArrayLike<number> };
}

let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
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

function decodeJpeg(bytes: Uint8Array, file: string): Pixels {
  const structure = jpegStructure(bytes);
  if (structure === 'truncated') {
    throw new InputError(`${file}: corrupt JPEG: truncated (the file ends before the end-of-image marker)`);
  }
  if (structure === 'no-scan') throw new InputError(`${file}: corrupt JPEG: no image data (start-of-scan marker)`);
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: 2048,
    });
  } catch (e) {
    const text = errorText(e);
    if (/limit exceeded/.test(text)) throw new InputError(`${file}: the image is too large to read (${text})`);
    throw new InputError(`${file}: corrupt JPEG: ${text}`);
  }
  checkSize(image.width, image.height, file);
  // jpeg-js gives RGB for grey (Y, Y, Y), YCbCr and Adobe CMYK/YCCK images alike.
  return { width: image.width, height: image.height, samples: 3, max: 255, data: image.data };
}

/**
 * Walks the markers from SOI to EOI, skipping segments by their length and scans by their escaped 0xFF
 * bytes, to tell a file cut short ('truncated') from one with an end-of-image marker ('complete'; bytes after
 * it, such as an appended video, are ignored). Anything stranger is 'unknown' and left to the decoder.
 */
function jpegStructure(bytes: Uint8Array): 'complete' | 'truncated' | 'no-scan' | 'unknown' {
  const n = bytes.length;
  let i = 2;
  let scans = 0;
  for (;;) {
    if (i >= n) return 'truncated';
    if (bytes[i] !== 0xff) return 'unknown';
    while (i < n && bytes[i] === 0xff) i++; // fill bytes
    if (i >= n) return 'truncated';
    const marker = bytes[i]!;
    i++;
    if (marker === 0xd9) return scans > 0 ? 'complete' : 'no-scan';
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (i + 2 > n) return 'truncated';
    i += (bytes[i]! << 8) | bytes[i + 1]!;
    if (i > n) return 'truncated';
    if (marker === 0xda) {
      scans++;
      // entropy-coded data: 0xFF is followed by 0x00 (an escaped byte) or a restart marker until the next marker
      while (i < n && !(bytes[i] === 0xff && i + 1 < n && bytes[i + 1] !== 0x00 && (bytes[i + 1]! < 0xd0 || bytes[i + 1]! > 0xd7))) i++;
      if (i + 1 >= n) return 'truncated';
    }
  }
}

function checkSize(w: number, h: number, file: string): void {
  if (w === 0 || h === 0) throw new InputError(`${file}: the image is empty (${w}×${h} pixels)`);
  if (w * h > MAX_PIXELS) {
    throw new InputError(`${file}: the image is too large to read (${w}×${h} pixels; at most ${MAX_PIXELS / 1e6} megapixels)`);
  }
}

function errorText(e: unknown): string {
  // The decoders' own failures on malformed bytes (reading past a table, an undefined component) say nothing useful.
  if (e instanceof TypeError || e instanceof RangeError) return 'malformed data';
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/^There are some read requests waitng on finished stream$/, 'truncated data');
}

// ---- pixels → planes ----

/** One [0, 1] plane per network channel, at the image's own size. */
function toPlanes(px: Pixels, channels: 1 | 3): Float32Array[] {
  const n = px.width * px.height;
  const { data, samples, max } = px;
  if (channels === 3) {
    const planes = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    for (let c = 0; c < 3; c++) {
      const plane = planes[c]!;
      for (let i = 0, j = c; i < n; i++, j += samples) plane[i] = data[j]! / max;
    }
    return planes;
  }
  const grey = new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += samples) {
    const r = data[j]!;
    const g = data[j + 1]!;
    const b = data[j + 2]!;
    // A grey pixel keeps its value exactly (the weights' sum is not exactly 1 in floating point).
    grey[i] = (r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b) / max;
  }
  return [grey];
}

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
