/**
 * What the PNG and JPEG decoders hand to the rest: an image whose header has been checked (so its size is
 * within the limits) and whose rows are decoded only when asked, so that a caller that resizes can keep a
 * few rows instead of the whole image.
 */
/** Called with each decoded row's samples (width × channels); the row is valid only during the call. */
export type VisitRow = (y: number, row: Uint8Array | Uint16Array) => void;

export interface ImageRows {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /**
   * Decodes the image, calling `visit` in order with the samples (width × channels) of every row for which
   * `wanted` is true (every row when it is not given); a row is valid only during its call.
   */
  read(visit: VisitRow, wanted?: (y: number) => boolean): void;
}
