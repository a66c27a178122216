import type { TextEdit } from '../base/diagnostics.js';
import { applyEdits, deletion, Doc, insertion, parseLine, stale } from './edit-doc.js';
import type { GraphEditResult } from './graph-edit-types.js';
import { findOp } from '../ops/index.js';
import type { AttrSpec, OpDef } from '../ops/types.js';
import { parse } from '../syntax/parser.js';
import type { Stmt } from '../syntax/syntax.js';
import type { Span } from '../base/text.js';
import { bindArgs, settable, writtenValues, type Binding, type Written } from '../analysis/written.js';

/** Setting an attribute's value in a statement's text (see graph-edit.ts for the rules). */

export function setAttribute(doc: Doc, offset: number, name: string, rawValue: string): GraphEditResult {
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
