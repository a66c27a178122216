import type { Analysis } from '../analysis/analyze.js';
import type { TextEdit } from '../base/diagnostics.js';
import type { GraphEdit, GraphEditResult } from './graph-edit-types.js';
import { setAttribute } from './edit-attribute.js';
import { applyEdits, Doc, isHighSurrogate } from './edit-doc.js';
import { insert, move, remove, wrap } from './edit-structure.js';
import { parse } from '../syntax/parser.js';

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
export type { GraphEdit, GraphEditResult } from './graph-edit-types.js';

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
  if (syntaxProblems(after) > syntaxProblems(doc.text)) {
    return { error: 'This change would leave a syntax error in the text, so it was not made; make it in the text editor.' };
  }
  const result: { edits: TextEdit[]; select?: number } = { edits: minimal(doc.text, edits) };
  if (planned.select !== undefined) result.select = planned.select;
  return result;
}

/** How many syntax problems a text has, those past the ones the parser keeps included. */
function syntaxProblems(text: string): number {
  const parsed = parse(text);
  return parsed.diagnostics.length + parsed.omitted;
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
