import type { TextEdit } from '../base/diagnostics.js';
import { deletion, Doc, insertion, newStart, parseLine, resolve, shifted, stale, type Placed } from './edit-doc.js';
import type { GraphEditResult } from './graph-edit-types.js';
import { parse } from '../syntax/parser.js';
import type { Body, NetworkDecl, Stmt } from '../syntax/syntax.js';
import type { Span } from '../base/text.js';

/** Changes to a body's statements: insert, delete, move, wrap in a repeat (see graph-edit.ts for the rules). */

/** Spaces a wrapped or newly opened body is indented by, as the formatter indents. */
const INDENT = '  ';

// ------------------------------------------------------------------------------------------------ insert

export function insert(doc: Doc, after: number | { network: string }, rawText: string): GraphEditResult {
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

// -------------------------------------------------------------------------------------------------------- delete

export function remove(doc: Doc, offsets: readonly number[]): GraphEditResult {
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

// ---------------------------------------------------------------------------------------------------------- move

export function move(doc: Doc, offset: number, by: -1 | 1): GraphEditResult {
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

// ---------------------------------------------------------------------------------------------------------- wrap

export function wrap(doc: Doc, offsets: readonly number[], count: number): GraphEditResult {
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
  const edits = wrapEdits(doc, first, last, `repeat ${count}`);
  if (!doc.ownsLines(first, last)) return { edits, select: first.start };
  return { edits, select: newStart(edits, 0) + (doc.indentOf(first.start) ?? '').length };
}

/**
 * The edits that put the statements `first` … `last` of one body in `HEAD { … }`. Statements that own their
 * lines get a `HEAD {` line above, `unit` more indentation on every line (blank lines stay empty) and a
 * closing `}` line below; statements that share a line are wrapped in place. Sorted and disjoint.
 */
export function wrapEdits(doc: Doc, first: Span, last: Span, head: string, unit: string = INDENT): TextEdit[] {
  if (!doc.ownsLines(first, last)) return [insertion(first.start, `${head} { `), insertion(last.end, ' }')];
  const indent = doc.indentOf(first.start) ?? '';
  const lines = doc.lines(first, last);
  const edits = [insertion(lines.start, `${indent}${head} {${doc.nl}${unit}`)];
  for (let at = doc.nextLine(doc.lineEnd(lines.start)); at <= lines.end && at < doc.text.length; at = doc.nextLine(doc.lineEnd(at))) {
    if (!doc.isBlankLine(at)) edits.push(insertion(at, unit));
  }
  edits.push(insertion(lines.end, `${doc.nl}${indent}}`));
  return edits;
}
