import { InputError } from '../input-error.js';

/**
 * Undoes the filter of the row whose filter byte is at `at`, in place; `prev` is the previous row's filter
 * byte offset (its bytes already unfiltered), or negative for the first row.
 */
export function unfilterRow(d: Uint8Array, at: number, prev: number, y: number, n: number, bpp: number, file: string): void {
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
