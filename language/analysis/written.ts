import type { AttrSpec, OpDef } from '../ops/types.js';
import type { Arg, Stmt } from '../syntax/syntax.js';

/** How a statement writes its op's attributes, read from the syntax alone: for editing and showing them. */

/** How one attribute is written in a statement. */
export type Written =
  /** `stride=2`; a flag written `nobias=1` is a `flag`. */
  | { form: 'keyed'; spec: AttrSpec; arg: Arg }
  /** `stride 2`: the name, then the value. */
  | { form: 'pair'; spec: AttrSpec; key: Arg; arg: Arg }
  /** `nobias`. */
  | { form: 'flag'; spec: AttrSpec; arg: Arg }
  /** The value alone, bound by its position among the positional values. */
  | { form: 'positional'; spec: AttrSpec; arg: Arg };

export interface Binding {
  attrs: Map<string, Written>;
  /** The values bound by position, in order. */
  positional: Written[];
}

/** The attributes a graph can set: all but the tensor names an `add` or `concat` reads. */
export function settable(op: OpDef): AttrSpec[] {
  return op.attrs.filter((s) => s.kind !== 'tensors');
}

/**
 * Binds a statement's values to its op's attributes as the elaborator's `bindValues` does: `name=value`, a
 * flag's bare name, `name value`, then values by position. The first binding of an attribute wins, as there.
 * In a block's body, a name of the block's `params` is a value while one can still go in order, as there.
 */
export function bindArgs(op: OpDef, stmt: Stmt, params?: ReadonlySet<string>): Binding {
  const byName = new Map(settable(op).map((s) => [s.name, s]));
  const slots = settable(op).filter((s) => s.positional);
  const attrs = new Map<string, Written>();
  const positional: Written[] = [];
  const bind = (w: Written) => {
    if (!attrs.has(w.spec.name)) attrs.set(w.spec.name, w);
  };
  const args = stmt.args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.key) {
      const spec = byName.get(arg.key.name);
      if (spec) bind({ form: spec.kind === 'flag' ? 'flag' : 'keyed', spec, arg });
      continue;
    }
    const inOrder = arg.value.kind === 'name' && params?.has(arg.value.name) && slots[positional.length] !== undefined;
    const spec = arg.value.kind === 'name' && !inOrder ? byName.get(arg.value.name) : undefined;
    if (spec?.kind === 'flag') bind({ form: 'flag', spec, arg });
    else if (spec) {
      // The next value is this attribute's, whatever it is (`stride stride` in a block passes a parameter).
      const value = args[i + 1];
      if (value && !value.key) {
        bind({ form: 'pair', spec, key: arg, arg: value });
        i++;
      }
    } else {
      const slot = slots[positional.length];
      if (!slot) continue;
      const w: Written = { form: 'positional', spec: slot, arg };
      positional.push(w);
      bind(w);
    }
  }
  return { attrs, positional };
}

/** Each attribute a statement writes, with its value as written; a flag reads `true`. */
export function writtenValues(text: string, op: OpDef, stmt: Stmt): Map<string, string> {
  const binding = bindArgs(op, stmt);
  const out = new Map<string, string>();
  for (const [name, w] of binding.attrs) out.set(name, w.form === 'flag' ? 'true' : text.slice(w.arg.value.start, w.arg.value.end));
  return out;
}
