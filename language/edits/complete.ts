import type { Analysis } from '../analysis/analyze.js';
import { signature } from '../analysis/layer.js';
import { opHover } from '../views/explain.js';
import { lex, type Token } from '../syntax/lexer.js';
import { findOp, OPS } from '../ops/index.js';
import { defaultText, type AttrSpec, type OpDef } from '../ops/types.js';
import { contains, statements } from '../views/query.js';
import type { BlockDecl, Stmt } from '../syntax/syntax.js';

/** Completion and signature help: what may be written at an offset, computed from the text alone. */

export type CompletionKind = 'op' | 'block' | 'keyword' | 'attribute' | 'value' | 'tensor' | 'param' | 'snippet';

export interface Completion {
  label: string;
  kind: CompletionKind;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  /** A snippet in LSP syntax (`${1:64}`), when it differs from the label. */
  snippet?: string;
  /** Sorts first among equals. */
  preselect?: boolean;
  /** Where it sorts in the list before any typing filters it: what usually comes next sorts first. */
  sortText?: string;
}

const STRUCTURES: Completion[] = [
  { label: 'repeat', kind: 'keyword', detail: 'repeat N { … }', documentation: 'Runs its body N times in a row.', snippet: 'repeat ${1:2} {\n\t$0\n}' },
  { label: 'checkpoint', kind: 'keyword', detail: 'checkpoint { … }', documentation: 'Training what-if: the body keeps nothing for backward and runs again in backward (torch.utils.checkpoint); memory drops, compute grows by one more forward of it.', snippet: 'checkpoint {\n\t$0\n}' },
  { label: 'residual', kind: 'keyword', detail: 'residual { … } shortcut { … }', documentation: 'body(x) + shortcut(x); without `shortcut` the shortcut is the identity.', snippet: 'residual {\n\t$0\n}' },
  { label: 'concat', kind: 'keyword', detail: 'concat { branch { … } … }', documentation: 'Runs each branch on the current tensor and concatenates their channels.', snippet: 'concat {\n\tbranch { $1 }\n\tbranch { $2 }\n}' },
  { label: 'from', kind: 'keyword', detail: 'from NAME', documentation: 'Continues from a tensor named earlier with `as`.' },
];

const SNIPPETS: Completion[] = [
  { label: 'conv-bn-relu', kind: 'snippet', detail: 'conv, batchnorm, relu', snippet: 'conv ${1:64} ${2:3x3} pad ${3:1} nobias\nbatchnorm\nrelu' },
  { label: 'basic-block', kind: 'snippet', detail: 'ResNet basic block (two 3x3 convs with a residual)', snippet: 'residual {\n\tconv ${1:64} 3x3 pad 1 nobias\n\tbatchnorm\n\trelu\n\tconv ${1:64} 3x3 pad 1 nobias\n\tbatchnorm\n}\nrelu' },
  { label: 'vgg-stage', kind: 'snippet', detail: 'VGG stage: N convs and a max pool', snippet: 'repeat ${1:2} { conv ${2:64} 3x3 pad 1; relu }\nmaxpool 2x2' },
  { label: 'inception', kind: 'snippet', detail: 'Inception module: 1x1, 3x3, 5x5 and pool branches', snippet: 'concat {\n\tbranch { conv ${1:64} 1x1; relu }\n\tbranch { conv ${2:96} 1x1; relu; conv ${3:128} 3x3 pad 1; relu }\n\tbranch { conv ${4:16} 1x1; relu; conv ${5:32} 5x5 pad 2; relu }\n\tbranch { maxpool 3x3 stride 1 pad 1; conv ${6:32} 1x1; relu }\n}' },
  { label: 'classifier-head', kind: 'snippet', detail: 'global pool, flatten, dense', snippet: 'globalavgpool\nflatten\ndense ${1:1000}' },
];

const TOP_LEVEL: Completion[] = [
  { label: 'network', kind: 'snippet', detail: 'network Name { … }', snippet: 'network ${1:Net} {\n\tinput ${2:224x224x3}\n\t$0\n}' },
  { label: 'block', kind: 'snippet', detail: 'block Name(params) { … }', snippet: 'block ${1:Stage}(${2:c}) {\n\t$0\n}' },
];

interface Context {
  /** Tokens of the current statement before the cursor, the head first. */
  before: Token[];
  /** The statement being written, when the parser has one. */
  stmt?: Stmt;
  inBody: boolean;
  /** Where the current statement starts. */
  start: number;
}

function context(a: Analysis, offset: number): Context {
  const text = a.text;
  let start = offset;
  // Back to the start of the statement: a line break, `;`, `{` or `}`.
  while (start > 0 && !'\n\r;{}'.includes(text[start - 1])) start--;
  const hash = text.slice(start, offset).indexOf('#');
  const tokens = hash >= 0 ? [] : lex(text.slice(start, offset)).tokens.filter((t) => t.kind !== 'eof' && t.kind !== 'newline');
  const shifted = tokens.map((t) => ({ ...t, start: t.start + start, end: t.end + start }));
  const decl = a.file.decls.find((d) => d.body && offset > d.body.start && (offset < d.body.end || !d.body.closed));
  let stmt: Stmt | undefined;
  if (decl?.body) for (const { stmt: s } of statements(decl.body.stmts)) if (contains(s, offset) && s.start >= start) stmt = s;
  return { before: shifted, stmt, inBody: decl !== undefined, start };
}

/** Completions at an offset. */
export function complete(a: Analysis, offset: number): Completion[] {
  const ctx = context(a, offset);
  if (!ctx.inBody) return ctx.before.length === 0 ? TOP_LEVEL : [];
  const typing = ctx.before.length > 0 && a.text[offset - 1] !== ' ' && a.text[offset - 1] !== '\t' ? ctx.before[ctx.before.length - 1] : undefined;
  const done = typing ? ctx.before.slice(0, -1) : ctx.before;
  if (done.length === 0) return heads(a, offset, ctx.start);
  const head = done[0].text;
  const op = findOp(head);
  if (op) {
    const prev = done[done.length - 1].text;
    const prevSpec = op.attrs.find((s) => s.name === prev);
    if (prevSpec?.values) return prevSpec.values.map((v) => ({ label: v, kind: 'value' as const, detail: `${prevSpec.name} ${v}` }));
    if (prevSpec && prevSpec.kind !== 'flag') return [];
    const written = new Set(done.map((t) => t.text));
    const out: Completion[] = op.attrs
      .filter((s) => !s.positional && !written.has(s.name))
      .map((s) => ({ label: s.name, kind: 'attribute' as const, detail: s.kind === 'flag' ? 'flag' : `${s.name} ${defaultText(s)}`, documentation: s.doc, ...attributeSnippet(s) }));
    if (op.attrs.some((s) => s.kind === 'tensors') || head === 'from') out.push(...tensorNames(a, offset));
    return out;
  }
  if (head === 'from') return tensorNames(a, offset);
  const block = a.blocks.get(head);
  if (block) {
    const written = new Set(done.map((t) => t.text));
    return block.params.filter((p) => !written.has(p.name.name)).map((p) => ({ label: p.name.name, kind: 'param' as const, detail: signature(block) }));
  }
  return [];
}

/**
 * What a line may start with. An op with required values comes as a snippet with them as placeholders, so
 * what is inserted is already a valid layer; a structure keyword that is also an op (`concat`) is listed
 * once, with both forms. Sorted by what usually follows the statement before.
 */
function heads(a: Analysis, offset: number, lineStart: number): Completion[] {
  const tensors = tensorNames(a, offset).map((t) => t.label);
  const ops: Completion[] = [];
  const structures = STRUCTURES.map((k) => ({ ...k }));
  for (const op of OPS) {
    const keyword = structures.find((k) => k.label === op.name);
    if (keyword) {
      keyword.detail = `${keyword.detail} or ${op.example ?? `${op.name} NAME`}`;
      keyword.documentation = `${keyword.documentation}\n\n${opHover(op)}`;
      continue;
    }
    const snippet = opSnippet(op, tensors);
    ops.push({ label: op.name, kind: 'op', detail: op.summary, documentation: opHover(op), ...(snippet ? { snippet } : {}) });
  }
  const blocks: Completion[] = [...a.blocks.values()].map((b: BlockDecl) => ({ label: b.name!.name, kind: 'block', detail: `block ${signature(b)}` }));
  const ranked = rank(ops, a, offset, lineStart);
  return [...ranked, ...blocks, ...structures, ...SNIPPETS].map((c, i) => ({ ...c, sortText: String(i).padStart(3, '0') }));
}

/**
 * The op written with its required values as numbered placeholders, `maxpool ${1:2x2}`: the values are the
 * registry's example for the op, or a tensor named before for the tensors an `add` or `concat` reads.
 * Undefined for an op that needs no value.
 */
function opSnippet(op: OpDef, tensors: readonly string[] = []): string | undefined {
  const needed = op.attrs.filter((s) => s.positional && (s.required || s.kind === 'tensors'));
  if (needed.length === 0) return undefined;
  const examples = exampleValues(op);
  const values = needed.map((spec, i) => {
    if (spec.kind === 'tensors') return tensors.length > 1 ? `\${${i + 1}|${tensors.map(escapeChoice).join(',')}|}` : `\${${i + 1}:${escapePlaceholder(tensors[0] ?? 'name')}}`;
    return `\${${i + 1}:${escapePlaceholder(examples[op.attrs.filter((s) => s.positional).indexOf(spec)] ?? fallback(spec))}}`;
  });
  return `${op.name} ${values.join(' ')}`;
}

/** The positional values of the op's example statement (`conv 64 3x3 pad 1` → 64, 3x3), in order. */
function exampleValues(op: OpDef): string[] {
  if (!op.example) return [];
  const tokens = lex(op.example).tokens.slice(1).filter((t) => t.kind !== 'eof' && t.kind !== 'newline');
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'ident' && op.attrs.some((s) => s.name === t.text && !s.positional)) break;
    if (t.text !== '(') {
      out.push(t.text);
      continue;
    }
    let j = i;
    while (j < tokens.length && tokens[j].text !== ')') j++;
    out.push(op.example.slice(t.start, (tokens[j] ?? tokens[tokens.length - 1]).end));
    i = j;
  }
  return out;
}

/** A value of the right kind for a required attribute without an example: the smallest it allows. */
function fallback(spec: AttrSpec): string {
  const n = spec.min ?? 1;
  return spec.kind === 'pair' || spec.kind === 'shape' ? `${n}x${n}` : `${n}`;
}

/** An attribute with a value to write: `stride ${1:1}`, or `mode ${1|nearest,bilinear|}` for a word. */
function attributeSnippet(spec: AttrSpec): { snippet?: string } {
  if (spec.kind === 'flag' || spec.kind === 'tensors') return {};
  if (spec.kind === 'enum' && spec.values) return { snippet: `${spec.name} \${1|${spec.values.map(escapeChoice).join(',')}|}` };
  const fixed = spec.default !== undefined && spec.defaultText === undefined;
  return { snippet: fixed ? `${spec.name} \${1:${escapePlaceholder(defaultText(spec))}}` : `${spec.name} $1` };
}

const escapePlaceholder = (v: string): string => v.replace(/[$}\\]/g, '\\$&');
const escapeChoice = (v: string): string => v.replace(/[$}\\,|]/g, '\\$&');

/**
 * What usually comes after each op family, most usual first: after a conv its normalisation, activation and
 * pooling; after a flatten or a dense layer, a dense layer.
 */
const FOLLOWS: Record<string, readonly string[]> = {
  conv: ['norm', 'activation', 'pool'],
  norm: ['activation', 'pool', 'conv'],
  activation: ['pool', 'conv', 'dense'],
  pool: ['conv', 'dense', 'norm'],
  dense: ['dense', 'activation'],
  merge: ['activation', 'conv', 'pool'],
  shape: ['conv', 'pool', 'norm'],
};

/**
 * The ops in the order they are likely to be wanted on this line: a network's first line is its input;
 * after a statement, the first op of each family that usually follows it, then the rest of those families,
 * then the others in the registry's order.
 */
function rank(ops: Completion[], a: Analysis, offset: number, lineStart: number): Completion[] {
  const decl = a.file.decls.find((d) => d.body && offset > d.body.start && (offset < d.body.end || !d.body.closed));
  if (!decl?.body) return ops;
  let prev: Stmt | undefined;
  for (const { stmt } of statements(decl.body.stmts)) if (stmt.end <= lineStart && (!prev || stmt.end > prev.end)) prev = stmt;
  // After `repeat 2 { conv …; batchnorm }` what follows is what follows its last statement.
  while (prev?.body && prev.body.stmts.length > 0) prev = prev.body.stmts[prev.body.stmts.length - 1];
  const score = new Map<string, number>();
  if (!prev) {
    if (decl.kind === 'network') for (const op of OPS) if (op.source) score.set(op.name, 0);
  } else {
    const before = findOp(prev.head.name);
    const families = FOLLOWS[before?.family ?? ''] ?? [];
    const seen = new Map<string, number>();
    for (const op of OPS) {
      // The input starts a network and appears once: after a statement, it is the least likely of all.
      if (op.source) score.set(op.name, 2000);
      const f = families.indexOf(op.family);
      // A second relu or flatten in a row changes nothing; a second conv or dense is usual.
      if (f < 0 || op.source || (op === before && !opSnippet(op))) continue;
      const nth = seen.get(op.family) ?? 0;
      seen.set(op.family, nth + 1);
      score.set(op.name, nth === 0 ? f : families.length + OPS.indexOf(op));
    }
  }
  const order = (c: Completion) => score.get(c.label) ?? 1000 + OPS.findIndex((op) => op.name === c.label);
  return [...ops].sort((x, y) => order(x) - order(y));
}

/** Tensor names given with `as` before the offset in the same network or block. */
function tensorNames(a: Analysis, offset: number): Completion[] {
  const decl = a.file.decls.find((d) => contains(d, offset));
  if (!decl) return [];
  const out: Completion[] = [];
  for (const { stmt } of statements(decl.body?.stmts ?? [])) {
    if (stmt.alias && stmt.alias.end < offset && !out.some((c) => c.label === stmt.alias!.name)) out.push({ label: stmt.alias.name, kind: 'tensor', detail: `named on line ${lineOf(a.text, stmt.alias.start)}` });
  }
  return out;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export interface SignatureHelp {
  label: string;
  params: { label: string; documentation?: string }[];
  active: number;
}

/** Signature help inside a block call: which parameter the cursor is on. */
export function signatureHelp(a: Analysis, offset: number): SignatureHelp | undefined {
  const ctx = context(a, offset);
  if (ctx.before.length === 0) return undefined;
  const block = a.blocks.get(ctx.before[0].text);
  if (!block) return undefined;
  const names = block.params.map((p) => p.name.name);
  const params = block.params.map((p) => ({ label: p.name.name + (p.default ? ` = ${a.text.slice(p.default.start, p.default.end)}` : '') }));
  // Count positional values before the cursor; a parameter name points at itself.
  const tokens = ctx.before.slice(1);
  let active = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const named = names.indexOf(t.text);
    if (named >= 0 && t.kind === 'ident') {
      active = named;
      i++;
      if (i === tokens.length) return { label: `${block.name!.name}(${params.map((p) => p.label).join(', ')})`, params, active };
      continue;
    }
    if (t.kind !== 'punct' || t.text === ')') active++;
  }
  return { label: `${block.name!.name}(${params.map((p) => p.label).join(', ')})`, params, active: Math.min(active, Math.max(0, params.length - 1)) };
}
