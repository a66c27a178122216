/**
 * A JPEG's markers read without decoding it: whether it is complete, its frame headers, and how many blocks
 * its scans decode, so that it can be refused before jpeg-js allocates for it.
 */

export interface JpegFrame {
  marker: number;
  precision: number;
  height: number;
  width: number;
  components: { id: number; h: number; v: number }[];
}

export interface JpegLayout {
  state: 'complete' | 'truncated' | 'no-scan' | 'corrupt';
  /** What is wrong, for 'corrupt'. */
  why?: string;
  frames: JpegFrame[];
  /** Blocks decoded by all the scans together, and the blocks of the whole frame. */
  scanBlocks: number;
  frameBlocks: number;
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
export function jpegLayout(bytes: Uint8Array): JpegLayout {
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
      const frame = readFrameHeader(bytes, marker, start, length);
      if (typeof frame === 'string') return layout('corrupt', frame);
      frames.push(frame);
      if (frames.length === 1) frameBlocks = Math.max(1, blocks(frame, frame.components));
    } else if (marker === 0xda) {
      scans++;
      const frame = frames[0];
      if (!frame) return layout('corrupt', 'image data (start-of-scan marker) before the frame header (SOF marker)');
      const used = scanComponents(bytes, frame, start, length);
      if (typeof used === 'string') return layout('corrupt', used);
      scanBlocks += blocks(frame, used);
      i = skipEntropyCoded(bytes, i);
      if (i + 1 >= n) return layout('truncated');
    }
  }
}

/** A frame header (SOF segment) whose contents start at `start`, or what is wrong with it. */
function readFrameHeader(bytes: Uint8Array, marker: number, start: number, length: number): JpegFrame | string {
  const count = bytes[start + 5] ?? 0;
  if (length !== 8 + 3 * count) return 'a frame header (SOF marker) whose length does not match its components';
  const components: JpegFrame['components'] = [];
  for (let k = 0; k < count; k++) {
    const hv = bytes[start + 7 + 3 * k]!;
    if (hv >> 4 < 1 || hv >> 4 > 4 || (hv & 15) < 1 || (hv & 15) > 4) {
      return 'a sampling factor outside 1 to 4 in the frame header (SOF marker)';
    }
    components.push({ id: bytes[start + 6 + 3 * k]!, h: hv >> 4, v: hv & 15 });
  }
  return {
    marker,
    precision: bytes[start]!,
    height: (bytes[start + 1]! << 8) | bytes[start + 2]!,
    width: (bytes[start + 3]! << 8) | bytes[start + 4]!,
    components,
  };
}

/** The frame's components a scan header (SOS segment) names, or what is wrong with it. */
function scanComponents(bytes: Uint8Array, frame: JpegFrame, start: number, length: number): JpegFrame['components'] | string {
  const count = bytes[start] ?? 0;
  if (length !== 6 + 2 * count) return 'a scan header (SOS marker) whose length does not match its components';
  const used: JpegFrame['components'] = [];
  for (let k = 0; k < count; k++) {
    const component = frame.components.find((c) => c.id === bytes[start + 1 + 2 * k]);
    if (!component) return 'a scan of a component the frame header does not have';
    used.push(component);
  }
  return used;
}

/**
 * The offset of the marker after a scan's entropy-coded data from `i`, where 0xFF is followed by 0x00 (an
 * escaped byte) or a restart marker until the next marker; the file's length when there is none.
 */
function skipEntropyCoded(bytes: Uint8Array, i: number): number {
  const n = bytes.length;
  while (i < n && !(bytes[i] === 0xff && i + 1 < n && bytes[i + 1] !== 0x00 && (bytes[i + 1]! < 0xd0 || bytes[i + 1]! > 0xd7))) i++;
  return i;
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

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}
