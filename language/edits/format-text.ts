import type { TextEdit } from '../base/diagnostics.js';
import { encodingProblem } from '../syntax/encoding.js';
import { Lexer, type Comment, type Token } from '../syntax/lexer.js';
import { MAX_NESTING } from '../syntax/syntax.js';

/**
 * The Stride formatter: re-indents by brace depth and normalises the spacing between tokens, keeping every
 * comment and every character that is not a space, a tab or a line break, in order.
 *
 * Rules:
 * - Indent: `indent` spaces per open `{`; a line that starts with `}` dedents by each leading `}`. A line that
 *   starts `network NAME` or `block NAME` is at depth 0, because that is where the parser recovers from an
 *   unclosed `{`. Continuation lines of a block's parameter list get one extra level.
 * - Spacing: one space between values; none before `,` `;` `)` or after `(`, one after `,` and `;`;
 *   `{ body }` with a space inside and around each brace, `{}` when empty; `name=value` tight in a layer, but
 *   `name = default` spaced in a block's parameter list (the docs' style); `block Name(`.
 *   Arithmetic: `*` and `/` tight (`c*4`), `+` and `-` spaced (`n - 1`), but only when the operator sits
 *   between two values with the same spacing on both sides. `c -1` is left as written: today it parses as
 *   `c - 1`, yet the writer may have meant two values, and the formatter should not hide that.
 * - Everything else keeps its spacing presence: where there was whitespace there is one space, where there was
 *   none there is none. That is the rule around characters the lexer rejects, so they never merge with a
 *   neighbour. Each formatted line is re-lexed and must give the same tokens; if not, the line keeps its
 *   original spacing presence only.
 * - Trailing comments keep their column when the code leaves room, else sit one space after the code (two if
 *   they had two or more); full-line comments are indented like code.
 * - Blank lines: runs collapse to one; none at the start or end; exactly one final newline (an empty or
 *   all-blank file stays empty). Trailing spaces and tabs are removed. Line breaks all become the file's most
 *   common one (CRLF if most breaks are CRLF, else LF).
 */
export interface FormatTextOptions {
  /** Spaces per indentation level; 2 when absent. */
  indent?: number;
}

/** Returns the edits that format `text`, sorted and disjoint; none when it is already formatted. Never throws. */
export function formatText(text: string, options: FormatTextOptions = {}): TextEdit[] {
  try {
    return formatTextStrict(text, options);
  } catch {
    // A formatter bug must not take the editor's save down with it: no edits is always a safe answer.
    return [];
  }
}

/** `formatText` without the safety net, so tests see a bug's exception instead of an empty answer. */
export function formatTextStrict(text: string, options: FormatTextOptions = {}): TextEdit[] {
  // Binary data and UTF-16 are not Stride to format; text nested past what the parser reads is left as it is.
  if (encodingProblem(text)) return [];
  const lines = splitLines(text);
  const formatted = formatLines(text, lines, indentUnit(options.indent));
  return formatted ? diffLines(text, lines, formatted, lineBreak(text)) : [];
}

/** Spaces per level; a nonsense option (negative, NaN, huge) falls back or is clamped rather than throwing. */
function indentUnit(indent: number | undefined): string {
  const n = indent === undefined || !Number.isFinite(indent) ? 2 : Math.max(0, Math.min(16, Math.floor(indent)));
  return ' '.repeat(n);
}

// ------------------------------------------------------------------------------------------------ lines

interface Line {
  start: number;
  /** End of the content, before the line break. */
  end: number;
  /** End of the line break: the next line's start. */
  next: number;
}

/** Splits at `\r\n`, `\n` and `\r`, as the lexer and `LineIndex` do. Text after the last break is a line. */
function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    const next = c === 13 && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
    lines.push({ start, end: i, next });
    start = next;
    i = next - 1;
  }
  if (start < text.length) lines.push({ start, end: text.length, next: text.length });
  return lines;
}

/** The break most lines already use, so a CRLF file stays CRLF. */
function lineBreak(text: string): string {
  let crlf = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) {
      crlf++;
      i++;
    } else if (c === 10 || c === 13) other++;
  }
  return crlf > other ? '\r\n' : '\n';
}

// ------------------------------------------------------------------------------------------------ pieces

/** A token, or a run of characters the lexer did not use (kept verbatim and never glued to a neighbour). */
interface Piece {
  text: string;
  token?: Token;
  /** Whether whitespace separated it from the piece before it in the original line. */
  spaced: boolean;
}

interface LineParts {
  pieces: Piece[];
  comment?: Comment;
  /** The tokens of the line, for re-lexing checks. */
  tokens: Token[];
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Cuts one line into pieces. Anything that is neither a token, the comment, a space nor a tab becomes an
 * opaque piece, so no character can be dropped however the lexer treated it (junk, a stray BOM).
 */
function lineParts(text: string, line: Line, tokens: Token[], comment: Comment | undefined): LineParts {
  const pieces: Piece[] = [];
  const codeEnd = comment ? comment.start : line.end;
  let t = 0;
  let p = line.start;
  let spaced = false;
  while (p < codeEnd) {
    const token = tokens[t];
    if (token && token.start === p) {
      pieces.push({ text: token.text, token, spaced });
      p = token.end;
      t++;
      spaced = false;
    } else if (isBlank(text.charCodeAt(p))) {
      spaced = true;
      p++;
    } else {
      const stop = Math.min(token ? token.start : codeEnd, codeEnd);
      let q = p;
      while (q < stop && !isBlank(text.charCodeAt(q))) q++;
      pieces.push({ text: text.slice(p, q), spaced });
      p = q;
      spaced = false;
    }
  }
  return { pieces, comment, tokens };
}

/** A line's tokens and comment, lexed on their own: no token spans a line break, and a file's tokens are never all held at once. */
function partsOf(text: string, line: Line): LineParts {
  const lexer = new Lexer(text, { start: line.start, end: line.end, quiet: true });
  const mine: Token[] = [];
  for (let t = lexer.next(); t.kind !== 'eof'; t = lexer.next()) mine.push(t);
  return lineParts(text, line, mine, lexer.comments[0]);
}

// ------------------------------------------------------------------------------------------------ depth

/** What the lines before this one leave open. */
interface Nesting {
  depth: number;
  /** Inside `block Name( …`, which may span lines. */
  inParams: boolean;
}

/** Whether a piece is the token `text` (a punctuation mark or a word; opaque pieces never are). */
function is(piece: Piece | undefined, text: string): boolean {
  return piece?.token !== undefined && piece.token.text === text;
}

/** The indentation level of a line, from what is open before it and how the line starts. */
function levelOf(parts: LineParts, nesting: Nesting): number {
  const { tokens } = parts;
  // The parser ends every open body at a line starting `network NAME` / `block NAME`; indent as it reads.
  if (tokens.length >= 2 && (tokens[0].text === 'network' || tokens[0].text === 'block') && tokens[0].kind === 'ident' && tokens[1].kind === 'ident') {
    nesting.depth = 0;
    nesting.inParams = false;
  }
  let closes = 0;
  while (closes < parts.pieces.length && is(parts.pieces[closes], '}')) closes++;
  const continuation = nesting.inParams && !is(parts.pieces[0], ')') ? 1 : 0;
  return Math.max(0, nesting.depth - closes) + continuation;
}

/**
 * Moves the nesting past a line and says, for each piece, whether it sits inside a block's parameter list
 * (where `=` is spaced). Unmatched `}` cannot take the depth below zero.
 */
function advance(pieces: readonly Piece[], nesting: Nesting): boolean[] {
  const inParams: boolean[] = [];
  for (let i = 0; i < pieces.length; i++) {
    inParams.push(nesting.inParams);
    const text = pieces[i].token?.kind === 'punct' ? pieces[i].text : '';
    if (text === '{') nesting.depth++;
    if (text === '}') nesting.depth = Math.max(0, nesting.depth - 1);
    if (text === '{' || text === '}' || text === ')') nesting.inParams = false;
    if (opensParams(pieces, i)) nesting.inParams = true;
  }
  return inParams;
}

/** Whether pieces[i] is the `(` of `block NAME(`, as the parser reads it: characters it skipped do not count. */
function opensParams(pieces: readonly Piece[], i: number): boolean {
  if (!is(pieces[i], '(')) return false;
  const name = previousToken(pieces, i);
  return name >= 0 && pieces[name].token!.kind === 'ident' && is(pieces[previousToken(pieces, name)], 'block');
}

/** The index of the nearest token before pieces[i], skipping opaque pieces; -1 when none. */
function previousToken(pieces: readonly Piece[], i: number): number {
  let j = i - 1;
  while (j >= 0 && !pieces[j].token) j--;
  return j;
}

// ------------------------------------------------------------------------------------------------ spacing

const OPERATORS = new Set(['+', '-', '*', '/']);

function isOperator(piece: Piece | undefined): boolean {
  return piece?.token?.kind === 'punct' && OPERATORS.has(piece.token.text);
}

/** A token a value can end with: `c`, `4`, `3x3`, `)`. */
function endsValue(piece: Piece | undefined): boolean {
  const t = piece?.token;
  return t !== undefined && (t.kind === 'number' || t.kind === 'dims' || t.kind === 'ident' || (t.kind === 'punct' && t.text === ')'));
}

/** A token a value can start with; a `-` here would be unary, so it does not count. */
function startsValue(piece: Piece | undefined): boolean {
  const t = piece?.token;
  return t !== undefined && (t.kind === 'number' || t.kind === 'dims' || t.kind === 'ident' || (t.kind === 'punct' && t.text === '('));
}

/** The head of a statement: the first token of the line or the one after `;` or `{`. */
function isHead(pieces: readonly Piece[], i: number): boolean {
  if (pieces[i]?.token?.kind !== 'ident') return false;
  const before = previousToken(pieces, i);
  return before < 0 || is(pieces[before], ';') || is(pieces[before], '{');
}

/**
 * The spacing an operator at index i asks for on both sides, or undefined to keep what was written. Only a
 * binary operator between two values with the same spacing on both sides is restyled.
 */
function operatorSpacing(pieces: readonly Piece[], i: number): string | undefined {
  const op = pieces[i];
  if (!isOperator(op)) return undefined;
  const prev = pieces[i - 1];
  const next = pieces[i + 1];
  if (!endsValue(prev) || isHead(pieces, i - 1) || !startsValue(next)) return undefined;
  if (op.spaced !== next.spaced) return undefined;
  return op.text === '*' || op.text === '/' ? '' : ' ';
}

/**
 * The whitespace between pieces i-1 and i; `inParams` when they sit in a block's parameter list. Rules are
 * tried in order; the first that applies wins.
 */
function gap(pieces: readonly Piece[], i: number, inParams: boolean): string {
  const a = pieces[i - 1];
  const b = pieces[i];
  const kept = b.spaced ? ' ' : '';
  // Characters the lexer rejected might merge with a neighbour if spacing moved: keep presence exactly.
  if (!a.token || !b.token) return kept;
  if (is(b, ',') || is(b, ';')) return '';
  if (is(a, ',') || is(a, ';')) return ' ';
  if (is(a, '(') || is(b, ')')) return '';
  if (is(a, '{') && is(b, '}')) return '';
  if (is(a, '{') || is(b, '{') || is(a, '}') || is(b, '}')) return ' ';
  if (is(a, '=') || is(b, '=')) return inParams ? ' ' : '';
  if (opensParams(pieces, i) && a.token.kind === 'ident') return '';
  const after = operatorSpacing(pieces, i - 1);
  if (after !== undefined && !isOperator(b)) return after;
  const before = operatorSpacing(pieces, i);
  if (before !== undefined && !isOperator(a)) return before;
  return kept;
}

/**
 * The code of a line with styled spacing, or with only its spacing presence kept when styling is unsafe.
 * `inParams[i]`: whether piece i sits in a block's parameter list.
 */
function spaceCode(parts: LineParts, inParams: readonly boolean[]): string {
  const { pieces } = parts;
  if (pieces.length === 0) return '';
  let styled = pieces[0].text;
  let plain = pieces[0].text;
  for (let i = 1; i < pieces.length; i++) {
    styled += gap(pieces, i, inParams[i]) + pieces[i].text;
    plain += (pieces[i].spaced ? ' ' : '') + pieces[i].text;
  }
  return sameTokens(styled, parts.tokens) ? styled : plain;
}

/** Whether `code` lexes to exactly `tokens` (kinds and texts): the guard that spacing changed no token. */
function sameTokens(code: string, tokens: readonly Token[]): boolean {
  const lexer = new Lexer(code, { quiet: true });
  let i = 0;
  for (let t = lexer.next(); t.kind !== 'eof'; t = lexer.next(), i++) {
    if (i >= tokens.length || t.kind !== tokens[i].kind || t.text !== tokens[i].text) return false;
  }
  return i === tokens.length;
}

// ------------------------------------------------------------------------------------------------ lines out

/** Strips only spaces and tabs: other characters the lexer treats as text must survive. */
function trimEnd(s: string): string {
  let end = s.length;
  while (end > 0 && isBlank(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

/** Puts a trailing comment at its old column when the code leaves room, else just after the code. */
function withComment(text: string, line: Line, code: string, comment: Comment): string {
  const body = trimEnd(comment.text);
  const before = text.slice(line.start, comment.start);
  const oldGap = before.length - trimEnd(before).length;
  // A tab's width is the reader's setting, so a column measured across one means nothing.
  const column = before.includes('\t') ? -1 : comment.start - line.start;
  const fallback = code.length + (oldGap >= 2 ? 2 : 1);
  const at = column >= code.length + 1 ? column : fallback;
  return code + ' '.repeat(at - code.length) + body;
}

/**
 * Each line's formatted content without its break, or undefined for a blank line. Undefined for the whole
 * text when braces nest past MAX_NESTING: the parser stops reading there, and indenting each line by the
 * depth would make the text quadratically larger.
 */
function formatLines(text: string, lines: Line[], unit: string): (string | undefined)[] | undefined {
  const nesting: Nesting = { depth: 0, inParams: false };
  const out: (string | undefined)[] = [];
  for (let n = 0; n < lines.length; n++) {
    const parts = partsOf(text, lines[n]);
    if (parts.pieces.length === 0 && !parts.comment) {
      out.push(undefined);
      continue;
    }
    const indent = unit.repeat(levelOf(parts, nesting));
    const code = spaceCode(parts, advance(parts.pieces, nesting));
    if (nesting.depth > MAX_NESTING) return undefined;
    if (!parts.comment) out.push(indent + code);
    else if (code === '') out.push(indent + trimEnd(parts.comment.text));
    else out.push(withComment(text, lines[n], indent + code, parts.comment));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ edits

/**
 * The new text of each line including its break: blank lines survive only one at a time, between content;
 * the last content line ends with exactly one break.
 */
function newSegments(formatted: readonly (string | undefined)[], eol: string): string[] {
  let last = -1;
  formatted.forEach((content, n) => {
    if (content !== undefined) last = n;
  });
  return formatted.map((content, n) => {
    if (n > last) return '';
    if (content !== undefined) return content + eol;
    // The first blank line after content stands for the whole run; content follows, as n < last.
    return n > 0 && formatted[n - 1] !== undefined ? eol : '';
  });
}

/** One edit per changed line, trimmed to what differs, and touching edits merged. */
function diffLines(text: string, lines: Line[], formatted: readonly (string | undefined)[], eol: string): TextEdit[] {
  const segments = newSegments(formatted, eol);
  const edits: TextEdit[] = [];
  lines.forEach((line, n) => {
    const edit = minimalEdit(text, line.start, line.next, segments[n]);
    if (!edit) return;
    const prev = edits[edits.length - 1];
    if (prev && prev.span.end === edit.span.start) {
      prev.span.end = edit.span.end;
      prev.newText += edit.newText;
    } else edits.push(edit);
  });
  return edits;
}

/** The edit turning text[start, end) into `replacement`, without the prefix and suffix they share. */
function minimalEdit(text: string, start: number, end: number, replacement: string): TextEdit | undefined {
  const old = text.slice(start, end);
  if (old === replacement) return undefined;
  let head = 0;
  const most = Math.min(old.length, replacement.length);
  while (head < most && old.charCodeAt(head) === replacement.charCodeAt(head)) head++;
  let tail = 0;
  while (tail < most - head && old.charCodeAt(old.length - 1 - tail) === replacement.charCodeAt(replacement.length - 1 - tail)) tail++;
  return { span: { start: start + head, end: end - tail }, newText: replacement.slice(head, replacement.length - tail) };
}
