import type { CallFrame } from '../analysis/layer.js';
import { evaluate, type Value } from '../analysis/values.js';
import { Attrs, type AttrValue, type Pads } from '../ops/types.js';
import { pyFloat } from '../ops/torch.js';
import type { Expr } from '../syntax/syntax.js';

/**
 * What turns the calls of one block into one PyTorch class with constructor arguments (`views/pytorch.ts`):
 * a value of the calls written as a Python expression of the block's parameters and input channels, checked
 * against every call; sentinel numbers that show where a value lands in a module's text; and the
 * comparison of a class's text, as called, with each call's own.
 */

/** A value of each call and how the class writes it: `c * 4`, `in_channels`, `64`. */
export interface Symbolic {
  py: string;
  /** Its value in each call of the class. */
  values: number[];
  /** A plain number: nothing to pass, nothing to mark. */
  literal: boolean;
}

export const literal = (v: number): Symbolic => ({ py: numberText(v), values: [], literal: true });

/** Whether a symbolic value has `values` in every call: a literal stands for any number of calls. */
export function agrees(s: Symbolic, values: readonly number[]): boolean {
  if (s.literal) return values.every((v) => v === Number(s.py));
  return s.values.length === values.length && s.values.every((v, i) => v === values[i]);
}

/** A number as Python writes it: `64`, `0.5`. */
export function numberText(v: number): string {
  return Number.isInteger(v) ? `${v}` : pyFloat(v);
}

/** A block parameter's value as a Python literal: `2`, `(3, 3)`, `'bilinear'`. */
export function pyValue(v: Value): string {
  if (v.kind === 'num') return numberText(v.value);
  if (v.kind === 'list') return `(${v.values.join(', ')}${v.values.length === 1 ? ',' : ''})`;
  return `'${v.word}'`;
}

const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2 } as const;

/**
 * A written expression of a block's parameters as Python, with its value in each call (undefined when it is
 * not a plain number in every call: a size `3x3`, a word). A division that is whole in every call is `//`.
 */
export function translate(e: Expr, frames: readonly CallFrame[], pyName: (param: string) => string): Symbolic | undefined {
  const values: number[] = [];
  for (const f of frames) {
    let v: Value;
    try {
      v = evaluate(e, f.params);
    } catch {
      return undefined;
    }
    if (v.kind !== 'num') return undefined;
    values.push(v.value);
  }
  const text = (x: Expr, parent = 0, right = false): string | undefined => {
    switch (x.kind) {
      case 'number':
        return numberText(x.value);
      case 'name':
        return frames.every((f) => f.params.get(x.name)?.kind === 'num') ? pyName(x.name) : undefined;
      case 'negate': {
        const inner = text(x.operand, 3);
        return inner === undefined ? undefined : `-${inner}`;
      }
      case 'binary': {
        const p = PRECEDENCE[x.op];
        const l = text(x.left, p);
        const r = text(x.right, p, true);
        if (l === undefined || r === undefined) return undefined;
        let op: string = x.op;
        if (op === '/') {
          const whole = frames.every((f) => {
            const a = evaluate(x.left, f.params);
            const b = evaluate(x.right, f.params);
            return a.kind === 'num' && b.kind === 'num' && Number.isInteger(a.value) && Number.isInteger(b.value) && Number.isInteger(a.value / b.value);
          });
          if (whole) op = '//';
        }
        const s = `${l} ${op} ${r}`;
        return p < parent || (right && p === parent) ? `(${s})` : s;
      }
      default:
        return undefined;
    }
  };
  const py = text(e);
  if (py === undefined) return undefined;
  return { py, values, literal: !hasName(e) };
}

function hasName(e: Expr): boolean {
  if (e.kind === 'name') return true;
  if (e.kind === 'binary') return hasName(e.left) || hasName(e.right);
  if (e.kind === 'negate') return hasName(e.operand);
  return false;
}

/** Numbers no layer has, each standing for one value while a module's text is made: 9,000,000 + 1,009·k. */
export const sentinel = (k: number): number => 9_000_000 + 1_009 * k;

/** An attribute's value with its number(s) replaced by `s`, when it is one number, or all its numbers are one. */
export function sentinelValue(v: AttrValue | undefined, s: number): AttrValue | undefined {
  if (typeof v === 'number') return s;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && x === v[0])) return v.map(() => s);
  if (v && typeof v === 'object' && !Array.isArray(v) && (v as Pads).mode === 'explicit') {
    const p = v as Extract<Pads, { mode: 'explicit' }>;
    if (p.sides.every((x) => x === p.sides[0])) return { mode: 'explicit', top: s, left: s, bottom: s, right: s, sides: [s, s, s, s] };
  }
  return undefined;
}

/** The attributes with one replaced. */
export function withAttr(attrs: Attrs, name: string, v: AttrValue): Attrs | undefined {
  const i = attrs.layout.position.get(name);
  if (i === undefined) return undefined;
  const given = [...attrs.given];
  given[i] = v;
  return new Attrs(attrs.layout, given);
}

/** The value an attribute has, written or by default. */
export function attrValue(attrs: Attrs, name: string): AttrValue | undefined {
  const i = attrs.layout.position.get(name);
  if (i === undefined) return undefined;
  return attrs.given[i] ?? attrs.layout.defaults[i];
}

/** A whole number in a text, alone or as a float literal (`9000000.0`, as `pyFloat` writes a float value). */
const WHOLE = /(?<![\w.])(\d+)(\.0)?(?![\w.])/g;

/** A text with each sentinel number replaced: by a string, or by a number written as the text wrote it. */
export function fill(text: string, by: ReadonlyMap<number, string | number>): string {
  return text.replace(WHOLE, (all, n: string, float?: string) => {
    const v = by.get(Number(n));
    if (v === undefined) return all;
    return typeof v === 'string' ? v : float ? pyFloat(v) : numberText(v);
  });
}

/**
 * Values of each call as a multiple or a fraction of a base (a parameter, an input's channels): `c // 2`,
 * `in_channels * 4`, or the base itself; the first base that gives them.
 */
export function fit(values: readonly number[], bases: readonly Symbolic[]): Symbolic | undefined {
  for (const b of bases) {
    if (b.literal || b.values.length !== values.length || b.values.some((v) => v === 0)) continue;
    const term = /^\w+$/.test(b.py) ? b.py : `(${b.py})`;
    if (values.every((v, i) => v === b.values[i])) return b;
    const times = values[0] / b.values[0];
    if (Number.isInteger(times) && values.every((v, i) => v === b.values[i] * times)) return { py: `${term} * ${times}`, values: [...values], literal: false };
    const parts = b.values[0] / values[0];
    if (Number.isInteger(parts) && values.every((v, i) => v * parts === b.values[i])) return { py: `${term} // ${parts}`, values: [...values], literal: false };
  }
  return undefined;
}

/** Whether a text still holds a sentinel (a value the class could not write). */
export function hasSentinel(text: string, sentinels: ReadonlySet<number>): boolean {
  for (const m of text.matchAll(WHOLE)) if (sentinels.has(Number(m[0]))) return true;
  return false;
}

/** A module's text without the keywords PyTorch defaults to, which the ops' forms leave out: to compare two. */
export function canonical(module: string): string {
  return module.replace(/, (?:stride|dilation|groups)=1(?=[,)])/g, '').replace(/, padding=0(?=[,)])/g, '');
}
