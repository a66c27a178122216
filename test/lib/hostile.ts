import { mulberry32 } from '../../runtime/random.js';

/**
 * Files no one writes by hand but anyone can open: nested past every limit, binary, UTF-16, megabytes long.
 * The tests open them in the analyser, the CLI and the language server, which must answer and stay up.
 */

/** `n` nested `repeat`s around one layer. */
export function deepRepeats(n = 2000): string {
  return `network N {\n  input 8x8x1\n${'repeat 2 {\n'.repeat(n)}relu\n${'}\n'.repeat(n)}}\n`;
}

/** A value inside `n` nested parentheses. */
export function deepParentheses(n = 3000): string {
  return `network N {\n  input 8x8x1\n  conv 1 ${'('.repeat(n)}1${')'.repeat(n)}\n}\n`;
}

/** A chain of `n` blocks, each calling the one before, called once. */
export function deepCalls(n = 3000): string {
  let text = 'block B0() { relu }\n';
  for (let i = 1; i <= n; i++) text += `block B${i}() { B${i - 1} }\n`;
  return `${text}network N {\n  input 8x8x1\n  B${n}\n}\n`;
}

/** `n` operations in one expression. */
export function longExpression(n = 5000): string {
  return `network N {\n  input 8x8x1\n  conv 1${' + 1'.repeat(n)} 3x3\n}\n`;
}

/** Random bytes, the same for a seed. */
export function randomBytes(length: number, seed = 1): Uint8Array {
  const next = mulberry32(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}

/** Bytes as an editor or `stride` reads them: UTF-8, with U+FFFD for what is not. */
export function decoded(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** A text saved as UTF-16, little- or big-endian, with or without a byte-order mark. */
export function utf16(text: string, order: 'LE' | 'BE' = 'LE', bom = true): Uint8Array {
  const body = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    body[2 * i + (order === 'LE' ? 0 : 1)] = c & 0xff;
    body[2 * i + (order === 'LE' ? 1 : 0)] = c >> 8;
  }
  if (!bom) return body;
  const out = new Uint8Array(body.length + 2);
  out.set(order === 'LE' ? [0xff, 0xfe] : [0xfe, 0xff]);
  out.set(body, 2);
  return out;
}

/** Random printable ASCII in lines: words, numbers and punctuation that almost never make Stride. */
export function randomText(length: number, seed = 2): string {
  const next = mulberry32(seed);
  const parts: string[] = [];
  for (let i = 0; i < length; i++) {
    const k = Math.floor(next() * 98);
    parts.push(k >= 95 ? '\n' : String.fromCharCode(32 + k));
  }
  return parts.join('');
}

/** About 10 MB, the size the limits were measured with. */
export const TEN_MB = 10 * 1024 * 1024;
