import { OPS } from '../ops/index.js';
import { defaultText, type OpDef } from '../ops/types.js';

/** What the graph editor's palette offers: one entry per op, with a statement that inserts it. */
export interface PaletteEntry {
  op: string;
  /** The op registry's family: conv, pool, dense, norm, activation, merge, shape. */
  family: string;
  /** A complete statement to insert: `conv 64 3x3 pad 1`. */
  text: string;
  summary: string;
}

/** Families in the order a network is mostly built from them; a family not listed comes last. */
const FAMILY_ORDER = ['conv', 'norm', 'activation', 'pool', 'dense', 'shape', 'merge'];

/**
 * Every op a layer can be added with, grouped by family (conv first: what a network is mostly made of), in
 * registry order within one, and last `input`, which starts an empty network. Left out: ops that read
 * tensors named elsewhere (`add`, `mul`, `concat`), which no statement on its own can show.
 */
export function palette(): PaletteEntry[] {
  const layers = OPS.filter((op) => !op.source);
  const rank = (family: string) => (FAMILY_ORDER.includes(family) ? FAMILY_ORDER.indexOf(family) : FAMILY_ORDER.length);
  const families = [...new Set(layers.map((op) => op.family))].sort((a, b) => rank(a) - rank(b));
  const ordered = [...families.flatMap((family) => layers.filter((op) => op.family === family)), ...OPS.filter((op) => op.source)];
  return ordered.flatMap((op) => {
    const text = exampleOf(op);
    return text === undefined ? [] : [{ op: op.name, family: op.family, text, summary: op.summary }];
  });
}

/** The op's own example, else its name and its positional defaults (`dropout 0.5`, `upsample 2`). */
function exampleOf(op: OpDef): string | undefined {
  if (op.example) return op.example;
  const values: string[] = [];
  for (const spec of op.attrs) {
    if (spec.kind === 'tensors' || spec.required) return undefined;
    if (spec.positional && spec.default !== undefined) values.push(defaultText(spec));
  }
  return [op.name, ...values].join(' ');
}
