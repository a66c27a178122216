import type { Analysis } from './analyze.js';
import type { TextEdit } from './diagnostics.js';
import { findOp } from './ops/index.js';
import type { AttrSpec, OpDef } from './ops/types.js';
import { parse } from './parser.js';
import type { Body, NetworkDecl, SourceFile, Stmt } from './syntax.js';
import type { Span } from './text.js';
import { bindArgs, settable, writtenValues, type Binding, type Written } from './written.js';

/**
 * The changes the graph editor makes to a file, as minimal text edits that keep every comment, blank line
 * and the formatting of untouched text. Statements are named by the offset of their first character in the
 * analysed text (`GraphNode.stmt`).
 *
 * Layout rules:
 * - A statement "owns its lines" when nothing but indentation precedes it on its first line and nothing but a
 *   comment follows it on its last line. Such a statement is inserted, deleted, moved and wrapped as whole
 *   lines; one that shares a line with others (`conv 64 3x3 pad 1; relu`, `repeat 2 { relu }`) is edited in
 *   place, joined with `; `.
 * - A statement's trailing comment belongs to it. Comment lines directly above a statement (no blank line
 *   between) belong to it when it moves, so a note stays with the layer it describes; deleting a statement
 *   leaves them, since they may introduce what follows.
 * - Attributes are bound exactly as the elaborator binds them (`bindValues`), and a value replaces only its
 *   own text. An unwritten positional attribute is written in place only when every positional attribute
 *   before it is written by position; otherwise it is written by name (`kernel 5x5`), which binds the same
 *   wherever it stands.
 */
export type GraphEdit =
  /** Set an attribute's value as written (`5x5`, `same`, `true` for a flag); `''` removes it (its default applies). */
  | { kind: 'setAttribute'; stmt: number; name: string; value: string }
  /** Insert a statement (`conv 64 3x3 pad 1`) after a statement, or as the last statement of a network. */
  | { kind: 'insert'; after: number | { network: string }; text: string }
  /** Delete statements (with a statement that opens a body, its whole body). */
  | { kind: 'delete'; stmts: number[] }
  /** Swap a statement with its previous (-1) or next (+1) sibling. */
  | { kind: 'move'; stmt: number; by: -1 | 1 }
  /** Wrap consecutive sibling statements in `repeat COUNT { … }`. */
  | { kind: 'wrap'; stmts: number[]; count: number };

export type GraphEditResult =
  /** `select`: the offset, in the text after the edits, of the statement the editor should select. */
  | { edits: TextEdit[]; select?: number }
  /** Why the edit cannot be made, in words for the user. */
  | { error: string };

/** Spaces a wrapped or newly opened body is indented by, as the formatter indents. */
const INDENT = '  ';

export function graphEdit(a: Analysis, edit: GraphEdit): GraphEditResult {
  const doc = new Doc(a.text, a.file);
  const planned = plan(doc, edit);
  return 'error' in planned ? planned : finish(doc, planned);
}

function plan(doc: Doc, edit: GraphEdit): GraphEditResult {
  switch (edit.kind) {
    case 'setAttribute':
      return setAttribute(doc, edit.stmt, edit.name, edit.value);
    case 'insert':
      return insert(doc, edit.after, edit.text);
    case 'delete':
      return remove(doc, edit.stmts);
    case 'move':
      return move(doc, edit.stmt, edit.by);
    case 'wrap':
      return wrap(doc, edit.stmts, edit.count);
  }
}

// ------------------------------------------------------------------------------------------------ the text

/** A statement and the body it sits in. */
interface Placed {
  stmt: Stmt;
  siblings: readonly Stmt[];
  index: number;
}

/** The text and its statements by start offset, with the line arithmetic every edit needs. */
class Doc {
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

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function stale(offset: number): { error: string } {
  return { error: `No statement starts at offset ${offset} any more: the text has changed since the graph was drawn. Try again once the graph has refreshed.` };
}

/** Resolves offsets to statements, or says which one is stale. */
function resolve(doc: Doc, offsets: readonly number[]): Placed[] | { error: string } {
  const out: Placed[] = [];
  for (const offset of offsets) {
    const p = doc.find(offset);
    if (!p) return stale(offset);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ edits

function insertion(at: number, newText: string): TextEdit {
  return { span: { start: at, end: at }, newText };
}

function deletion(span: Span): TextEdit {
  return { span: { start: span.start, end: span.end }, newText: '' };
}

/** Where an offset of the old text lands in the new one; it must not lie inside a replaced span. */
function shifted(edits: readonly TextEdit[], offset: number): number {
  let delta = 0;
  for (const e of edits) if (e.span.end <= offset) delta += e.newText.length - (e.span.end - e.span.start);
  return offset + delta;
}

/** Where the new text of `edits[i]` starts in the new text; the edits must be sorted. */
function newStart(edits: readonly TextEdit[], i: number): number {
  let delta = 0;
  for (let j = 0; j < i; j++) delta += edits[j].newText.length - (edits[j].span.end - edits[j].span.start);
  return edits[i].span.start + delta;
}

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.span.start) + e.newText;
    at = e.span.end;
  }
  return out + text.slice(at);
}

/**
 * Checks the plan against the text it makes: edits sorted and disjoint, and no syntax error that the text did
 * not have. Then merges touching edits and trims what each leaves unchanged, so no edit rewrites more than it
 * must (the editor keeps cursors and folds outside the changed characters).
 */
function finish(doc: Doc, planned: { edits: TextEdit[]; select?: number }): GraphEditResult {
  const edits = planned.edits;
  for (let i = 1; i < edits.length; i++) {
    const [a, b] = [edits[i - 1].span, edits[i].span];
    if (a.end > b.start || (a.start === a.end && b.start === b.end && a.start === b.start)) {
      return { error: 'This change could not be expressed as separate text edits, so it was not made; make it in the text editor.' };
    }
  }
  const after = applyEdits(doc.text, edits);
  if (parse(after).diagnostics.length > parse(doc.text).diagnostics.length) {
    return { error: 'This change would leave a syntax error in the text, so it was not made; make it in the text editor.' };
  }
  const result: { edits: TextEdit[]; select?: number } = { edits: minimal(doc.text, edits) };
  if (planned.select !== undefined) result.select = planned.select;
  return result;
}

function minimal(text: string, edits: readonly TextEdit[]): TextEdit[] {
  const merged: TextEdit[] = [];
  for (const e of edits) {
    const last = merged[merged.length - 1];
    if (last && last.span.end === e.span.start) merged[merged.length - 1] = { span: { start: last.span.start, end: e.span.end }, newText: last.newText + e.newText };
    else merged.push(e);
  }
  return merged.map((e) => trim(text, e)).filter((e) => e.span.start !== e.span.end || e.newText !== '');
}

/** Shrinks an edit by the characters its old and new text share at both ends. */
function trim(text: string, e: TextEdit): TextEdit {
  const old = text.slice(e.span.start, e.span.end);
  const next = e.newText;
  let head = 0;
  while (head < old.length && head < next.length && old[head] === next[head]) head++;
  // Never between the two halves of a character outside the BMP.
  if (head > 0 && isHighSurrogate(old.charCodeAt(head - 1))) head--;
  let tail = 0;
  while (tail < old.length - head && tail < next.length - head && old[old.length - 1 - tail] === next[next.length - 1 - tail]) tail++;
  if (tail > 0 && isHighSurrogate(old.charCodeAt(old.length - 1 - tail))) tail--;
  return { span: { start: e.span.start + head, end: e.span.end - tail }, newText: next.slice(head, next.length - tail) };
}

// ------------------------------------------------------------------------------------------------ setAttribute

function setAttribute(doc: Doc, offset: number, name: string, rawValue: string): GraphEditResult {
  const placed = doc.find(offset);
  if (!placed) return stale(offset);
  const stmt = placed.stmt;
  const op = findOp(stmt.head.name);
  if (!op) return { error: `\`${stmt.head.name}\` is not an op, so it has no attributes to set here; change its values in the text editor.` };
  const spec = settable(op).find((s) => s.name === name);
  if (!spec) {
    const tensors = op.attrs.some((s) => s.name === name && s.kind === 'tensors');
    return { error: tensors ? `the tensors ${op.name} reads are named in the text; edit the names there.` : noSuchAttribute(op, name) };
  }
  const value = rawValue.trim();
  const binding = bindArgs(op, stmt);
  const planned = spec.kind === 'flag' ? setFlag(doc, stmt, spec, binding, value) : setValue(doc, stmt, op, spec, binding, value);
  if ('error' in planned) return planned;
  const problem = checkBinding(doc, stmt, op, spec, value, planned.edits);
  return problem ? { error: problem } : { edits: planned.edits, select: stmt.start };
}

function noSuchAttribute(op: OpDef, name: string): string {
  const names = settable(op).map((s) => s.name);
  if (names.length === 0) return `${op.name} has no attribute \`${name}\`: it takes no attributes.`;
  return `${op.name} has no attribute \`${name}\`; its attributes are ${names.join(', ')}.`;
}

function setFlag(doc: Doc, stmt: Stmt, spec: AttrSpec, binding: Binding, value: string): { edits: TextEdit[] } | { error: string } {
  const on = value === 'true' ? true : value === 'false' || value === '' ? false : undefined;
  if (on === undefined) return { error: `\`${spec.name}\` is a flag: set it to true or false, not '${value}'.` };
  const written = binding.attrs.get(spec.name);
  if (on === (written !== undefined)) return { edits: [] };
  if (written) return { edits: [deletion(removalSpan(doc, written))] };
  return { edits: [insertion(appendPoint(stmt), ` ${spec.name}`)] };
}

function setValue(doc: Doc, stmt: Stmt, op: OpDef, spec: AttrSpec, binding: Binding, value: string): { edits: TextEdit[] } | { error: string } {
  const written = binding.attrs.get(spec.name);
  if (value === '') {
    if (!written) return { edits: [] };
    if (spec.required) return { error: `${op.name} needs \`${spec.name}\`, so it cannot be removed; set another value instead.` };
    return { edits: removal(doc, written, binding) };
  }
  const invalid = checkValue(value);
  if (invalid) return { error: invalid };
  if (written) return { edits: [{ span: { start: written.arg.value.start, end: written.arg.value.end }, newText: value }] };
  const slot = settable(op).filter((s) => s.positional).indexOf(spec);
  if (slot >= 0 && slot === binding.positional.length) {
    // Every positional value before it is written by position: this one can follow them.
    const at = slot === 0 ? stmt.head.end : binding.positional[slot - 1].arg.end;
    return { edits: [insertion(at, ` ${value}`)] };
  }
  return { edits: [insertion(appendPoint(stmt), ` ${spec.name} ${value}`)] };
}

/** After the last value: before a body and before `as NAME`. */
function appendPoint(stmt: Stmt): number {
  return stmt.args.length > 0 ? stmt.args[stmt.args.length - 1].end : stmt.head.end;
}

/** The written attribute with its name and the spaces before it. */
function removalSpan(doc: Doc, w: Written): Span {
  const first = w.form === 'pair' ? w.key : w.arg;
  return { start: doc.blankBefore(first.start), end: w.arg.end };
}

/**
 * Removes a written attribute. Positional values after a removed positional one would slide into its place,
 * so they get their names (`dropout 0.3` style values stay bound to the same attributes).
 */
function removal(doc: Doc, w: Written, binding: Binding): TextEdit[] {
  const edits = [deletion(removalSpan(doc, w))];
  if (w.form !== 'positional') return edits;
  const after = binding.positional.slice(binding.positional.indexOf(w) + 1);
  for (const later of after) edits.push(insertion(later.arg.start, `${later.spec.name} `));
  return edits;
}

/** Undefined when `value` is exactly one value as the parser reads one; otherwise why not, for the user. */
function checkValue(value: string): string | undefined {
  const stmt = parseLine(`x ${value}`);
  const one = stmt !== undefined && stmt.args.length === 1 && !stmt.args[0].key && !stmt.body && !stmt.alias;
  return one ? undefined : `'${value}' is not one value: write a number (2), a size (3x3), a word (same) or a tuple ((1, 1, 0, 0)).`;
}

/** The statement a line holds when it holds exactly one, which parses cleanly and has no comment. */
function parseLine(line: string): Stmt | undefined {
  const prefix = 'network N {\n  ';
  const parsed = parse(`${prefix}${line}\n}\n`);
  const stmts = parsed.file.decls[0]?.body?.stmts ?? [];
  const clean = parsed.diagnostics.length === 0 && parsed.file.comments.length === 0 && parsed.file.decls.length === 1;
  return clean && stmts.length === 1 && stmts[0].end === prefix.length + line.length ? stmts[0] : undefined;
}

/**
 * Reparses the statement as edited and checks that it binds the new value to the attribute and leaves every
 * other attribute as it was: a value can read differently where it lands (`pad -1` after a value is `x − 1`).
 */
function checkBinding(doc: Doc, stmt: Stmt, op: OpDef, spec: AttrSpec, value: string, edits: TextEdit[]): string | undefined {
  if (edits.length === 0) return undefined;
  const text = applyEdits(doc.text, edits);
  const edited = new Doc(text, parse(text).file).find(stmt.start);
  const want = writtenValues(doc.text, op, stmt);
  const off = value === '' || (spec.kind === 'flag' && value === 'false');
  if (off) want.delete(spec.name);
  else want.set(spec.name, spec.kind === 'flag' ? 'true' : value);
  const have = edited ? writtenValues(text, op, edited.stmt) : new Map<string, string>();
  const same = have.size === want.size && [...want].every(([k, v]) => have.get(k) === v);
  if (same) return undefined;
  const hint = /^[-+]/.test(value) ? `; write it in parentheses: (${value})` : settable(op).some((s) => s.name === value) ? `: \`${value}\` is the name of one of its attributes` : '';
  return `'${value}' would not be read as the ${spec.name} of ${op.name} where it goes${hint}.`;
}

// ------------------------------------------------------------------------------------------------ insert

function insert(doc: Doc, after: number | { network: string }, rawText: string): GraphEditResult {
  const text = rawText.trim();
  const invalid = checkStatement(text);
  if (invalid) return { error: invalid };
  if (typeof after === 'number') {
    const placed = doc.find(after);
    return placed ? insertAfter(doc, placed.stmt, text) : stale(after);
  }
  const net = doc.network(after.network);
  if (!net) return { error: `There is no network named ${after.network} any more: the text has changed since the graph was drawn. Try again once the graph has refreshed.` };
  const body = net.body;
  if (!body) return { error: `network ${after.network} has no body { … } to add to; add the braces in the text editor.` };
  if (body.stmts.length > 0) return insertAfter(doc, body.stmts[body.stmts.length - 1], text);
  if (!body.closed) return { error: `network ${after.network} is not closed; add its '}' in the text editor first.` };
  return insertIntoEmpty(doc, net, body, text);
}

/** Undefined when `text` is one statement on one line that parses cleanly; otherwise why not. */
function checkStatement(text: string): string | undefined {
  if (text === '') return 'There is no statement to insert: write one, such as `conv 64 3x3 pad 1`.';
  if (/[\r\n]/.test(text)) return 'Insert one statement on one line; join the statements of a body with `;`: `repeat 2 { conv 64 3x3 pad 1; relu }`.';
  if (parseLine(text)) return undefined;
  const parsed = parse(`network N {\n  ${text}\n}\n`);
  const several = parsed.file.decls[0]?.body?.stmts.length ?? 0;
  if (parsed.diagnostics.length === 0 && several > 1) return `'${text}' is ${several} statements; insert one at a time, or wrap them in a body.`;
  return `'${text}' is not one statement: write an op and its values, such as \`conv 64 3x3 pad 1\`.`;
}

function insertAfter(doc: Doc, stmt: Stmt, text: string): GraphEditResult {
  if (doc.ownsLines(stmt, stmt)) {
    // After the statement's trailing comment, on a line of its own.
    const at = doc.lineEnd(stmt.end);
    const prefix = doc.nl + (doc.indentOf(stmt.start) ?? '');
    return { edits: [insertion(at, prefix + text)], select: at + prefix.length };
  }
  return { edits: [insertion(stmt.end, `; ${text}`)], select: stmt.end + 2 };
}

/** `network N {}` or `network N {\n}`: the statement goes on its own line, one level in. */
function insertIntoEmpty(doc: Doc, net: NetworkDecl, body: Body, text: string): GraphEditResult {
  const outer = doc.text.slice(doc.lineStart(net.start), doc.blankAfter(doc.lineStart(net.start)));
  const indent = outer + INDENT;
  const close = body.end - 1;
  if (doc.lineStart(close) <= body.start) {
    const span = { start: body.start + 1, end: close };
    return { edits: [{ span, newText: `${doc.nl}${indent}${text}${doc.nl}${outer}` }], select: span.start + doc.nl.length + indent.length };
  }
  // Before the closing brace's line, so any comments in the body stay above the new statement.
  const at = doc.lineStart(close);
  return { edits: [insertion(at, `${indent}${text}${doc.nl}`)], select: at + indent.length };
}

// ------------------------------------------------------------------------------------------------ delete

function remove(doc: Doc, offsets: readonly number[]): GraphEditResult {
  if (offsets.length === 0) return { error: 'Nothing to delete: select a layer first.' };
  const found = resolve(doc, offsets);
  if ('error' in found) return found;
  // Deleting a statement deletes its body: statements inside another selected one need no edit of their own.
  const top = found.filter((p) => !found.some((q) => q !== p && q.stmt.start <= p.stmt.start && p.stmt.end <= q.stmt.end));
  const edits = runs(doc, top)
    .map((run) => deletion(runRemoval(doc, run[0], run[run.length - 1])))
    .sort((x, y) => x.span.start - y.span.start);
  const first = top.reduce((x, y) => (y.stmt.start < x.stmt.start ? y : x));
  const replacement = survivor(first, top);
  return replacement ? { edits, select: shifted(edits, replacement.start) } : { edits };
}

/**
 * Groups statements into runs to delete as one: consecutive siblings joined on one line (`conv; relu`), so
 * the `;` between them goes with them instead of two removals competing for it.
 */
function runs(doc: Doc, placed: Placed[]): Stmt[][] {
  const sorted = [...placed].sort((x, y) => x.stmt.start - y.stmt.start);
  const out: { siblings: readonly Stmt[]; last: number; stmts: Stmt[] }[] = [];
  for (const p of sorted) {
    const run = out.find((r) => r.siblings === p.siblings && r.last === p.index - 1);
    if (run && !/[\r\n]/.test(doc.text.slice(run.stmts[run.stmts.length - 1].end, p.stmt.start))) {
      run.stmts.push(p.stmt);
      run.last = p.index;
    } else out.push({ siblings: p.siblings, last: p.index, stmts: [p.stmt] });
  }
  return out.map((r) => r.stmts);
}

/**
 * The text to remove for a run of statements: their whole lines when they own them (a trailing comment goes
 * with its line), else the statements with one adjacent `;` and the spaces around it.
 */
function runRemoval(doc: Doc, first: Stmt, last: Stmt): Span {
  const text = doc.text;
  if (doc.ownsLines(first, last)) {
    const lines = doc.lines(first, last);
    const end = doc.nextLine(lines.end);
    // The last line of the text has no break after it: take the one before it instead.
    if (end === lines.end && lines.start > 0) return { start: doc.previousLineEnd(lines.start), end };
    return { start: lines.start, end };
  }
  const before = doc.blankBefore(first.start);
  if (text[before - 1] === ';') return { start: doc.blankBefore(before - 1), end: last.end };
  const after = doc.blankAfter(last.end);
  if (text[after] === ';') return { start: first.start, end: doc.blankAfter(after + 1) };
  // Alone in a one-line body: `{ relu }` becomes `{}`.
  if (text[before - 1] === '{' && text[after] === '}') return { start: before, end: after };
  if (before === doc.lineStart(first.start)) return { start: first.start, end: after };
  return { start: before, end: last.end };
}

/** The sibling that takes the place of the first deleted statement: the next one left, else the previous. */
function survivor(first: Placed, deleted: Placed[]): Stmt | undefined {
  const gone = new Set(deleted.map((p) => p.stmt));
  const { siblings, index } = first;
  for (let i = index + 1; i < siblings.length; i++) if (!gone.has(siblings[i])) return siblings[i];
  for (let i = index - 1; i >= 0; i--) if (!gone.has(siblings[i])) return siblings[i];
  return undefined;
}

// ------------------------------------------------------------------------------------------------ move

function move(doc: Doc, offset: number, by: -1 | 1): GraphEditResult {
  const placed = doc.find(offset);
  if (!placed) return stale(offset);
  const { stmt, siblings, index } = placed;
  const other = siblings[index + by];
  if (!other) {
    const where = by < 0 ? 'first' : 'last';
    return { error: `\`${stmt.head.name}\` is already the ${where} statement of its body, so it cannot move ${by < 0 ? 'up' : 'down'}; to move it into another body, cut and paste it in the text editor.` };
  }
  const [a, b] = by < 0 ? [other, stmt] : [stmt, other];
  const [ra, rb] = doc.ownsLines(a, a) && doc.ownsLines(b, b) ? [lineBlock(doc, a), lineBlock(doc, b)] : [a, b];
  const ta = doc.text.slice(ra.start, ra.end);
  const tb = doc.text.slice(rb.start, rb.end);
  const edits: TextEdit[] = [
    { span: { start: ra.start, end: ra.end }, newText: tb },
    { span: { start: rb.start, end: rb.end }, newText: ta },
  ];
  // The moved statement now sits in the other's place, as far into its text as before.
  const select = stmt === b ? newStart(edits, 0) + (b.start - rb.start) : newStart(edits, 1) + (a.start - ra.start);
  return { edits, select };
}

/** A whole-line statement's lines with the comment lines directly above it, without the final break. */
function lineBlock(doc: Doc, stmt: Stmt): Span {
  const lines = doc.lines(stmt, stmt);
  let start = lines.start;
  while (start > 0) {
    const above = doc.lineStart(doc.previousLineEnd(start));
    if (!doc.isCommentLine(above)) break;
    start = above;
  }
  return { start, end: lines.end };
}

// ------------------------------------------------------------------------------------------------ wrap

function wrap(doc: Doc, offsets: readonly number[], count: number): GraphEditResult {
  if (!Number.isInteger(count) || count < 1) return { error: `A repeat count is a whole number of at least 1, not ${count}.` };
  if (offsets.length === 0) return { error: 'Nothing to wrap: select the layers to repeat first.' };
  const found = resolve(doc, offsets);
  if ('error' in found) return found;
  const siblings = found[0].siblings;
  if (found.some((p) => p.siblings !== siblings)) return { error: 'The statements to repeat must be in the same body: select layers of one network, block or repeat.' };
  const sorted = [...found].sort((x, y) => x.index - y.index);
  if (sorted.some((p, i) => p.index !== sorted[0].index + i)) return { error: 'The statements to repeat must follow one another: select the layers between them too.' };
  const first = sorted[0].stmt;
  const last = sorted[sorted.length - 1].stmt;
  const head = `repeat ${count} {`;
  if (!doc.ownsLines(first, last)) {
    const edits = [insertion(first.start, `${head} `), insertion(last.end, ' }')];
    return { edits, select: first.start };
  }
  const indent = doc.indentOf(first.start) ?? '';
  const lines = doc.lines(first, last);
  const edits = [insertion(lines.start, `${indent}${head}${doc.nl}${INDENT}`)];
  // Every line between gets one more level; blank lines stay empty.
  for (let at = doc.nextLine(doc.lineEnd(lines.start)); at <= lines.end && at < doc.text.length; at = doc.nextLine(doc.lineEnd(at))) {
    if (!doc.isBlankLine(at)) edits.push(insertion(at, INDENT));
  }
  edits.push(insertion(lines.end, `${doc.nl}${indent}}`));
  return { edits, select: newStart(edits, 0) + indent.length };
}
