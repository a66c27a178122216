import type { TextEdit } from '../base/diagnostics.js';
import { parse } from '../syntax/parser.js';
import type { SourceFile, Stmt, Body, NetworkDecl } from '../syntax/syntax.js';
import type { Span } from '../base/text.js';

/** The text the graph editor's edits are planned on: statements by start offset, lines, and edit arithmetic. */

/** A statement and the body it sits in. */
export interface Placed {
  stmt: Stmt;
  siblings: readonly Stmt[];
  index: number;
}

/** The text and its statements by start offset, with the line arithmetic every edit needs. */
export class Doc {
  private readonly statements = new Map<number, Placed>();
  /** The line break inserted text uses: the file's own. */
  readonly nl: string;

  constructor(
    readonly text: string,
    readonly file: SourceFile,
  ) {
    this.nl = text.includes('\r\n') ? '\r\n' : '\n';
    for (const decl of file.decls) if (decl.body) this.place(decl.body);
  }

  private place(body: Body): void {
    body.stmts.forEach((stmt, index) => {
      this.statements.set(stmt.start, { stmt, siblings: body.stmts, index });
      if (stmt.body) this.place(stmt.body);
      if (stmt.shortcut?.body) this.place(stmt.shortcut.body);
    });
  }

  find(offset: number): Placed | undefined {
    return this.statements.get(offset);
  }

  network(name: string): NetworkDecl | undefined {
    return this.file.decls.find((d): d is NetworkDecl => d.kind === 'network' && d.name?.name === name);
  }

  lineStart(offset: number): number {
    let i = offset;
    while (i > 0 && !isBreak(this.text.charCodeAt(i - 1))) i--;
    return i;
  }

  /** The end of the line's content, before its line break. */
  lineEnd(offset: number): number {
    let i = offset;
    while (i < this.text.length && !isBreak(this.text.charCodeAt(i))) i++;
    return i;
  }

  /** The start of the next line, after the line break at `lineEnd`; the text's end on the last line. */
  nextLine(lineEnd: number): number {
    if (this.text.startsWith('\r\n', lineEnd)) return lineEnd + 2;
    return lineEnd < this.text.length ? lineEnd + 1 : lineEnd;
  }

  /** The end of the previous line's content, before the break that ends at `lineStart`. */
  previousLineEnd(lineStart: number): number {
    return lineStart - (this.text.startsWith('\r\n', lineStart - 2) ? 2 : 1);
  }

  /** The offset before the spaces and tabs that end at `offset`. */
  blankBefore(offset: number): number {
    let i = offset;
    while (i > 0 && isBlank(this.text.charCodeAt(i - 1))) i--;
    return i;
  }

  /** The offset after the spaces and tabs that start at `offset`. */
  blankAfter(offset: number): number {
    let i = offset;
    while (i < this.text.length && isBlank(this.text.charCodeAt(i))) i++;
    return i;
  }

  /** The spaces and tabs before a statement on its line, when nothing else precedes it there. */
  indentOf(offset: number): string | undefined {
    const start = this.lineStart(offset);
    return this.blankBefore(offset) === start ? this.text.slice(start, offset) : undefined;
  }

  /** Whether only a comment, if anything, follows `offset` on its line. */
  endsLine(offset: number): boolean {
    const i = this.blankAfter(offset);
    return i === this.text.length || isBreak(this.text.charCodeAt(i)) || this.text[i] === '#';
  }

  /** Whether the statements from `first` to `last` are alone on their lines (see the layout rules). */
  ownsLines(first: Span, last: Span): boolean {
    return this.indentOf(first.start) !== undefined && this.endsLine(last.end);
  }

  /** Whole lines from the line of `first` through the line of `last`, trailing comment included, no break. */
  lines(first: Span, last: Span): Span {
    return { start: this.lineStart(first.start), end: this.lineEnd(last.end) };
  }

  /** Whether the line holding `offset` is a comment and nothing else. */
  isCommentLine(offset: number): boolean {
    const start = this.blankAfter(this.lineStart(offset));
    return this.text[start] === '#';
  }

  isBlankLine(offset: number): boolean {
    return this.blankAfter(this.lineStart(offset)) === this.lineEnd(offset);
  }
}

function isBreak(c: number): boolean {
  return c === 10 || c === 13;
}

export function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

export function stale(offset: number): { error: string } {
  return { error: `No statement starts at offset ${offset} any more: the text has changed since the graph was drawn. Try again once the graph has refreshed.` };
}

/** Resolves offsets to statements, or says which one is stale. */
export function resolve(doc: Doc, offsets: readonly number[]): Placed[] | { error: string } {
  const out: Placed[] = [];
  for (const offset of offsets) {
    const p = doc.find(offset);
    if (!p) return stale(offset);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

export function insertion(at: number, newText: string): TextEdit {
  return { span: { start: at, end: at }, newText };
}

export function deletion(span: Span): TextEdit {
  return { span: { start: span.start, end: span.end }, newText: '' };
}

/** Where an offset of the old text lands in the new one; it must not lie inside a replaced span. */
export function shifted(edits: readonly TextEdit[], offset: number): number {
  let delta = 0;
  for (const e of edits) if (e.span.end <= offset) delta += e.newText.length - (e.span.end - e.span.start);
  return offset + delta;
}

/** Where the new text of `edits[i]` starts in the new text; the edits must be sorted. */
export function newStart(edits: readonly TextEdit[], i: number): number {
  let delta = 0;
  for (let j = 0; j < i; j++) delta += edits[j].newText.length - (edits[j].span.end - edits[j].span.start);
  return edits[i].span.start + delta;
}

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.span.start) + e.newText;
    at = e.span.end;
  }
  return out + text.slice(at);
}

/** The statement a line holds when it holds exactly one, which parses cleanly and has no comment. */
export function parseLine(line: string): Stmt | undefined {
  const prefix = 'network N {\n  ';
  const parsed = parse(`${prefix}${line}\n}\n`);
  const stmts = parsed.file.decls[0]?.body?.stmts ?? [];
  const clean = parsed.diagnostics.length === 0 && parsed.file.comments.length === 0 && parsed.file.decls.length === 1;
  return clean && stmts.length === 1 && stmts[0].end === prefix.length + line.length ? stmts[0] : undefined;
}
