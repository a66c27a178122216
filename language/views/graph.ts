import type { Analysis, NetworkAnalysis } from '../analysis/analyze.js';
import type { Diagnostic, Severity } from '../base/diagnostics.js';
import { lineSpan, shapeText, type CallFrame, type Layer } from '../analysis/layer.js';
import { layerKept, precisionBytes } from '../analysis/memory.js';
import { defaultText, valueText, type AttrKind, type OpDef } from '../ops/types.js';
import { findOp } from '../ops/index.js';
import { elements } from '../base/shape.js';
import type { Decl, Expr, Stmt } from '../syntax/syntax.js';
import { LineIndex } from '../base/text.js';
import { bindArgs, writtenValues } from '../analysis/written.js';

/**
 * The network as a diagram: one node per executed layer, one edge per tensor a layer reads, `repeat`s and
 * block calls as nested groups. Plain JSON, so the graph editor's webview receives it as it is; every
 * position is a 0-based line and every statement is named by the offset of its first character, which is
 * what graph edits (graph-edit.ts) take.
 */
export interface GraphModel {
  networks: GraphNetwork[];
  /** Statements that made layers, by their start offset: what the side panel shows and edits. */
  statements: Record<number, GraphStatement>;
  /** Diagnostics on no layer (syntax errors, unused blocks), for a banner. */
  diagnostics: GraphDiagnostic[];
}

export interface GraphDiagnostic {
  severity: Severity;
  code: string;
  message: string;
  line: number;
}

export interface GraphNetwork {
  name: string;
  line: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Parents before children. */
  groups: GraphGroup[];
  /** Parameters and buffers (BatchNorm statistics), as the summary totals them. */
  params: number;
  trainableParams: number;
  macs: number;
  /** Whether every layer's shape is known; when not, totals are lower bounds. */
  complete: boolean;
}

export interface GraphNode {
  /** The layer's name, unique in its network: `conv_3`, `Bottleneck_2.conv_1`. */
  id: string;
  op: string;
  /** The op registry's family (conv, pool, dense, norm, activation, merge, shape): its colour. */
  family: string;
  /**
   * The values after the op: as written (`64 3x3 stride 2`), but in a block, those written with its
   * parameters as this call's values (`256 1x1 stride 2` for `c*4 1x1 stride stride`).
   */
  label: string;
  /** The values as written, where they differ from `label` (`c*4 1x1 stride stride`). */
  written?: string;
  /** `112x112x64`; absent when an error upstream leaves it unknown. */
  shape?: string;
  /** Parameters and buffers. */
  params: number;
  macs: number;
  /** Bytes of this layer's output for the configured batch and dtype. */
  bytes: number;
  /** What it keeps for backward in training at the configured batch and precision, in bytes. */
  kept: number;
  /** This layer's share of the network's MACs, 0 to 1. */
  macsShare: number;
  /** Innermost group, if any. */
  group?: string;
  line: number;
  /** Start offset of the statement that made it (for a residual's add, the `residual` statement). */
  stmt: number;
  diagnostics: GraphDiagnostic[];
}

export interface GraphEdge {
  from: string;
  to: string;
  /** The shape of the tensor it carries, when known. */
  shape?: string;
}

export interface GraphGroup {
  /** `Bottleneck_2` for a block call, `Bottleneck_2.repeat_1` for a repeat inside it. */
  id: string;
  kind: 'repeat' | 'block';
  /** `repeat 3`, `Bottleneck 64 stride 2`: the statement's head and values as written. */
  label: string;
  parent?: string;
  line: number;
  stmt: number;
  /** Layers inside, at any depth. */
  layers: number;
}

/** An op statement's attributes for the side panel. */
export interface GraphStatement {
  op: string;
  line: number;
  /** Every attribute the op has, in its documented order. */
  attrs: GraphAttr[];
}

export interface GraphAttr {
  name: string;
  kind: AttrKind;
  /** As written in the text; absent when the attribute is left at its default. */
  value?: string;
  /** What applies when it is not written. */
  default: string;
  positional: boolean;
  required: boolean;
  doc: string;
  /** The words an `enum` attribute accepts. */
  values?: readonly string[];
}

export function buildGraph(a: Analysis): GraphModel {
  const lines = new LineIndex(a.text);
  const tree = new StatementTree(a);
  const statements: Record<number, GraphStatement> = {};
  const onNodes = new Set<Diagnostic>();
  const byStmt = diagnosticsByStatement(a, tree);
  const networks = a.networks.map((net) => {
    const g = networkGraph(a, net, tree, lines, byStmt, onNodes);
    for (const layer of net.layers) {
      const s = layer.stmt;
      if (!(s.start in statements)) {
        const op = findOp(s.head.name);
        if (op && op === layer.op) statements[s.start] = statementAttrs(a.text, op, s, lines.position(s.start).line);
      }
    }
    return g;
  });
  const diagnostics = a.diagnostics.filter((d) => !onNodes.has(d)).map((d) => graphDiagnostic(d, lines));
  return { networks, statements, diagnostics };
}

function graphDiagnostic(d: Diagnostic, lines: LineIndex): GraphDiagnostic {
  return { severity: d.severity, code: d.code, message: d.message, line: lines.position(d.span.start).line };
}

function networkGraph(a: Analysis, net: NetworkAnalysis, tree: StatementTree, lines: LineIndex, byStmt: Map<Stmt, Diagnostic[]>, onNodes: Set<Diagnostic>): GraphNetwork {
  const grouping = new Grouping(a, tree, lines);
  const bytesPer = precisionBytes(a.options.dtype).activations * a.options.batch;
  const totalMacs = net.totals.macs;
  let diagnosedCalls: readonly CallFrame[] | undefined;
  let callDiagnostics: Diagnostic[] = [];
  const nodes: GraphNode[] = net.layers.map((layer) => {
    const f = layer.facts;
    const group = grouping.groupOf(layer);
    const ds: GraphDiagnostic[] = [];
    for (const d of byStmt.get(layer.stmt) ?? []) {
      onNodes.add(d);
      ds.push(graphDiagnostic(d, lines));
    }
    // The calls it sits in: the same for every layer of one call, looked up once per call.
    if (layer.calls !== diagnosedCalls) {
      diagnosedCalls = layer.calls;
      callDiagnostics = byStmt.size === 0 ? [] : layer.calls.flatMap((c) => byStmt.get(c.call) ?? []);
      for (const d of callDiagnostics) onNodes.add(d);
    }
    for (const d of callDiagnostics) ds.push(graphDiagnostic(d, lines));
    const node: GraphNode = {
      id: layer.name,
      op: layer.op.name,
      family: layer.op.family,
      // A layer Stride could not read shows what was written, misspelling and all.
      label: layer.op.family === 'none' ? headText(a.text, layer.stmt) : argsText(a.text, layer.stmt),
      params: f ? f.params + (f.buffers ?? 0) : 0,
      macs: f?.macs ?? 0,
      bytes: f ? elements(f.shape) * bytesPer : 0,
      kept: f ? layerKept(net.totals, layer.index, a.options) : 0,
      macsShare: f?.macs && totalMacs > 0 ? f.macs / totalMacs : 0,
      line: lines.position(layer.stmt.start).line,
      stmt: layer.stmt.start,
      diagnostics: ds,
    };
    if (f) node.shape = shapeText(f);
    if (group) node.group = group;
    if (layer.calls.length > 0 && layer.op.family !== 'none') {
      const values = callValuesText(a.text, layer);
      if (values !== node.label) {
        node.written = node.label;
        node.label = values;
      }
    }
    return node;
  });
  const edges: GraphEdge[] = [];
  for (const layer of net.layers) {
    for (const i of layer.inputs) {
      const from = net.layers[i];
      const edge: GraphEdge = { from: from.name, to: layer.name };
      if (from.facts) edge.shape = shapeText(from.facts);
      edges.push(edge);
    }
  }
  return {
    name: net.name,
    line: lines.position(net.decl.start).line,
    nodes,
    edges,
    groups: grouping.finish(),
    params: net.totals.params,
    trainableParams: net.totals.trainableParams,
    macs: net.totals.macs,
    complete: net.totals.complete,
  };
}

/** A group a layer sits in, before its runs are told apart: `Bottleneck_2`, `Bottleneck_2.repeat_1`. */
interface GroupBase {
  base: string;
  kind: GraphGroup['kind'];
  stmt: Stmt;
}

/**
 * The groups of a network's layers, in the order the layers come. A layer's groups, outermost first, are
 * the `repeat`s around its statement and each block call it was expanded in, with the `repeat`s around that
 * call's statement, up to the network. A group is a run of consecutive layers: a `repeat` nested in another
 * runs once per outer pass, with the outer body's other layers between, and each run is its own group (the
 * second `repeat_2#2`, and so on).
 *
 * The work per layer does not grow with how deep its calls nest: the groups of its calls are found once per
 * call (consecutive layers share them), its own `repeat`s once per statement and call, and each group counts
 * only the layers it holds directly until `finish` adds up the rest.
 */
class Grouping {
  private readonly groups = new Map<string, GraphGroup>();
  /** Runs of each group so far. */
  private readonly runs = new Map<string, number>();
  private calls: readonly CallFrame[] | undefined;
  /** The groups of `calls`, outermost first. */
  private outer: GroupBase[] = [];
  /** The `repeat`s around each statement, for `calls`. */
  private inner = new Map<Stmt, GroupBase[]>();
  /** The previous layer's groups (of its calls, then its own) and the ids of their runs. */
  private previousOuter: GroupBase[] = [];
  private previousOwn: GroupBase[] = [];
  private previousIds: string[] = [];

  constructor(
    private readonly a: Analysis,
    private readonly tree: StatementTree,
    private readonly lines: LineIndex,
  ) {}

  /** Registers the groups a layer sits in and returns the innermost one's id. */
  groupOf(layer: Layer): string | undefined {
    if (layer.calls !== this.calls) {
      this.calls = layer.calls;
      this.outer = this.callGroups(layer);
      this.inner = new Map();
    }
    let own = this.inner.get(layer.stmt);
    if (!own) this.inner.set(layer.stmt, (own = this.repeatsAround(layer.stmt, layer.prefix)));
    const outer = this.outer;
    const n = outer.length + own.length;
    // The groups this layer shares with the one before continue their runs; any other starts a new run, since
    // a group's place in the chain is fixed by the groups around it. Layers of one call share its groups.
    const po = this.previousOuter;
    const pw = this.previousOwn;
    const pn = po.length + pw.length;
    let same = outer === po ? outer.length : 0;
    while (same < n && same < pn && at(outer, own, same).base === at(po, pw, same).base) same++;
    const ids = same === n && same === pn ? this.previousIds : this.previousIds.slice(0, same);
    for (let i = same; i < n; i++) {
      const c = at(outer, own, i);
      const run = (this.runs.get(c.base) ?? 0) + 1;
      this.runs.set(c.base, run);
      const id = run === 1 ? c.base : `${c.base}#${run}`;
      const g: GraphGroup = { id, kind: c.kind, label: headText(this.a.text, c.stmt), line: this.lines.position(c.stmt.start).line, stmt: c.stmt.start, layers: 0 };
      if (i > 0) g.parent = ids[i - 1];
      this.groups.set(id, g);
      ids.push(id);
    }
    this.previousOuter = outer;
    this.previousOwn = own;
    this.previousIds = ids;
    if (n === 0) return undefined;
    const innermost = ids[n - 1];
    this.groups.get(innermost)!.layers++;
    return innermost;
  }

  /** The groups, parents before children, each counting the layers inside it at any depth. */
  finish(): GraphGroup[] {
    const all = [...this.groups.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const parent = all[i].parent;
      if (parent !== undefined) this.groups.get(parent)!.layers += all[i].layers;
    }
    return all;
  }

  /** The groups of a layer's block calls, outermost first: the `repeat`s around each call, then the call. */
  private callGroups(layer: Layer): GroupBase[] {
    const out: GroupBase[] = [];
    const segments = layer.prefix.split('.');
    let prefix = '';
    for (let d = 0; d < layer.calls.length; d++) {
      const call = layer.calls[d].call;
      for (const r of this.repeatsAround(call, prefix)) out.push(r);
      const id = prefix + segments[d];
      out.push({ base: id, kind: 'block', stmt: call });
      prefix = `${id}.`;
    }
    return out;
  }

  /** The `repeat`s around a statement in its declaration, outermost first, with the call path they run in. */
  private repeatsAround(stmt: Stmt, prefix: string): GroupBase[] {
    const out: GroupBase[] = [];
    for (let p = this.tree.parent.get(stmt); p; p = this.tree.parent.get(p)) {
      if (p.head.name === 'repeat') out.push({ base: `${prefix}repeat_${this.tree.repeatOrdinal.get(p)}`, kind: 'repeat', stmt: p });
    }
    return out.reverse();
  }
}

/** Entry i of the chain made of `outer` then `own`. */
function at(outer: readonly GroupBase[], own: readonly GroupBase[], i: number): GroupBase {
  return i < outer.length ? outer[i] : own[i - outer.length];
}

/** Parents of statements and the ordinal of each `repeat` in its declaration, walked once per file. */
class StatementTree {
  readonly parent = new Map<Stmt, Stmt>();
  readonly repeatOrdinal = new Map<Stmt, number>();
  /** Every statement of the file, in source order (declarations in order, each body before what follows). */
  readonly all: Stmt[] = [];

  constructor(a: Analysis) {
    for (const decl of a.file.decls) this.walkDecl(decl);
  }

  private walkDecl(decl: Decl): void {
    let repeats = 0;
    const walk = (stmts: readonly Stmt[], parent: Stmt | undefined) => {
      for (const s of stmts) {
        this.all.push(s);
        if (parent) this.parent.set(s, parent);
        if (s.head.name === 'repeat') this.repeatOrdinal.set(s, ++repeats);
        if (s.body) walk(s.body.stmts, s);
        if (s.shortcut?.body) walk(s.shortcut.body.stmts, s);
      }
    };
    walk(decl.body?.stmts ?? [], undefined);
  }
}

/** Each diagnostic under the innermost statement whose line holds it. */
function diagnosticsByStatement(a: Analysis, tree: StatementTree): Map<Stmt, Diagnostic[]> {
  const out = new Map<Stmt, Diagnostic[]>();
  for (const d of a.diagnostics) {
    let found: Stmt | undefined;
    for (const s of tree.all) {
      if (s.start > d.span.start) break;
      const own = lineSpan(s);
      // The statement's own head and values, or an alias after its body; not the statements of its body.
      if (d.span.start <= own.end || (s.alias && d.span.start >= s.alias.start && d.span.start <= s.alias.end)) found = s;
    }
    if (!found) continue;
    let list = out.get(found);
    if (!list) out.set(found, (list = []));
    list.push(d);
  }
  return out;
}

function argsText(text: string, stmt: Stmt): string {
  if (stmt.args.length === 0) return '';
  return text.slice(stmt.args[0].start, stmt.args[stmt.args.length - 1].end).replace(/\s+/g, ' ');
}

/**
 * A block body's statement with this call's values: each value that reads a parameter of the block
 * (`c*4`, `stride`) is replaced by what it came to, as a statement would write it; the rest stays as written.
 */
function callValuesText(text: string, layer: Layer): string {
  const stmt = layer.stmt;
  if (stmt.args.length === 0) return '';
  const params = layer.calls[layer.calls.length - 1].params;
  const names = new Set(params.keys());
  const replaced = new Map<number, string>();
  for (const w of bindArgs(layer.op, stmt, names).attrs.values()) {
    if (w.form === 'flag' || !readsName(w.arg.value, names)) continue;
    const i = layer.attrs.layout.position.get(w.spec.name);
    const v = i !== undefined ? layer.attrs.given[i] : undefined;
    if (v === undefined) continue;
    // As the examples write them: a kernel `3x3`, a stride `2`.
    replaced.set(w.arg.value.start, w.spec.kind === 'pair' && w.spec.positional && Array.isArray(v) ? v.join('x') : valueText(v));
  }
  if (replaced.size === 0) return argsText(text, stmt);
  const parts: string[] = [];
  let at = stmt.args[0].start;
  for (const arg of stmt.args) {
    const value = replaced.get(arg.value.start);
    if (value === undefined) continue;
    parts.push(text.slice(at, arg.value.start), value);
    at = arg.value.end;
  }
  parts.push(text.slice(at, stmt.args[stmt.args.length - 1].end));
  return parts.join('').replace(/\s+/g, ' ');
}

/** Whether an expression reads one of these names. */
function readsName(e: Expr, names: ReadonlySet<string>): boolean {
  switch (e.kind) {
    case 'name':
      return names.has(e.name);
    case 'binary':
      return readsName(e.left, names) || readsName(e.right, names);
    case 'negate':
      return readsName(e.operand, names);
    case 'tuple':
      return e.items.some((i) => readsName(i, names));
    default:
      return false;
  }
}

function headText(text: string, stmt: Stmt): string {
  return text.slice(stmt.head.start, lineSpan(stmt).end).replace(/\s+/g, ' ');
}

function statementAttrs(text: string, op: OpDef, stmt: Stmt, line: number): GraphStatement {
  const written = writtenValues(text, op, stmt);
  return {
    op: op.name,
    line,
    attrs: op.attrs
      .filter((spec) => spec.kind !== 'tensors')
      .map((spec) => {
        const attr: GraphAttr = { name: spec.name, kind: spec.kind, default: spec.required ? '' : defaultText(spec), positional: !!spec.positional, required: !!spec.required, doc: spec.doc };
        const v = written.get(spec.name);
        if (v !== undefined) attr.value = v;
        if (spec.values) attr.values = spec.values;
        return attr;
      }),
  };
}
