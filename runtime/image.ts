import { InputError } from './input-error.js';
import { detectImageFormat, otherFormat } from './image/format.js';
import { openJpeg } from './image/jpeg.js';
import { openPng } from './image/png.js';
import { resample } from './image/resize.js';
import type { ImageRows } from './image/rows.js';

/**
 * Images as network inputs: PNG or JPEG (told apart by their first bytes, not the file name) → one C×H×W
 * float32 image. Steps: decode (image/png.ts, image/jpeg.ts), refusing images over the limits from their
 * header (image/limits.ts); convert channels, scale to [0, 1], resize bilinearly to the network's H×W (the
 * aspect ratio is not kept) and normalise by mean and std (image/resize.ts).
 */

export { detectImageFormat } from './image/format.js';
export { MAX_DECODED_BYTES, MAX_JPEG_MEMORY, MAX_JPEG_PASSES, MAX_PIXELS } from './image/limits.js';
export { resizeBilinear } from './image/resize.js';

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

/** Refuses a mean or std that does not give one finite value per network channel. */
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
