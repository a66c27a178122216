import type { Analysis, NetworkAnalysis } from '../analysis/analyze.js';
import type { Layer } from '../analysis/layer.js';
import type { BlockDecl, Decl, Expr, Ident, Stmt } from '../syntax/syntax.js';
import type { Span } from '../base/text.js';
import { findOp } from '../ops/index.js';

/** Questions editors ask of an analysis: what is at this offset, which layers did this line make. */

export function contains(s: Span, offset: number): boolean {
  return offset >= s.start && offset <= s.end;
}

/** Every statement in a body, depth first, with the statements that enclose it. */
export function* statements(stmts: readonly Stmt[], parents: Stmt[] = []): Generator<{ stmt: Stmt; parents: Stmt[] }> {
  for (const stmt of stmts) {
    yield { stmt, parents };
    const inner = [...parents, stmt];
    if (stmt.body) yield* statements(stmt.body.stmts, inner);
    if (stmt.shortcut?.body) yield* statements(stmt.shortcut.body.stmts, inner);
  }
}

export interface Located {
  decl: Decl;
  /** The innermost statement whose text holds the offset. */
  stmt?: Stmt;
}

/** The declaration and innermost statement at an offset. */
export function locate(a: Analysis, offset: number): Located | undefined {
  const decl = a.file.decls.find((d) => contains(d, offset));
  if (!decl) return undefined;
  let found: Stmt | undefined;
  for (const { stmt } of statements(decl.body?.stmts ?? [])) {
    if (!contains(stmt, offset)) continue;
    // A statement's own line, not the body it opens: `repeat 2 {` answers for its head and values only.
    if (stmt.body && offset > stmt.body.start && offset < stmt.body.end) continue;
    if (stmt.shortcut?.body && offset > stmt.shortcut.body.start) continue;
    found = stmt;
  }
  return { decl, stmt: found };
}

/** Layers each statement made, directly or through the block calls it is; built once per analysis. */
export class LayerIndex {
  private readonly direct = new Map<Stmt, { net: NetworkAnalysis; layers: Layer[] }[]>();
  private readonly viaCall = new Map<Stmt, { net: NetworkAnalysis; layers: Layer[] }[]>();

  constructor(readonly analysis: Analysis) {
    for (const net of analysis.networks) {
      for (const layer of net.layers) {
        add(this.direct, layer.stmt, net, layer);
        for (const frame of layer.calls) add(this.viaCall, frame.call, net, layer);
      }
    }
  }

  /** Layers a statement made itself (in every network and call it ran in). */
  madeBy(stmt: Stmt): { net: NetworkAnalysis; layers: Layer[] }[] {
    return this.direct.get(stmt) ?? [];
  }

  /** Layers a block call expanded to. */
  expandedFrom(call: Stmt): { net: NetworkAnalysis; layers: Layer[] }[] {
    return this.viaCall.get(call) ?? [];
  }

  /** What a line stands for: its own layers, or for a block call, `repeat` or structure, all it made. */
  of(stmt: Stmt): { net: NetworkAnalysis; layers: Layer[] }[] {
    const own = this.madeBy(stmt);
    const call = this.expandedFrom(stmt);
    if (call.length > 0) return call;
    if (stmt.body || stmt.shortcut) {
      const inner: { net: NetworkAnalysis; layers: Layer[] }[] = [];
      for (const { stmt: s } of statements([stmt])) for (const g of this.madeBy(s).concat(this.expandedFrom(s))) mergeInto(inner, g);
      return inner.map((g) => ({ net: g.net, layers: [...new Set(g.layers)].sort((x, y) => x.index - y.index) }));
    }
    return own;
  }
}

function add(map: Map<Stmt, { net: NetworkAnalysis; layers: Layer[] }[]>, key: Stmt, net: NetworkAnalysis, layer: Layer): void {
  let groups = map.get(key);
  if (!groups) map.set(key, (groups = []));
  let g = groups.find((x) => x.net === net);
  if (!g) groups.push((g = { net, layers: [] }));
  g.layers.push(layer);
}

function mergeInto(groups: { net: NetworkAnalysis; layers: Layer[] }[], g: { net: NetworkAnalysis; layers: Layer[] }): void {
  const existing = groups.find((x) => x.net === g.net);
  if (existing) existing.layers.push(...g.layers);
  else groups.push({ net: g.net, layers: [...g.layers] });
}

/** A name in the text that refers to a block or a named tensor, or declares one. */
export interface NameRef {
  kind: 'block' | 'tensor' | 'param';
  name: string;
  span: Span;
  /** Where it is declared; the declaration itself has `decl: true`. */
  declaration: Span;
  decl: boolean;
  /** The network or block whose names it belongs to (tensors and parameters are scoped). */
  scope: Decl;
}

/** Every reference to and declaration of a block, named tensor or block parameter, in source order. */
export function symbols(a: Analysis): NameRef[] {
  const out: NameRef[] = [];
  const blocks = a.blocks;
  for (const decl of a.file.decls) {
    if (decl.kind === 'block' && decl.name && blocks.get(decl.name.name) === decl) {
      out.push({ kind: 'block', name: decl.name.name, span: decl.name, declaration: decl.name, decl: true, scope: decl });
    }
    const params = new Map<string, Span>();
    if (decl.kind === 'block') {
      for (const p of decl.params) {
        params.set(p.name.name, p.name);
        out.push({ kind: 'param', name: p.name.name, span: p.name, declaration: p.name, decl: true, scope: decl });
        if (p.default) refs(p.default, params, decl, out);
      }
    }
    const tensors = new Map<string, Span>();
    for (const { stmt } of statements(decl.body?.stmts ?? [])) {
      const block = blocks.get(stmt.head.name);
      if (block?.name) out.push({ kind: 'block', name: block.name.name, span: stmt.head, declaration: block.name, decl: false, scope: decl });
      // `from NAME`, and ops whose values are tensor names (`add`, `mul`, `concat`).
      const tensorArgs = stmt.head.name === 'from' || (findOp(stmt.head.name)?.attrs.some((a) => a.kind === 'tensors') ?? false);
      // `as NAME` alone on a line names the current tensor.
      const named = stmt.head.name === 'as' && stmt.args.length === 1 && stmt.args[0].value.kind === 'name' ? (stmt.args[0].value as { name: string } & Span) : undefined;
      if (named && !tensors.has(named.name)) {
        const span = { start: named.start, end: named.end };
        tensors.set(named.name, span);
        out.push({ kind: 'tensor', name: named.name, span, declaration: span, decl: true, scope: decl });
        continue;
      }
      for (const arg of stmt.args) {
        if (arg.key && block) paramRef(block, arg.key, decl, out);
        if (tensorArgs && arg.value.kind === 'name' && !params.has(arg.value.name)) {
          const declared = tensors.get(arg.value.name);
          if (declared) out.push({ kind: 'tensor', name: arg.value.name, span: arg.value, declaration: declared, decl: false, scope: decl });
          continue;
        }
        if (!arg.key && block && arg.value.kind === 'name' && block.params.some((p) => p.name.name === (arg.value as { name: string }).name) && !params.has(arg.value.name)) {
          paramRef(block, arg.value, decl, out);
          continue;
        }
        refs(arg.value, params, decl, out);
      }
      if (stmt.alias && !tensors.has(stmt.alias.name)) {
        tensors.set(stmt.alias.name, stmt.alias);
        out.push({ kind: 'tensor', name: stmt.alias.name, span: stmt.alias, declaration: stmt.alias, decl: true, scope: decl });
      }
    }
  }
  return out.sort((x, y) => x.span.start - y.span.start);
}

/** `Basic 64 stride 2`: `stride` names a parameter of the called block. */
function paramRef(block: BlockDecl, key: Ident | (Expr & { kind: 'name' }), scope: Decl, out: NameRef[]): void {
  const p = block.params.find((q) => q.name.name === key.name);
  if (p) out.push({ kind: 'param', name: p.name.name, span: key, declaration: p.name, decl: false, scope });
}

function refs(e: Expr, params: Map<string, Span>, scope: Decl, out: NameRef[]): void {
  if (e.kind === 'name') {
    const declaration = params.get(e.name);
    if (declaration) out.push({ kind: 'param', name: e.name, span: e, declaration, decl: false, scope });
  } else if (e.kind === 'tuple') e.items.forEach((i) => refs(i, params, scope, out));
  else if (e.kind === 'binary') {
    refs(e.left, params, scope, out);
    refs(e.right, params, scope, out);
  } else if (e.kind === 'negate') refs(e.operand, params, scope, out);
}

/** The symbol whose name is at an offset. */
export function symbolAt(all: readonly NameRef[], offset: number): NameRef | undefined {
  return all.find((s) => contains(s.span, offset));
}

/** All occurrences of the same symbol: same kind, same declaration. */
export function occurrences(all: readonly NameRef[], target: NameRef): NameRef[] {
  return all.filter((s) => s.kind === target.kind && s.declaration.start === target.declaration.start);
}
