import * as jpeg from 'jpeg-js';
import { InputError } from '../input-error.js';
import { checkSize, MAX_JPEG_MEMORY, MAX_JPEG_PASSES, MAX_PIXELS } from './limits.js';
import { jpegLayout, type JpegFrame } from './jpeg-layout.js';
import type { ImageRows, VisitRow } from './rows.js';

/**
 * JPEGs are decoded by jpeg-js, which holds the whole image and its DCT blocks (1.6 GB and several seconds
 * for an 8000×6000 4:4:4 photo), so everything that can be told from the markers is checked first.
 */

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

/** Checks the markers, the frame header and the limits, and returns the decoder; every problem is an InputError. */
export function openJpeg(bytes: Uint8Array, file: string): ImageRows {
  const frame = checkFrame(bytes, file);
  const channels = frame.components.length === 1 ? 1 : 3;
  const { width, height } = frame;
  return {
    width,
    height,
    channels,
    bitDepth: 8,
    read: (visit, wanted) => decodeRows(bytes, frame, channels, file, visit, wanted),
  };
}

/** The one frame of a JPEG that jpeg-js can decode within the limits; anything else is an InputError. */
function checkFrame(bytes: Uint8Array, file: string): JpegFrame {
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
  return frame;
}

/** Decodes the whole image with jpeg-js, then hands out the wanted rows as grey or RGB samples. */
function decodeRows(
  bytes: Uint8Array,
  frame: JpegFrame,
  channels: 1 | 3,
  file: string,
  visit: VisitRow,
  wanted?: (y: number) => boolean,
): void {
  const { width, height } = frame;
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: MAX_JPEG_MEMORY / 2 ** 20 + 64, // checkFrame's check is the limit; this is a margin
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

function errorText(e: unknown): string {
  // jpeg-js's own failures on malformed bytes (reading past a table, an undefined component) say nothing useful.
  if (e instanceof TypeError || e instanceof RangeError) return 'malformed data';
  return e instanceof Error ? e.message : String(e);
}
