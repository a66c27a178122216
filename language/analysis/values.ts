import { formatCount } from '../base/format.js';
import { formatShape } from '../base/shape.js';
import { explicitPads, type AttrSpec, type AttrValue, type Pads } from '../ops/types.js';
import type { Expr } from '../syntax/syntax.js';
import type { Span } from '../base/text.js';

/** What an expression evaluates to before an attribute gives it a type. */
export type Value =
  | { kind: 'num'; value: number }
  | { kind: 'list'; values: number[] }
  | { kind: 'word'; word: string; span: Span };

/** Largest size or channel count Stride accepts: past it, element counts lose precision. */
export const MAX_DIM = 1 << 20;

/** The names an expression can use: block parameters and their values. */
export type Lookup = ReadonlyMap<string, Value>;

export class ValueError {
  constructor(
    readonly message: string,
    readonly span: Span,
  ) {}
}

const SMALL = 1024;
const smallNumbers: Value[] = Array.from({ length: SMALL }, (_, value) => ({ kind: 'num', value }));
const pairs = new Map<number, readonly [number, number]>();

/** A number as a value; small whole numbers, the usual case, share one object each. */
function num(value: number): Value {
  return Number.isInteger(value) && value >= 0 && value < SMALL ? smallNumbers[value] : { kind: 'num', value };
}

/** An H, W pair; small ones are shared, so the layers of a network do not each hold a copy. */
function pair(h: number, w: number): readonly [number, number] {
  if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 0 && w >= 0 && h < SMALL && w < SMALL)) return [h, w];
  const key = h * SMALL + w;
  let p = pairs.get(key);
  if (!p) pairs.set(key, (p = [h, w]));
  return p;
}

/** Evaluates an expression; names are looked up, or kept as words for the caller to interpret. */
export function evaluate(e: Expr, lookup: Lookup): Value {
  switch (e.kind) {
    case 'error':
      // The parser has reported it; an empty message tells the caller not to report it again.
      throw new ValueError('', e);
    case 'number':
      return num(e.value);
    case 'dims':
      return { kind: 'list', values: e.values };
    case 'name':
      return lookup.get(e.name) ?? { kind: 'word', word: e.name, span: e };
    case 'tuple': {
      const values: number[] = [];
      for (const item of e.items) {
        const v = evaluate(item, lookup);
        if (v.kind === 'num') values.push(v.value);
        else if (v.kind === 'list') values.push(...v.values);
        else throw new ValueError(`unknown name \`${v.word}\` in a tuple of numbers`, v.span);
      }
      return { kind: 'list', values };
    }
    case 'negate': {
      const v = number(evaluate(e.operand, lookup), e.operand);
      return num(-v);
    }
    case 'binary': {
      const a = number(evaluate(e.left, lookup), e.left);
      const b = number(evaluate(e.right, lookup), e.right);
      switch (e.op) {
        case '+':
          return num(a + b);
        case '-':
          return num(a - b);
        case '*':
          return num(a * b);
        case '/':
          if (b === 0) throw new ValueError('division by zero', e);
          return num(a / b);
      }
    }
  }
}

function number(v: Value, at: Span): number {
  if (v.kind === 'num') return v.value;
  if (v.kind === 'word') throw new ValueError(`unknown name \`${v.word}\``, v.span);
  throw new ValueError(`arithmetic needs plain numbers, not the size ${v.values.join('x')}`, at);
}

export function describeValue(v: Value): string {
  if (v.kind === 'num') return `${v.value}`;
  if (v.kind === 'list') return formatShape(v.values);
  return `\`${v.word}\``;
}

function wholeInRange(n: number, spec: AttrSpec): boolean {
  const min = spec.min ?? 0;
  return Number.isInteger(n) && n >= min && n <= (spec.max ?? MAX_DIM);
}

function expectWhole(spec: AttrSpec): string {
  return `a whole number from ${spec.min ?? 0} to ${formatCount(spec.max ?? MAX_DIM)}`;
}


/** Why a value does not suit an attribute. */
export class Mismatch {
  constructor(readonly message: string) {}
}

/** Converts a value to what the attribute expects, or says what was expected instead. */
export function convert(spec: AttrSpec, v: Value): AttrValue | Mismatch {
  const r = convertOrMessage(spec, v);
  return r instanceof Expected ? new Mismatch(r.message) : r;
}

class Expected {
  constructor(readonly message: string) {}
}

function convertOrMessage(spec: AttrSpec, v: Value): AttrValue | Expected {
  const shown = describeValue(v);
  switch (spec.kind) {
    case 'int':
      if (v.kind === 'num' && wholeInRange(v.value, spec)) return v.value;
      return new Expected(`\`${spec.name}\` must be ${expectWhole(spec)}, not ${shown}`);
    case 'float': {
      const min = spec.min ?? -Infinity;
      const max = spec.max ?? Infinity;
      if (v.kind === 'num' && v.value >= min && (spec.maxExclusive ? v.value < max : v.value <= max)) return v.value;
      const range = spec.max === undefined ? `at least ${min}` : `from ${min} to ${max}${spec.maxExclusive ? ' (excluded)' : ''}`;
      return new Expected(`\`${spec.name}\` must be a number ${range}, not ${shown}`);
    }
    case 'pair': {
      if (v.kind === 'num' && wholeInRange(v.value, spec)) return pair(v.value, v.value);
      if (v.kind === 'list' && v.values.length === 2 && wholeInRange(v.values[0], spec) && wholeInRange(v.values[1], spec)) return pair(v.values[0], v.values[1]);
      return new Expected(`\`${spec.name}\` must be ${expectWhole(spec)} or two of them as HxW, not ${shown}`);
    }
    case 'shape': {
      const vals = v.kind === 'num' ? [v.value] : v.kind === 'list' ? v.values : [];
      if ((vals.length === 3 || vals.length === 1) && vals.every((n) => wholeInRange(n, spec))) return vals;
      if (vals.length === 2) return new Expected(`an input shape is H x W x C: write ${shown}x1 for one channel or ${shown}x3 for RGB`);
      return new Expected(`\`${spec.name}\` must be H x W x C (like 224x224x3) or a feature count, not ${shown}`);
    }
    case 'pads':
      return convertPads(v, shown);
    case 'enum':
      if (v.kind === 'word' && spec.values?.includes(v.word)) return v.word;
      return new Expected(`\`${spec.name}\` must be one of ${spec.values?.map((w) => `\`${w}\``).join(', ')}, not ${shown}`);
    case 'flag':
      return new Expected(`\`${spec.name}\` is a flag and takes no value`);
    case 'tensors':
      return new Expected(`\`${spec.name}\` takes tensor names`);
  }
}

function convertPads(v: Value, shown: string): Pads | Expected {
  if (v.kind === 'word' && (v.word === 'same' || v.word === 'valid')) return { mode: v.word };
  const vals = v.kind === 'num' ? [v.value] : v.kind === 'list' ? v.values : [];
  const ok = vals.every((n) => Number.isInteger(n) && n >= 0 && n <= MAX_DIM);
  if (ok && vals.length === 1) return explicitPads(vals[0], vals[0], vals[0], vals[0]);
  if (ok && vals.length === 2) return explicitPads(vals[0], vals[1], vals[0], vals[1]);
  if (ok && vals.length === 4) return explicitPads(vals[0], vals[1], vals[2], vals[3]);
  return new Expected(`\`pad\` must be a whole number ≥ 0, HxW, (top, left, bottom, right), \`same\` or \`valid\`, not ${shown}`);
}
