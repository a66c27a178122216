import { Codes, type Diagnostic } from '../base/diagnostics.js';
import { formatCount } from '../base/format.js';

/** How many characters at the start of a file tell text from binary data or UTF-16. */
const SAMPLE = 8192;

/** NUL and the other control characters that are not blanks or line breaks, and U+FFFD. */
const SUSPECT = /[\x00-\x08\x0e-\x1f\ufffd]/;

/**
 * Recognises, from the first characters of a file's text, a file that is not UTF-8 text: UTF-16 (read as
 * UTF-8, every ASCII character comes with a NUL on the same side) or binary data (NUL bytes, control
 * characters, and bytes that are not UTF-8, which decode to U+FFFD, make up a tenth of it). One diagnostic that
 * says which, instead of one per character; undefined for text, however broken its Stride. A stray NUL or
 * control character in a text file is not enough: the lexer reports it where it is.
 */
export function encodingProblem(text: string): Diagnostic | undefined {
  const n = Math.min(text.length, SAMPLE);
  // Text, the usual case, has none of the characters counted below: one scan by the regular expression engine.
  if (!SUSPECT.test(n < text.length ? text.slice(0, n) : text)) return undefined;
  let nulEven = 0;
  let nulOdd = 0;
  let bad = 0;
  let firstBad = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    // Tab, line feed, vertical tab, form feed and carriage return are text.
    if ((c < 32 && (c < 9 || c > 13)) || c === 0xfffd) {
      bad++;
      if (firstBad < 0) firstBad = i;
      if (c === 0) {
        if (i & 1) nulOdd++;
        else nulEven++;
      }
    }
  }
  if (bad === 0) return undefined;
  const pairs = n >> 1;
  if (pairs >= 2) {
    // UTF-16 LE puts the NUL after each ASCII character (odd offsets), BE before it; a BOM read as UTF-8 is two
    // U+FFFD, which keeps the parity.
    const little = nulOdd >= 0.3 * pairs && nulEven <= 0.1 * nulOdd;
    const big = nulEven >= 0.3 * pairs && nulOdd <= 0.1 * nulEven;
    if (little || big) {
      const order = little ? 'LE' : 'BE';
      return {
        code: Codes.utf16File,
        severity: 'error',
        message: `this file is UTF-16 ${order} text, and Stride reads UTF-8: save it as UTF-8 (in VS Code: Reopen with Encoding → UTF-16 ${order}, then Save with Encoding → UTF-8)`,
        span: { start: 0, end: 0 },
      };
    }
  }
  if (bad * 10 < n) return undefined;
  return {
    code: Codes.binaryFile,
    severity: 'error',
    message: `this file is binary data, not text: ${formatCount(bad)} of its first ${formatCount(n)} characters are NUL bytes, control characters or bytes that are not UTF-8. A .stride file is UTF-8 text; Stride reads nothing in this one`,
    span: { start: firstBad, end: firstBad + 1 },
  };
}
