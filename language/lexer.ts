import { Codes, type Diagnostic } from './diagnostics.js';
import type { Span } from './text.js';

export type TokenKind =
  | 'ident'
  | 'number'
  | 'dims'
  | 'punct'
  | 'newline'
  | 'eof';

export interface Token extends Span {
  kind: TokenKind;
  text: string;
}

export interface Comment extends Span {
  text: string;
}

export interface LexResult {
  tokens: Token[];
  comments: Comment[];
  diagnostics: Diagnostic[];
}

const PUNCT = new Set(['{', '}', '(', ')', ',', '=', ';', '*', '+', '-', '/', ':']);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

/** Splits text into tokens. Never throws: characters it cannot use become one diagnostic per run. */
export function lex(text: string): LexResult {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  const diagnostics: Diagnostic[] = [];
  let i = 0;
  const n = text.length;
  let badStart = -1;
  const words = new Map<string, string>();

  const flushBad = (end: number) => {
    if (badStart < 0) return;
    const shown = JSON.stringify(text.slice(badStart, Math.min(end, badStart + 12)));
    diagnostics.push({
      code: Codes.unexpectedCharacter,
      severity: 'error',
      message: `unexpected character${end - badStart > 1 ? 's' : ''} ${shown}`,
      span: { start: badStart, end },
    });
    badStart = -1;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    const start = i;
    if (c === 32 || c === 9 || c === 0xfeff) {
      flushBad(i);
      i++;
      continue;
    }
    if (c === 10 || c === 13) {
      flushBad(i);
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      tokens.push({ kind: 'newline', text: '\n', start, end: i });
      continue;
    }
    if (c === 35 /* # */) {
      flushBad(i);
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
      comments.push({ text: text.slice(start, i), start, end: i });
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      flushBad(i);
      i = scanNumber(text, i);
      // `3x3`, `227x227x3`: digits joined by `x` form one dims token.
      let isDims = false;
      while (i < n && text.charCodeAt(i) === 120 /* x */ && isDigit(text.charCodeAt(i + 1))) {
        isDims = true;
        i++;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      }
      // A number glued to letters (`3k`) is one bad word, not a number and a name.
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: isDims ? 'dims' : 'number', text: word, start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      flushBad(i);
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      // A file repeats a few words (conv, relu, pad) thousands of times: the tree keeps one string each.
      const word = text.slice(start, i);
      let shared = words.get(word);
      if (shared === undefined) words.set(word, (shared = word));
      tokens.push({ kind: 'ident', text: shared, start, end: i });
      continue;
    }
    const ch = text[i];
    if (PUNCT.has(ch)) {
      flushBad(i);
      i++;
      tokens.push({ kind: 'punct', text: ch, start, end: i });
      continue;
    }
    if (badStart < 0) badStart = i;
    i++;
  }
  flushBad(n);
  tokens.push({ kind: 'eof', text: '', start: n, end: n });
  return { tokens, comments, diagnostics };
}

function scanNumber(text: string, i: number): number {
  const n = text.length;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 46 /* . */ && (isDigit(text.charCodeAt(i + 1)) || !isIdentStart(text.charCodeAt(i + 1)))) {
    i++;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === 101 || e === 69) {
    let j = i + 1;
    const sign = text.charCodeAt(j);
    if (sign === 43 || sign === 45) j++;
    if (isDigit(text.charCodeAt(j))) {
      i = j;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
  }
  return i;
}
