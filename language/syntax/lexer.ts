import { Codes, type Diagnostic } from '../base/diagnostics.js';
import type { Span } from '../base/text.js';

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

/**
 * Problems one pass (the lexer, the parser, the elaborator) keeps at most: past them it only counts, so a
 * file of junk costs no more memory than a file with a few mistakes.
 */
export const KEPT_PROBLEMS = 1000;

/** Distinct words shared through the lexer's table at most: a file of random words does not grow it without end. */
const MAX_SHARED_WORDS = 4096;

/** Tokens the lexer reads ahead at a time for `next`. */
const CHUNK = 256;

export interface LexerOptions {
  /** Reads text[start, end): a line alone reads as it does in its file, since no token spans a line break. */
  start?: number;
  end?: number;
  /** No diagnostics: for callers that want the tokens only. */
  quiet?: boolean;
  /** A run of line breaks (with blanks and comments between) gives one `newline` token, its first. */
  joinLineBreaks?: boolean;
}

/**
 * Reads tokens one at a time, so a caller (the parser) holds only the few it looks at. Never throws:
 * characters it cannot use become one diagnostic per run.
 */
export class Lexer {
  readonly comments: Comment[] = [];
  readonly diagnostics: Diagnostic[] = [];
  /** Diagnostics past KEPT_PROBLEMS: counted, not kept. */
  omitted = 0;
  private i: number;
  private readonly end: number;
  private readonly quiet: boolean;
  private readonly joinLineBreaks: boolean;
  /** Whether the last token was a line break and nothing but blanks and comments came since. */
  private atBreak = false;
  private badStart = -1;
  private readonly words = new Map<string, string>();
  /** Tokens read ahead, `buffered` the next of them: the lexer reads a chunk at a time, in one tight loop. */
  private readonly buffer: Token[] = [];
  private buffered = 0;

  constructor(
    private readonly text: string,
    options: LexerOptions = {},
  ) {
    this.i = options.start ?? 0;
    this.end = options.end ?? text.length;
    this.quiet = options.quiet === true;
    this.joinLineBreaks = options.joinLineBreaks === true;
  }

  /** The next token; `eof` at the end, and again on every call after it. */
  next(): Token {
    if (this.buffered === this.buffer.length) {
      this.buffer.length = 0;
      this.buffered = 0;
      this.read(this.buffer, CHUNK);
    }
    return this.buffer[this.buffered++];
  }

  /** All the tokens not read yet, `eof` last. */
  rest(): Token[] {
    const out = this.buffer.slice(this.buffered);
    this.buffer.length = 0;
    this.buffered = 0;
    if (out[out.length - 1]?.kind !== 'eof') this.read(out, Infinity);
    return out;
  }

  /** Appends the next tokens to `out`, at least one and at most `max`, the last `eof` at the end of the text. */
  private read(out: Token[], max: number): void {
    const text = this.text;
    const n = this.end;
    const limit = out.length + max;
    let i = this.i;
    let atBreak = this.atBreak;
    while (i < n) {
      const c = text.charCodeAt(i);
      const start = i;
      if (c === 32 || c === 9 || c === 0xfeff) {
        if (this.badStart >= 0) this.flushBad(i);
        i++;
        continue;
      }
      if (c === 10 || c === 13) {
        if (this.badStart >= 0) this.flushBad(i);
        i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
        if (atBreak) continue;
        atBreak = this.joinLineBreaks;
        out.push({ kind: 'newline', text: '\n', start, end: i });
        if (out.length >= limit) break;
        continue;
      }
      if (c === 35 /* # */) {
        if (this.badStart >= 0) this.flushBad(i);
        while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
        this.comments.push({ text: text.slice(start, i), start, end: i });
        continue;
      }
      if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
        if (this.badStart >= 0) this.flushBad(i);
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
        atBreak = false;
        out.push({ kind: isDims ? 'dims' : 'number', text: text.slice(start, i), start, end: i });
        if (out.length >= limit) break;
        continue;
      }
      if (isIdentStart(c)) {
        if (this.badStart >= 0) this.flushBad(i);
        while (i < n && isIdentPart(text.charCodeAt(i))) i++;
        // A file repeats a few words (conv, relu, pad) thousands of times: the tree keeps one string each.
        const word = text.slice(start, i);
        let shared = this.words.get(word);
        if (shared === undefined) {
          shared = word;
          if (this.words.size < MAX_SHARED_WORDS) this.words.set(word, word);
        }
        atBreak = false;
        out.push({ kind: 'ident', text: shared, start, end: i });
        if (out.length >= limit) break;
        continue;
      }
      const ch = text[i];
      if (PUNCT.has(ch)) {
        if (this.badStart >= 0) this.flushBad(i);
        i++;
        atBreak = false;
        out.push({ kind: 'punct', text: ch, start, end: i });
        if (out.length >= limit) break;
        continue;
      }
      // A character no token uses: it leaves a run of line breaks around it one run.
      if (this.badStart < 0) this.badStart = i;
      i++;
    }
    this.i = i;
    this.atBreak = atBreak;
    // Stopped for the limit, with tokens to come; or at the end of the text.
    if (i < n) return;
    this.flushBad(n);
    out.push({ kind: 'eof', text: '', start: n, end: n });
  }

  private flushBad(end: number): void {
    const badStart = this.badStart;
    if (badStart < 0) return;
    this.badStart = -1;
    if (this.quiet) return;
    if (this.diagnostics.length >= KEPT_PROBLEMS) {
      this.omitted++;
      return;
    }
    const shown = JSON.stringify(this.text.slice(badStart, Math.min(end, badStart + 12)));
    this.diagnostics.push({
      code: Codes.unexpectedCharacter,
      severity: 'error',
      message: `unexpected character${end - badStart > 1 ? 's' : ''} ${shown}`,
      span: { start: badStart, end },
    });
  }
}

/** Splits the whole text into tokens. Never throws: characters it cannot use become one diagnostic per run. */
export function lex(text: string): LexResult {
  const lexer = new Lexer(text);
  return { tokens: lexer.rest(), comments: lexer.comments, diagnostics: lexer.diagnostics };
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
