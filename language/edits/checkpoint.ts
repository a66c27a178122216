import { analyze, type Analysis } from '../analysis/analyze.js';
import { Codes, type TextEdit } from '../base/diagnostics.js';
import { formatBytes } from '../base/format.js';
import type { Body, Decl, Stmt } from '../syntax/syntax.js';
import { statements } from '../views/query.js';
import { applyEdits, deletion, Doc } from './edit-doc.js';
import { wrapEdits } from './edit-structure.js';
import type { Refactor } from './refactor.js';

/**
 * `checkpoint { … }` both ways, as refactors: wrap a `repeat` or a block call in it, titled with what that
 * saves at the training peak, and unwrap one. The saving is measured, not estimated: the edited text is
 * analysed with the same settings, so the title says what the summary will say after the edit.
 */
export function checkpointRefactors(a: Analysis, stmt: Stmt): Refactor[] {
  const placed = placeOf(a, stmt);
  if (!placed) return [];
  const doc = new Doc(a.text, a.file);
  if (stmt.head.name === 'checkpoint') {
    const edits = unwrapEdits(doc, stmt);
    return edits ? [{ title: 'Remove checkpoint', edits }] : [];
  }
  const wrap = wrapRefactor(a, doc, stmt, placed);
  return wrap ? [wrap] : [];
}

/** Where a statement sits: its declaration, the statements around it, and the body it is a statement of. */
interface Placement {
  decl: Decl;
  parents: Stmt[];
  body: Body;
}

function placeOf(a: Analysis, stmt: Stmt): Placement | undefined {
  for (const decl of a.file.decls) {
    if (!decl.body || stmt.start < decl.body.start || stmt.end > decl.body.end) continue;
    for (const { stmt: s, parents } of statements(decl.body.stmts)) {
      if (s !== stmt) continue;
      const parent = parents[parents.length - 1];
      const body = !parent ? decl.body : parent.body?.stmts.includes(stmt) ? parent.body : parent.shortcut?.body;
      return body ? { decl, parents, body } : undefined;
    }
  }
  return undefined;
}

/**
 * Layers a file may have for a wrap to be measured. Editors ask for code actions as the cursor moves, and the
 * measurement analyses the whole file again (about 17 ms per 1,000 layers): real networks have a few hundred.
 */
export const MAX_MEASURED_LAYERS = 5_000;

/**
 * Wraps a `repeat` or a block call: the statements that hold many layers, where recomputing pays. Inside a
 * checkpoint the region already recomputes; a wrap that saves nothing at the peak (the peak lies elsewhere)
 * or adds a problem is not offered.
 */
function wrapRefactor(a: Analysis, doc: Doc, stmt: Stmt, at: Placement): Refactor | undefined {
  if (stmt.head.name !== 'repeat' && !a.blocks.has(stmt.head.name)) return undefined;
  if (at.parents.some((p) => p.head.name === 'checkpoint')) return undefined;
  if (a.networks.reduce((n, net) => n + net.layers.length, 0) > MAX_MEASURED_LAYERS) return undefined;
  const edits = wrapEdits(doc, stmt, stmt, 'checkpoint', unitOf(doc, stmt, at.body));
  const after = analyze(applyEdits(a.text, edits), a.options);
  if (addsProblems(a, after)) return undefined;
  const saved = bestSaving(a, after, at.decl);
  if (!saved || saved.bytes <= 0) return undefined;
  const of = at.decl.kind === 'block' && a.networks.length > 1 ? ` of ${saved.name}` : '';
  return { title: `Checkpoint this (recompute in backward): saves ${formatBytes(saved.bytes)} at the peak${of}`, edits };
}

/**
 * The largest drop in training peak among the networks the statement runs in: its own network, or for a
 * statement in a block, every network (those that never call the block do not change).
 */
function bestSaving(before: Analysis, after: Analysis, decl: Decl): { bytes: number; name: string } | undefined {
  let best: { bytes: number; name: string } | undefined;
  // The edit adds no declaration, so the networks of both texts pair up in order.
  before.networks.forEach((net, i) => {
    if (decl.kind === 'network' && net.decl !== decl) return;
    const now = after.networks[i];
    if (!now || !net.totals.complete || !now.totals.complete) return;
    const bytes = net.memory.trainingPeak - now.memory.trainingPeak;
    if (!best || bytes > best.bytes) best = { bytes, name: net.name };
  });
  return best;
}

/** Whether the edited text has a problem the original has not: more of some code (the budget warning apart). */
function addsProblems(before: Analysis, after: Analysis): boolean {
  const count = (x: Analysis) => {
    const m = new Map<string, number>();
    for (const d of x.diagnostics) if (d.code !== Codes.memoryOverBudget) m.set(d.code, (m.get(d.code) ?? 0) + 1);
    return m;
  };
  const was = count(before);
  for (const [code, n] of count(after)) if (n > (was.get(code) ?? 0)) return true;
  return false;
}

/**
 * One level of the file's indentation: how much deeper the statement sits than the line that opens its body
 * (two spaces, four, a tab), so the new body is indented as the formatter indents it with the same unit.
 * Two spaces, the formatter's default, when the text does not say.
 */
function unitOf(doc: Doc, stmt: Stmt, body: Body): string {
  const own = doc.indentOf(stmt.start);
  const outer = lineIndent(doc, body.start);
  return own !== undefined && own.length > outer.length && own.startsWith(outer) ? own.slice(outer.length) : '  ';
}

/** The spaces and tabs a line starts with. */
function lineIndent(doc: Doc, offset: number): string {
  const start = doc.lineStart(offset);
  return doc.text.slice(start, doc.blankAfter(start));
}

/**
 * The edits that take a `checkpoint` away and keep its body's statements where it was. Written as the
 * formatter writes it (`checkpoint {` ending its line, `}` alone on its own), the two lines go and the body
 * moves out one level; a comment on either line stays, on a line of its own. On one line, the body replaces
 * the statement. Undefined when there is nothing to keep or the statement is not a plain checkpoint.
 */
function unwrapEdits(doc: Doc, stmt: Stmt): TextEdit[] | undefined {
  const body = stmt.body;
  if (!body || !body.closed || body.stmts.length === 0 || stmt.args.length > 0 || stmt.alias || stmt.shortcut) return undefined;
  const open = body.start + 1;
  const close = body.end - 1;
  const text = doc.text;
  if (doc.lineStart(open) === doc.lineStart(close)) return [{ span: { start: stmt.start, end: stmt.end }, newText: text.slice(open, close).trim() }];
  const outer = doc.indentOf(stmt.start);
  if (outer === undefined || !doc.endsLine(open) || doc.indentOf(close) === undefined || !doc.endsLine(body.end)) {
    // Not laid out as the formatter lays it out: the braces go and the lines stay as they are.
    return [deletion({ start: stmt.start, end: doc.blankAfter(open) }), deletion({ start: doc.blankBefore(close), end: body.end })];
  }
  const inner = doc.indentOf(body.stmts[0].start);
  const unit = inner !== undefined && inner.length > outer.length && inner.startsWith(outer) ? inner.slice(outer.length) : '  ';
  const edits: TextEdit[] = [braceLine(doc, stmt.start, open)];
  const closeLine = doc.lineStart(close);
  for (let at = doc.nextLine(doc.lineEnd(stmt.start)); at < closeLine; at = doc.nextLine(doc.lineEnd(at))) {
    if (text.startsWith(outer + unit, at) && !doc.isBlankLine(at)) edits.push(deletion({ start: at + outer.length, end: at + outer.length + unit.length }));
  }
  edits.push(braceLine(doc, close, body.end));
  return edits;
}

/**
 * The edit for a line that holds `checkpoint {` or `}` (from `start` to `end`) and perhaps a comment: without
 * a comment the whole line goes; with one, only the code, and the comment keeps the line's indentation.
 */
function braceLine(doc: Doc, start: number, end: number): TextEdit {
  const after = doc.blankAfter(end);
  if (doc.text[after] === '#') return deletion({ start, end: after });
  const line = doc.lineStart(start);
  return deletion({ start: line, end: doc.nextLine(doc.lineEnd(start)) });
}
