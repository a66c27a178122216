import { InputError } from '../input-error.js';

/**
 * Size limits, checked from the header (PNG's IHDR, JPEG's SOF) before anything is decoded: at most
 * MAX_PIXELS pixels, and at most MAX_DECODED_BYTES of decoded samples (width × height × channels × bytes per
 * sample; a palette counts as 3 channels, 16 bits as 2 bytes), so that 8-bit images are limited by their
 * pixels (at most 400 MB) and 16-bit ones also by their bytes. An 8000×6000 photo is 144 MB as 8-bit RGB and
 * 384 MB as 16-bit RGBA; a 10000×10000 16-bit RGBA image (800 MB) is refused. JPEGs are also limited by what
 * jpeg-js needs to decode them (MAX_JPEG_MEMORY) and by their number of scans (MAX_JPEG_PASSES).
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

/** How the size message names an image's samples, by their number per pixel. */
export const LAYOUT_NAMES = ['', 'grey', 'grey + alpha', 'RGB', 'RGBA'];

/** Refuses empty images and those over the limits, from their header's numbers. */
export function checkSize(w: number, h: number, channels: number, bitDepth: 8 | 16, layout: string, file: string): void {
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
