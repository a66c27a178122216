import type { Analysis } from '../analysis/analyze.js';
import { shortFacts } from './explain.js';
import { findOp } from '../ops/index.js';
import { LayerIndex, statements, symbols } from './query.js';
import { KEYWORDS, type Stmt } from '../syntax/syntax.js';
import type { Span } from '../base/text.js';

/** The structure of a file for outlines, folding and highlighting. */

export interface OutlineItem {
  name: string;
  kind: 'network' | 'block' | 'layer' | 'structure' | 'call';
  detail?: string;
  span: Span;
  selection: Span;
  children: OutlineItem[];
}

export function outline(a: Analysis, index = new LayerIndex(a)): OutlineItem[] {
  return a.file.decls.flatMap((decl): OutlineItem[] => {
    if (!decl.name) return [];
    const net = a.networks.find((n) => n.decl === decl);
    const detail = net ? `${net.layers.length} layers${net.output !== undefined && net.layers[net.output].facts ? ` → ${net.layers[net.output].facts!.shape.join('x')}` : ''}` : `(${decl.kind === 'block' ? decl.params.map((p) => p.name.name).join(', ') : ''})`;
    return [{ name: decl.name.name, kind: decl.kind, detail, span: decl, selection: decl.name, children: (decl.body?.stmts ?? []).map((s) => item(s, a, index)) }];
  });
}

function item(stmt: Stmt, a: Analysis, index: LayerIndex): OutlineItem {
  const head = stmt.head.name;
  const kind = a.blocks.has(head) ? 'call' : stmt.body ? 'structure' : 'layer';
  const groups = index.of(stmt);
  const facts = groups.length > 0 ? shortFacts(groups[0].layers) : undefined;
  const text = a.text.slice(stmt.head.start, stmt.args.length ? stmt.args[stmt.args.length - 1].end : stmt.head.end);
  const children = [...(stmt.body?.stmts ?? []), ...(stmt.shortcut?.body?.stmts ?? [])].map((s) => item(s, a, index));
  return { name: text, kind, detail: facts, span: stmt, selection: stmt.head, children };
}

export interface Fold {
  start: number;
  end: number;
  kind?: 'comment';
}

/** Bodies that span lines, and runs of two or more full-line comments. */
export function folds(a: Analysis): Fold[] {
  const out: Fold[] = [];
  const multiline = (s: Span) => a.text.slice(s.start, s.end).includes('\n');
  for (const decl of a.file.decls) {
    if (decl.body && multiline(decl.body)) out.push({ start: decl.start, end: decl.body.end });
    for (const { stmt } of statements(decl.body?.stmts ?? [])) {
      if (stmt.body && multiline(stmt.body)) out.push({ start: stmt.start, end: stmt.body.end });
      if (stmt.shortcut?.body && multiline(stmt.shortcut.body)) out.push({ start: stmt.shortcut.keyword.start, end: stmt.shortcut.body.end });
    }
  }
  let run: Span[] = [];
  const flush = () => {
    if (run.length >= 2) out.push({ start: run[0].start, end: run[run.length - 1].end, kind: 'comment' });
    run = [];
  };
  for (const c of a.file.comments) {
    const lineStart = a.text.lastIndexOf('\n', c.start - 1) + 1;
    const ownLine = a.text.slice(lineStart, c.start).trim() === '';
    const prev = run[run.length - 1];
    if (ownLine && (!prev || !a.text.slice(prev.end, c.start).trim() && (a.text.slice(prev.end, c.start).match(/\n/g) ?? []).length === 1)) run.push(c);
    else {
      flush();
      if (ownLine) run.push(c);
    }
  }
  flush();
  return out.sort((x, y) => x.start - y.start);
}

export const TOKEN_TYPES = ['keyword', 'function', 'class', 'parameter', 'variable', 'property', 'number', 'enumMember'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export interface SemanticToken {
  start: number;
  length: number;
  type: TokenType;
  declaration: boolean;
}

/** Meaning-aware highlighting: ops, blocks, parameters, named tensors, attributes and their words. */
export function semanticTokens(a: Analysis): SemanticToken[] {
  const out: SemanticToken[] = [];
  const push = (s: Span, type: TokenType, declaration = false) => out.push({ start: s.start, length: s.end - s.start, type, declaration });
  const names = symbols(a);
  const named = new Map(names.map((n) => [n.span.start, n]));
  for (const decl of a.file.decls) {
    push(decl.keyword, 'keyword');
    for (const { stmt } of statements(decl.body?.stmts ?? [])) {
      const head = stmt.head.name;
      const op = findOp(head);
      if (op) push(stmt.head, 'function');
      else if ((KEYWORDS as readonly string[]).includes(head)) push(stmt.head, 'keyword');
      if (stmt.shortcut) push(stmt.shortcut.keyword, 'keyword');
      for (const arg of stmt.args) {
        const v = arg.value;
        if (arg.key && op?.attrs.some((s) => s.name === arg.key!.name)) push(arg.key, 'property');
        if (v.kind === 'name' && !named.has(v.start)) {
          const spec = op?.attrs.find((s) => s.name === v.name);
          if (spec) push(v, 'property');
          else if (op?.attrs.some((s) => s.values?.includes(v.name))) push(v, 'enumMember');
        }
      }
    }
  }
  for (const n of names) push(n.span, n.kind === 'block' ? 'class' : n.kind === 'param' ? 'parameter' : 'variable', n.decl);
  for (const decl of a.file.decls) {
    if (decl.kind === 'network' && decl.name) push(decl.name, 'class', true);
    // `as` is not in the tree: it is the word just before the alias.
    for (const { stmt } of statements(decl.body?.stmts ?? [])) {
      if (!stmt.alias) continue;
      const before = a.text.lastIndexOf('as', stmt.alias.start);
      if (before >= 0) push({ start: before, end: before + 2 }, 'keyword');
    }
  }
  return out.filter((t) => t.length > 0).sort((x, y) => x.start - y.start || y.length - x.length).filter((t, i, all) => i === 0 || t.start >= all[i - 1].start + all[i - 1].length);
}
