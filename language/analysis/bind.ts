import { Codes, type Code, type Fix } from '../base/diagnostics.js';
import { didYouMean } from '../base/suggest.js';
import type { Span } from '../base/text.js';
import { AttrLayout, defaultText, type AttrSpec, type AttrValue, type Tensor, type TensorArg } from '../ops/types.js';
import type { Expr, Stmt } from '../syntax/syntax.js';
import type { Scope } from './layer.js';
import { convert, Mismatch, type Value } from './values.js';

/**
 * Binding: a statement's values matched to its op's attributes or its block's parameters — `name value`
 * pairs, flags, then positional values in spec order — with unknown, duplicate, missing and badly typed
 * attributes reported.
 */

/** What binding needs from the elaborator: values and tensors in scope, and where problems go. */
export interface BindContext {
  value(e: Expr, scope: Scope): Value | undefined;
  tensor(name: string, at: Span, scope: Scope): Tensor | undefined;
  fail(code: Code, message: string, at: Span, scope: Scope, fixes?: Fix[]): void;
}

export interface Bound {
  layout: AttrLayout;
  /** Checked values by spec position; undefined where not written. */
  values: readonly (AttrValue | undefined)[];
  /** Block calls: parameter values, unchecked. */
  raw: Map<string, Value>;
  /** Where each written attribute's value is, by spec position. */
  spans: readonly (Span | undefined)[];
  failed: boolean;
}

const NO_RAW = new Map<string, Value>();

const layouts = new Map<readonly AttrSpec[], AttrLayout>();

/** An op's layout, built once; block parameters are new specs at every call and are not kept. */
export function layoutOf(specs: readonly AttrSpec[]): AttrLayout {
  let layout = layouts.get(specs);
  if (!layout) layouts.set(specs, (layout = new AttrLayout(specs)));
  return layout;
}

export const NONE: readonly undefined[] = [];

const bareBindings = new WeakMap<AttrLayout, Bound>();

export function bareBinding(layout: AttrLayout): Bound {
  let b = bareBindings.get(layout);
  if (!b) {
    b = { layout, values: NONE, raw: NO_RAW, spans: NONE, failed: false };
    bareBindings.set(layout, b);
  }
  return b;
}

export function attrSpan(bound: Bound, name: string): Span | undefined {
  const i = bound.layout.position.get(name);
  return i === undefined ? undefined : bound.spans[i];
}


export function spanOf(s: Span): Span {
  return { start: s.start, end: s.end };
}

function unknownNameMessage(word: string, spec: AttrSpec, scope: Scope): string {
  const hint = didYouMean(word, scope.params.keys());
  return `unknown name \`${word}\` for \`${spec.name}\`${hint || (scope.params.size === 0 ? ': names are block parameters, and this layer is not inside a block' : '')}`;
}

export function suggestionFix(word: string, candidates: Iterable<string>, at: Span): Fix[] {
  const hint = didYouMean(word, candidates);
  const m = /`([^`]+)`/.exec(hint);
  return m ? [{ title: `Change to \`${m[1]}\``, preferred: true, edits: [{ span: spanOf(at), newText: m[1] }] }] : [];
}

export function bindValues(ctx: BindContext, layout: AttrLayout, stmt: Stmt, scope: Scope, what: string, raw: boolean): Bound {
  const { byName, positional, variadic, position, specs } = layout;
  // Values and spans by spec position; spans point at the syntax nodes themselves, since binding runs for
  // every layer and must allocate little.
  const values: (AttrValue | undefined)[] = new Array(specs.length);
  const spans: (Span | undefined)[] = new Array(specs.length);
  const rawValues = raw ? new Map<string, Value>() : NO_RAW;
  const tensors: TensorArg[] = [];
  let failed = false;
  let nextPositional = 0;
  const args = stmt.args;
  const fail = (code: Code, message: string, at: Span, fixes?: Fix[]) => {
    failed = true;
    ctx.fail(code, message, at, scope, fixes);
  };

  const assign = (spec: AttrSpec, expr: Expr | undefined, at: Span) => {
    const i = position.get(spec.name)!;
    if (spans[i] !== undefined) {
      fail(Codes.duplicateAttribute, `\`${spec.name}\` is given twice`, at);
      return;
    }
    spans[i] = expr ?? at;
    if (raw) {
      if (!expr) return;
      const v = ctx.value(expr, scope);
      if (v) rawValues.set(spec.name, v);
      else failed = true;
      return;
    }
    if (spec.kind === 'flag') {
      values[i] = true;
      return;
    }
    if (!expr) {
      fail(Codes.missingValue, `\`${spec.name}\` needs a value${spec.default !== undefined ? ` (default ${defaultText(spec)})` : ''}`, at);
      return;
    }
    const v = ctx.value(expr, scope);
    if (!v) {
      failed = true;
      return;
    }
    const converted = convert(spec, v);
    if (converted instanceof Mismatch) {
      if (v.kind === 'word' && !spec.values) {
        fail(Codes.unknownName, unknownNameMessage(v.word, spec, scope), spanOf(expr));
      } else {
        const hint = v.kind === 'word' ? didYouMean(v.word, spec.values ?? []) : '';
        fail(Codes.badValue, converted.message + hint, spanOf(expr), v.kind === 'word' ? suggestionFix(v.word, spec.values ?? [], spanOf(expr)) : []);
      }
      return;
    }
    values[i] = converted;
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.key) {
      const spec = byName.get(arg.key.name);
      if (!spec) fail(Codes.unknownAttribute, `${what} has no attribute \`${arg.key.name}\`${didYouMean(arg.key.name, byName.keys())}`, arg.key, suggestionFix(arg.key.name, byName.keys(), arg.key));
      else assign(spec, spec.kind === 'flag' && !raw ? undefined : arg.value, arg);
      continue;
    }
    const word = arg.value.kind === 'name' ? arg.value.name : undefined;
    // A callee's attribute or parameter name is a keyword, except a name of the caller's own parameters
    // while a value can still go in order: in `block Outer(c, n) { Inner c n }` both are values. To pass
    // one by keyword there, write `n=n`.
    const slot = positional[nextPositional];
    const inOrder = word !== undefined && scope.params.has(word) && slot !== undefined && slot.kind !== 'tensors';
    const keyword = word !== undefined && !inOrder ? byName.get(word) : undefined;
    if (keyword) {
      if (keyword.kind === 'flag' && !raw) {
        assign(keyword, undefined, arg);
        continue;
      }
      const valueArg = args[i + 1];
      if (!valueArg || valueArg.key) {
        fail(Codes.missingValue, `\`${keyword.name}\` needs a value${keyword.default !== undefined ? ` (default ${defaultText(keyword)})` : ''}`, arg);
        continue;
      }
      i++;
      assign(keyword, valueArg.value, { start: arg.start, end: valueArg.end });
      continue;
    }
    if (variadic && nextPositional >= positional.indexOf(variadic) && word !== undefined && !scope.params.has(word)) {
      const t = ctx.tensor(word, arg, scope);
      if (t) tensors.push({ name: word, tensor: t, span: arg });
      else failed = true;
      spans[position.get(variadic.name)!] = arg;
      continue;
    }
    const spec = positional[nextPositional];
    if (spec && spec.kind !== 'tensors') {
      nextPositional++;
      assign(spec, arg.value, arg);
      continue;
    }
    // A name that is neither an attribute nor a parameter: most likely a misspelt attribute.
    if (word !== undefined && !scope.params.has(word)) {
      fail(Codes.unknownAttribute, `${what} has no attribute \`${word}\`${didYouMean(word, byName.keys())}`, arg, suggestionFix(word, byName.keys(), arg));
      if (args[i + 1] && !args[i + 1].key && !(args[i + 1].value.kind === 'name' && byName.has((args[i + 1].value as { name: string }).name))) i++;
      continue;
    }
    const expected = positional.filter((s) => s.kind !== 'tensors').map((s) => s.name);
    fail(Codes.tooManyValues, `${what} takes ${expected.length === 0 ? 'no values' : `${expected.length} value${expected.length > 1 ? 's' : ''} in order (${expected.join(', ')})`}; this one is extra`, arg);
  }
  if (variadic && tensors.length > 0) values[position.get(variadic.name)!] = tensors;
  if (variadic && tensors.length === 0 && !failed) {
    fail(Codes.missingValue, `${what} needs the names of the tensors to combine with the current one: \`${what} enc1\``, stmt.head);
  }
  for (const spec of specs) {
    if (raw || values[position.get(spec.name)!] !== undefined || spec.kind === 'tensors') continue;
    if (spec.required) {
      if (!failed) fail(Codes.missingValue, `${what} needs \`${spec.name}\`: ${spec.doc}`, stmt.head);
      else failed = true;
    }
  }
  return { layout, values, raw: rawValues, spans, failed };
}
