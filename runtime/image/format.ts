/** Telling image formats apart by their first bytes, not the file name. */

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image format from the first bytes: 'png', 'jpeg', or undefined for anything else. */
export function detectImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** What a file that is neither PNG nor JPEG looks like, for the message. */
export function otherFormat(bytes: Uint8Array): string | undefined {
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
