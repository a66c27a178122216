import type { ImageRows } from './rows.js';

/**
 * Decoded rows → the network's input: channels converted (grey → 3 copies when the network takes 3, RGB →
 * ITU-R BT.601 luma 0.299R + 0.587G + 0.114B when it takes 1, alpha dropped), scaled to [0, 1], resized
 * bilinearly (half-pixel centres, align_corners=false, no antialiasing — as
 * torch.nn.functional.interpolate(mode='bilinear') and ONNX Resize 'linear'/'half_pixel'), then
 * (x − mean) / std per channel when given.
 */

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

type Row = Uint8Array | Uint16Array;

/**
 * Reads one source sample of network channel c at column x from a row of `samples` samples a pixel, as the
 * float32 [0, 1] value of a plane: grey is repeated, alpha ignored, and RGB turned to luma for one channel.
 */
function channelValue(samples: number, channels: 1 | 3, max: number): (row: Row, x: number, c: number) => number {
  if (samples <= 2) return (row, x) => Math.fround(row[x * samples]! / max);
  if (channels === 3) return (row, x, c) => Math.fround(row[x * samples + c]! / max);
  return (row, x) => {
    const r = row[x * samples]!;
    const g = row[x * samples + 1]!;
    const b = row[x * samples + 2]!;
    // A grey pixel keeps its value exactly (the weights' sum is not exactly 1 in floating point).
    return Math.fround((r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b) / max);
  };
}

/**
 * Converts, scales and resizes an image row by row into C×outH×outW values: each needed source row is
 * resized horizontally as it is decoded, and an output row is made as soon as its two source rows are
 * there, so only two rows are held. Values are those of resizing whole float32 [0, 1] planes (as
 * resizeBilinear does), then normalising.
 */
export function resample(
  image: ImageRows,
  channels: 1 | 3,
  outH: number,
  outW: number,
  mean: number[] | undefined,
  std: number[] | undefined,
): Float32Array {
  const { width: inW, height: inH, channels: samples } = image;
  const xs = axis(inW, outW);
  const ys = axis(inH, outH);
  const wanted = new Uint8Array(inH);
  for (let o = 0; o < outH; o++) wanted[ys.i0[o]!] = wanted[ys.i1[o]!] = 1;
  const value = channelValue(samples, channels, image.bitDepth === 16 ? 65535 : 255);

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
