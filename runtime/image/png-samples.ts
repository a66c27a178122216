/**
 * Converts `count` pixels of a row's unfiltered bytes from `at` into samples of `out` from `o`, `step`
 * samples apart (the step lets an interlaced pass write its pixels straight into their place in the image).
 */
export type SampleConverter = (
  data: Uint8Array,
  at: number,
  count: number,
  out: Uint8Array | Uint16Array,
  o: number,
  step: number,
) => void;

/**
 * The converter for a PNG's pixel format: 16-bit samples are big-endian pairs, palette indices become their
 * RGB colour, 1-, 2- and 4-bit grey is scaled to 8 bits, and 8-bit samples are copied. `samples` is the
 * number stored per pixel; `palette` is needed for colour type 3 only.
 */
export function sampleConverter(depth: number, colorType: number, samples: number, palette: Uint8Array | undefined): SampleConverter {
  if (depth === 16) {
    return (data, at, count, out, o, step) => {
      for (let i = 0, q = at; i < count; i++, o += step) {
        for (let c = 0; c < samples; c++, q += 2) out[o + c] = (data[q]! << 8) | data[q + 1]!;
      }
    };
  }
  if (colorType === 3) {
    const pal = palette!;
    const mask = (1 << depth) - 1;
    return (data, at, count, out, o, step) => {
      for (let i = 0; i < count; i++, o += step) {
        const bit = i * depth;
        const index = depth === 8 ? data[at + i]! : (data[at + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
        // An index past the palette's end reads as black.
        const p = index * 3;
        out[o] = pal[p] ?? 0;
        out[o + 1] = pal[p + 1] ?? 0;
        out[o + 2] = pal[p + 2] ?? 0;
      }
    };
  }
  if (depth < 8) {
    const mask = (1 << depth) - 1;
    const scale = 255 / mask;
    return (data, at, count, out, o, step) => {
      for (let i = 0; i < count; i++, o += step) {
        const bit = i * depth;
        out[o] = ((data[at + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask) * scale;
      }
    };
  }
  return (data, at, count, out, o, step) => {
    for (let i = 0, q = at; i < count; i++, o += step) {
      for (let c = 0; c < samples; c++) out[o + c] = data[q++]!;
    }
  };
}
