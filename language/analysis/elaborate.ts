import { attrSpan, bareBinding, bindValues, layoutOf, NONE, spanOf, suggestionFix, type BindContext, type Bound } from './bind.js';
import { isAssumed, Layer, lineSpan, signature, type ElaboratedNetwork, type NamedTensor, type Scope } from './layer.js';
import { LayerReport, NO_TENSORS, type ProblemSink } from './layer-report.js';
import { Codes, type Code, type Diagnostic, type Fix, type Related, type Severity, type TextEdit } from '../base/diagnostics.js';
import { findOp, opNames } from '../ops/index.js';
import { AttrLayout, Attrs, type AttrSpec, type LayerFacts, type OpDef, type OpFix, type Problem, type Tensor } from '../ops/types.js';
import { formatCount } from '../base/format.js';
import { Ledger } from './memory.js';
import type { Timeline } from './timeline.js';
import { channels, formatShape, internShape, isSpatial, PIXEL } from '../base/shape.js';
import { didYouMean } from '../base/suggest.js';
import { KEYWORDS, MAX_NESTING, type BlockDecl, type Expr, type NetworkDecl, type Stmt } from '../syntax/syntax.js';
import type { Span } from '../base/text.js';
import { evaluate, MAX_DIM, ValueError, type Value } from './values.js';

/** Networks deeper than this are cut off with a diagnostic instead of exhausting memory. */
export const MAX_LAYERS = 1_100_000;

/**
 * Block calls one network may expand at most. A call costs work even when it makes no layer (an empty block,
 * a chain of calls down to one layer), so the layer limit alone does not bound the expansion.
 */
export const MAX_CALLS = 1_000_000;

/**
 * How deep block calls may nest (a block calling a block …). Real networks nest three or four; every layer
 * carries its call path (its name, the graph's groups), so the limit also bounds what each layer costs.
 */
export const MAX_CALL_DEPTH = 32;

/** Elements in one tensor beyond which byte counts for a batch would leave exact integer range. */
const MAX_ELEMENTS = 2 ** 40;

class TooLarge {}

export class Elaborator implements ProblemSink {
  private layers: Layer[] = [];
  private ledger = new Ledger();
  /** The `checkpoint { … }` region being expanded, or −1. */
  private segment = -1;
  private missingInputReported = false;
  /** Bodies and block calls open around the statement being expanded. */
  private depth = 0;
  private callCount = 0;
  private readonly reportedUnknown = new Set<number>();
  private readonly layerReport = new LayerReport(this);
  private readonly binder: BindContext = {
    value: (e, scope) => this.value(e, scope),
    tensor: (name, at, scope) => this.tensor(name, at, scope),
    fail: (code, message, at, scope, fixes) => this.diag(code, 'error', message, at, { related: this.callRelated(scope), fixes }),
  };
  private readonly blockLayouts = new Map<BlockDecl, AttrLayout>();
  /** Earlier bindings of a statement, by the parameter values its names had. */
  private readonly bindings: (StatementBindings | undefined)[];

  constructor(
    private readonly text: string,
    private readonly blocks: Map<string, BlockDecl>,
    private readonly report: (d: Diagnostic) => void,
    statements: number,
  ) {
    // Sized up front: filled out of order (a block's statements come first in the file, last in a network).
    this.bindings = new Array<StatementBindings | undefined>(statements).fill(undefined);
  }

  /** The network's layers and totals, and its training timeline for the memory figures (not kept: see Ledger.finish). */
  network(decl: NetworkDecl): { net: ElaboratedNetwork; timeline: Timeline } {
    this.layers = [];
    this.passThrough = [];
    this.depth = 0;
    this.callCount = 0;
    this.ledger = new Ledger();
    this.segment = -1;
    this.missingInputReported = false;
    const scope: Scope = { params: new Map(), tensors: new Map(), counters: new Map(), prefix: '', calls: [] };
    let output: number | undefined;
    try {
      output = this.run(decl.body?.stmts ?? [], undefined, scope);
    } catch (e) {
      if (!(e instanceof TooLarge)) throw e;
      output = undefined;
      this.ledger.incomplete();
    }
    if (decl.body && this.layers.length === 0 && decl.name && !this.missingInputReported) {
      this.diag(Codes.emptyNetwork, 'warning', `network ${decl.name.name} has no layers: start it with an \`input\` line such as \`input 224x224x3\``, decl.name);
    }
    const { totals, timeline } = this.ledger.finish(output);
    return { net: { decl, name: decl.name?.name ?? '', layers: this.layers, output, tensors: scope.tensors, totals }, timeline };
  }

  private diag(code: Code, severity: Severity, message: string, span: Span, extra: { related?: Related[]; fixes?: Fix[] } = {}): void {
    const d: Diagnostic = { code, severity, message, span: { start: span.start, end: span.end } };
    if (extra.related && extra.related.length > 0) d.related = extra.related;
    if (extra.fixes && extra.fixes.length > 0) d.fixes = extra.fixes;
    this.report(d);
  }

  /** Where a problem inside a block expansion came from, so the user can find the call. */
  private callRelated(scope: Scope): Related[] {
    return scope.calls.map((f) => ({ span: spanOf(f.call.head), message: `in ${f.block.name?.name ?? 'block'} called here` }));
  }

  private run(stmts: readonly Stmt[], cur: number | undefined, scope: Scope): number | undefined {
    for (let i = 0; i < stmts.length; i++) {
      const stmt = stmts[i];
      cur = this.stmt(stmt, cur, scope);
      if (stmt.alias && cur !== undefined) this.name(stmt.alias.name, stmt.alias, cur, scope);
    }
    return cur;
  }

  /**
   * Runs a body one level deeper. The parser limits how deep the text nests; block calls add their bodies'
   * nesting to the caller's, so the expansion is limited too, to the same MAX_NESTING levels: past it the
   * statement that would open one more level stands for a layer Stride could not analyse.
   */
  private nested(opener: Stmt, stmts: readonly Stmt[], cur: number | undefined, scope: Scope): number | undefined {
    if (this.depth >= MAX_NESTING) {
      // Only the outermost call as related information: the whole chain would be MAX_NESTING entries long.
      const outer = scope.calls[0];
      const related = outer ? [{ span: spanOf(outer.call.head), message: `in ${outer.block.name?.name ?? 'block'} called here` }] : [];
      this.diag(Codes.nestingTooDeep, 'error', `bodies and block calls nest deeper than ${MAX_NESTING} levels here; Stride does not expand this statement`, opener.head, { related });
      return this.push(UNKNOWN, opener, scope, cur === undefined ? [] : [cur], Attrs.EMPTY, undefined);
    }
    this.depth++;
    const out = this.run(stmts, cur, scope);
    this.depth--;
    return out;
  }

  private name(name: string, at: Span, layer: number, scope: Scope): void {
    const existing = scope.tensors.get(name);
    // A `repeat` names the same statement's output again on every pass: that is not a duplicate.
    if (existing && existing.span.start !== at.start) {
      this.diag(Codes.duplicateName, 'error', `the tensor name \`${name}\` is already used`, at, { related: [{ span: existing.span, message: 'first named here' }] });
      return;
    }
    if ((KEYWORDS as readonly string[]).includes(name) || findOp(name)) {
      this.diag(Codes.duplicateName, 'error', `\`${name}\` is a keyword or an op and cannot name a tensor`, at);
      return;
    }
    // Most block calls name nothing: their scope shares one empty map until the first name.
    if (scope.tensors === NO_NAMES) scope.tensors = new Map();
    scope.tensors.set(name, { layer, span: { start: at.start, end: at.end } });
  }

  private stmt(stmt: Stmt, cur: number | undefined, scope: Scope): number | undefined {
    const head = stmt.head.name;
    if (stmt.shortcut && head !== 'residual') {
      this.diag(Codes.misplacedStatement, 'error', '`shortcut { … }` only follows `residual { … }`', stmt.shortcut.keyword);
    }
    switch (head) {
      case 'repeat':
        return this.repeat(stmt, cur, scope);
      case 'residual':
        return this.residual(stmt, cur, scope);
      case 'checkpoint':
        return this.checkpoint(stmt, cur, scope);
      case 'from':
        return this.from(stmt, cur, scope);
      case 'concat':
        if (stmt.body) return this.branches(stmt, cur, scope);
        break;
      case 'branch':
        this.diag(Codes.misplacedStatement, 'error', '`branch { … }` belongs directly inside `concat { … }`', stmt.head);
        return cur;
      case 'shortcut':
        this.diag(Codes.misplacedStatement, 'error', '`shortcut { … }` must follow the closing brace of `residual { … }`', stmt.head);
        return cur;
      case 'network':
      case 'block':
        this.diag(Codes.misplacedStatement, 'error', `a ${head} is declared at the top level of the file, not inside another`, stmt.head);
        return cur;
      case 'as':
        return this.nameCurrent(stmt, cur, scope);
    }
    const op = findOp(head);
    if (op) {
      if (stmt.body) this.diag(Codes.unexpectedToken, 'error', `${head} takes no { … } body`, { start: stmt.body.start, end: stmt.body.start + 1 });
      return this.layer(op, stmt, cur, scope);
    }
    const block = this.blocks.get(head);
    if (block) return this.call(block, stmt, cur, scope);
    this.unknownOp(stmt, scope);
    // The rest of the network cannot know its shapes; an unknown layer stands in so counts stay honest.
    return this.push(UNKNOWN, stmt, scope, cur === undefined ? [] : [cur], Attrs.EMPTY, undefined);
  }

  /**
   * `as NAME` on a line of its own names the current tensor: at the start of a block body, the block's
   * input (an SE block's gate multiplies it; a pre-activation residual adds it).
   */
  private nameCurrent(stmt: Stmt, cur: number | undefined, scope: Scope): number | undefined {
    const arg = stmt.args[0];
    if (stmt.args.length !== 1 || arg.key || arg.value.kind !== 'name' || stmt.body) {
      this.diag(Codes.misplacedStatement, 'error', '`as NAME` names a tensor: at the end of the layer whose output it names, or alone on a line for the current tensor', stmt.head);
      return cur;
    }
    if (cur === undefined) {
      this.diag(Codes.misplacedStatement, 'error', '`as NAME` alone names the current tensor, and there is none before the input', stmt.head);
      return cur;
    }
    this.name(arg.value.name, arg.value, cur, scope);
    return cur;
  }

  private unknownOp(stmt: Stmt, scope: Scope): void {
    const head = stmt.head.name;
    // The same misspelling inside a repeat or block is reported once; the suggestion search is not repeated.
    if (this.reportedUnknown.has(stmt.head.start)) return;
    this.reportedUnknown.add(stmt.head.start);
    const candidates = [...opNames(), ...this.blocks.keys(), 'repeat', 'residual', 'concat', 'from', 'checkpoint'];
    this.diag(Codes.unknownOp, 'error', `unknown op or block \`${head}\`${didYouMean(head, candidates)}`, stmt.head, {
      fixes: suggestionFix(head, candidates, stmt.head),
      related: this.callRelated(scope),
    });
  }

  private count(stmt: Stmt, scope: Scope): number | undefined {
    const arg = stmt.args[0];
    if (!arg) {
      this.diag(Codes.missingValue, 'error', '`repeat` needs a count: `repeat 3 { … }`', stmt.head);
      return undefined;
    }
    const v = this.value(arg.value, scope);
    if (v === undefined) return undefined;
    if (v.kind !== 'num' || !Number.isInteger(v.value) || v.value < 0) {
      this.diag(Codes.badValue, 'error', `a repeat count is a whole number ≥ 0, not ${v.kind === 'num' ? v.value : v.kind === 'list' ? formatShape(v.values) : v.word}`, arg);
      return undefined;
    }
    if (stmt.args.length > 1) this.diag(Codes.tooManyValues, 'error', '`repeat` takes one count', { start: stmt.args[1].start, end: stmt.args[stmt.args.length - 1].end });
    return v.value;
  }

  private repeat(stmt: Stmt, cur: number | undefined, scope: Scope): number | undefined {
    const n = this.count(stmt, scope);
    if (!stmt.body) {
      this.diag(Codes.missingValue, 'error', '`repeat` needs a body: `repeat 3 { conv 64 3x3 pad 1; relu }`', stmt.head);
      return cur;
    }
    if (n === undefined) return cur;
    for (let i = 0; i < n; i++) {
      const before = this.layers.length;
      cur = this.nested(stmt, stmt.body.stmts, cur, scope);
      // A pass that adds no layer changes nothing the next pass would not undo the same way; once the
      // shape is unknown (an error upstream), further passes only add layers nothing can be said about.
      if (this.layers.length === before || cur === undefined || !this.layers[cur].facts) break;
    }
    return cur;
  }

  /**
   * `checkpoint { … }`: a what-if for training memory, as `torch.utils.checkpoint` runs it. The body's layers
   * keep nothing for backward; the region keeps its input and runs again when the backward walk reaches it.
   * The network computes the same, so export ignores it.
   */
  private checkpoint(stmt: Stmt, cur: number | undefined, scope: Scope): number | undefined {
    if (!stmt.body) {
      this.diag(Codes.missingValue, 'error', '`checkpoint` needs a body: `checkpoint { repeat 2 { conv 64 3x3 pad 1; relu } }`', stmt.head);
      return cur;
    }
    if (stmt.args.length > 0) this.diag(Codes.tooManyValues, 'error', '`checkpoint` takes no values, only a body', stmt.args[0]);
    // Inside another checkpoint the outer region already runs it again.
    if (this.segment !== -1) return this.nested(stmt, stmt.body.stmts, cur, scope);
    this.segment = this.ledger.openSegment();
    try {
      return this.nested(stmt, stmt.body.stmts, cur, scope);
    } finally {
      this.segment = -1;
    }
  }

  private residual(stmt: Stmt, cur: number | undefined, scope: Scope): number | undefined {
    if (!stmt.body) {
      this.diag(Codes.missingValue, 'error', '`residual` needs a body: `residual { conv 64 3x3 pad 1 } shortcut { … }`', stmt.head);
      return cur;
    }
    if (stmt.args.length > 0) this.diag(Codes.tooManyValues, 'error', '`residual` takes no values, only a body', stmt.args[0]);
    if (cur === undefined) return this.missingInput(stmt, scope);
    const body = this.nested(stmt, stmt.body.stmts, cur, scope);
    const shortcut = stmt.shortcut?.body ? this.nested(stmt, stmt.shortcut.body.stmts, cur, scope) : cur;
    if (body === undefined || shortcut === undefined) return body;
    return this.merge(findOp('add')!, stmt, [body, shortcut], scope, (p) => this.residualFixes(stmt, scope, cur, body, p));
  }

  private residualFixes(stmt: Stmt, scope: Scope, input: number, body: number, p: Problem): Fix[] {
    if (stmt.shortcut || scope.calls.length > 0 || !stmt.body || !stmt.body.closed) return [];
    if (p.code !== Codes.channelMismatch && p.code !== Codes.spatialMismatch) return [];
    const from = this.layers[input].facts?.shape;
    const to = this.layers[body].facts?.shape;
    if (!from || !to || !isSpatial(from) || !isSpatial(to)) return [];
    const sh = from[0] / to[0];
    const sw = from[1] / to[1];
    if (!Number.isInteger(sh) || !Number.isInteger(sw)) return [];
    const stride = sh === 1 && sw === 1 ? '' : sh === sw ? ` stride ${sh}` : ` stride ${sh}x${sw}`;
    const c = channels(to);
    return [{ title: `Add a projection shortcut (conv ${c} 1x1${stride})`, preferred: true, edits: [{ span: { start: stmt.body.end, end: stmt.body.end }, newText: ` shortcut { conv ${c} 1x1${stride} }` }] }];
  }

  private branches(stmt: Stmt, cur: number | undefined, scope: Scope): number | undefined {
    if (stmt.args.length > 0) {
      this.diag(Codes.tooManyValues, 'error', 'write either `concat NAME…` or `concat { branch { … } … }`, not both', stmt.args[0]);
    }
    if (cur === undefined) return this.missingInput(stmt, scope);
    const outs: number[] = [];
    for (const b of stmt.body!.stmts) {
      if (b.head.name !== 'branch' || !b.body) {
        this.diag(Codes.misplacedStatement, 'error', 'inside `concat { … }` each line is a `branch { … }`', b.head);
        continue;
      }
      const out = this.nested(b, b.body.stmts, cur, scope);
      if (out !== undefined) outs.push(out);
      if (b.alias && out !== undefined) this.name(b.alias.name, b.alias, out, scope);
    }
    if (outs.length === 0) {
      this.diag(Codes.missingValue, 'error', '`concat { … }` needs at least one `branch { … }`', stmt.head);
      return cur;
    }
    return this.merge(findOp('concat')!, stmt, outs, scope, () => []);
  }

  private from(stmt: Stmt, cur: number | undefined, scope: Scope): number | undefined {
    const arg = stmt.args[0];
    if (!arg || arg.value.kind !== 'name') {
      this.diag(Codes.missingValue, 'error', '`from` needs a tensor name given earlier with `as`: `from enc1`', arg ?? stmt.head);
      return cur;
    }
    const t = this.tensor(arg.value.name, arg.value, scope);
    return t ? t.producer : cur;
  }

  private tensor(name: string, at: Span, scope: Scope): Tensor | undefined {
    const named = scope.tensors.get(name);
    if (!named) {
      this.diag(Codes.unknownTensor, 'error', `no tensor is named \`${name}\` before this line${didYouMean(name, scope.tensors.keys())}`, at, { related: this.callRelated(scope) });
      return undefined;
    }
    const layer = this.layers[named.layer];
    return { shape: layer.facts?.shape ?? [], rf: layer.facts?.rf ?? PIXEL, producer: named.layer };
  }

  private missingInput(stmt: Stmt, scope: Scope): number | undefined {
    if (!this.missingInputReported) {
      this.missingInputReported = true;
      this.diag(Codes.missingInput, 'error', 'the network needs an `input` line before its first layer, such as `input 224x224x3`', stmt.head, { related: this.callRelated(scope) });
    }
    return undefined;
  }

  private value(e: Expr, scope: Scope): Value | undefined {
    try {
      return evaluate(e, scope.params);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      if (err.message) this.diag(Codes.badValue, 'error', err.message, err.span, { related: this.callRelated(scope) });
      return undefined;
    }
  }

  private call(block: BlockDecl, stmt: Stmt, cur: number | undefined, scope: Scope): number | undefined {
    const name = block.name!.name;
    if (scope.calls.some((f) => f.block === block)) {
      this.diag(Codes.recursion, 'error', `block ${name} calls itself${scope.calls.length > 1 ? ' through other blocks' : ''}: blocks cannot be recursive`, stmt.head, {
        related: [...this.callRelated(scope), { span: spanOf(block.name!), message: `${name} is defined here` }],
      });
      return this.push(UNKNOWN, stmt, scope, cur === undefined ? [] : [cur], Attrs.EMPTY, undefined);
    }
    if (scope.calls.length >= MAX_CALL_DEPTH) {
      this.diag(Codes.nestingTooDeep, 'error', `block calls nest deeper than ${MAX_CALL_DEPTH} levels here; Stride does not expand this call`, stmt.head, {
        related: [{ span: spanOf(scope.calls[0].call.head), message: `in ${scope.calls[0].block.name?.name ?? 'block'} called here` }],
      });
      return this.push(UNKNOWN, stmt, scope, cur === undefined ? [] : [cur], Attrs.EMPTY, undefined);
    }
    if (++this.callCount > MAX_CALLS) {
      this.diag(Codes.expansionTooLarge, 'error', `this network expands more than ${formatCount(MAX_CALLS)} block calls; Stride stops analysing it here`, stmt.head);
      throw new TooLarge();
    }
    // A call binds raw: each span it keeps is the expression written for that parameter.
    const bound = this.bind(this.blockLayout(block), stmt, scope, `block ${name}`, true);
    const params = new Map<string, Value>();
    let ok = !bound.failed;
    const inner: Scope = { params, tensors: NO_NAMES, counters: new Map(), prefix: `${scope.prefix}${this.next(scope, name, '_')}.`, calls: [...scope.calls, { block, call: stmt, params, args: bound.spans as readonly (Expr | undefined)[] }] };
    for (let i = 0; i < block.params.length; i++) {
      const p = block.params[i];
      const given = bound.raw.get(p.name.name);
      if (given) params.set(p.name.name, given);
      else if (p.default) {
        const v = this.value(p.default, inner);
        if (v) params.set(p.name.name, v);
        else ok = false;
      } else if (!bound.failed) {
        ok = false;
        this.diag(Codes.missingValue, 'error', `block ${name} needs a value for \`${p.name.name}\`: ${signature(block)}`, stmt.head, { related: this.callRelated(scope) });
      }
    }
    if (stmt.body) this.diag(Codes.unexpectedToken, 'error', `a call of block ${name} takes no { … } body`, { start: stmt.body.start, end: stmt.body.start + 1 });
    if (!ok) {
      return this.push(UNKNOWN, stmt, scope, cur === undefined ? [] : [cur], Attrs.EMPTY, undefined);
    }
    return this.nested(stmt, block.body?.stmts ?? [], cur, inner);
  }

  private next(scope: Scope, key: string, sep = ''): string {
    const n = (scope.counters.get(key) ?? 0) + 1;
    scope.counters.set(key, n);
    return `${key}${sep}${n}`;
  }

  private layer(op: OpDef, stmt: Stmt, cur: number | undefined, scope: Scope): number | undefined {
    if (op.source && cur !== undefined) {
      this.diag(Codes.misplacedInput, 'error', '`input` starts a network and appears once, on its first line', stmt.head, { related: this.callRelated(scope) });
      return cur;
    }
    if (!op.source && cur === undefined) return this.missingInput(stmt, scope);
    const { bound, attrs } = this.bindLayer(op, stmt, scope);
    const tensorArgs = attrs.tensors('tensors');
    const inputs = cur === undefined ? [] : [cur];
    for (let i = 0; i < tensorArgs.length; i++) inputs.push(tensorArgs[i].tensor.producer);
    const tensors = bound.failed ? undefined : this.tensorsOf(inputs);
    const facts = tensors && this.infer(op, stmt, this.layerReport.set(stmt, tensors, attrs, scope, bound, tensorArgs));
    return this.push(op, stmt, scope, inputs, attrs, facts);
  }

  /**
   * Binds a layer's values, reusing the binding of an earlier run of the same statement with the same
   * parameter values: a statement inside a repeat or a block runs many times and binds alike each time.
   * Layers that name tensors are bound afresh, since names resolve where the statement runs.
   */
  private bindLayer(op: OpDef, stmt: Stmt, scope: Scope): { bound: Bound; attrs: Attrs } {
    const layout = layoutOf(op.attrs);
    if (layout.variadic) return this.freshBinding(op, stmt, scope, undefined);
    let cached = this.bindings[stmt.id];
    // Most statements run once. Keeping their bindings until the analysis ends would only give the garbage
    // collector more to copy, so a statement's bindings are kept from its second run on.
    if (cached === undefined) {
      this.bindings[stmt.id] = RAN_ONCE;
      return this.freshBinding(op, stmt, scope, undefined);
    }
    if (cached === RAN_ONCE) this.bindings[stmt.id] = cached = { names: argNames(stmt), earlier: [] };
    const { names, earlier } = cached;
    // Compared in place: this runs for every layer, and the usual answer is an earlier binding.
    for (let k = 0; k < earlier.length; k++) {
      const e = earlier[k];
      let same = true;
      for (let i = 0; i < names.length && same; i++) same = scope.params.get(names[i]) === e.key[i];
      if (same) return e;
    }
    const key = names.map((n) => scope.params.get(n));
    const fresh = this.freshBinding(op, stmt, scope, key);
    if (earlier.length < 8) earlier.push(fresh);
    return fresh;
  }

  private freshBinding<K>(op: OpDef, stmt: Stmt, scope: Scope, key: K): { bound: Bound; attrs: Attrs; key: K } {
    const bound = this.bind(layoutOf(op.attrs), stmt, scope, op.name, false);
    return { bound, attrs: bound.values === NONE ? bound.layout.bare : new Attrs(bound.layout, bound.values), key };
  }

  /** Input lists by length, reused from layer to layer: an op reads them only while its shape is inferred. */
  private readonly scratch: Tensor[][] = [];
  /** For a layer that could not be analysed: its input, assumed to pass through it. */
  private passThrough: (LayerFacts | undefined)[] = [];
  /** The assumption the tensors last gathered rest on (a layer index), or -1. */
  private assumedFrom = -1;

  /** The tensors the given layers produced, or undefined when any of their shapes is unknown. */
  private tensorsOf(inputs: readonly number[]): Tensor[] | undefined {
    let tensors = this.scratch[inputs.length];
    if (!tensors) {
      tensors = Array.from({ length: inputs.length }, (): Tensor => ({ shape: [], rf: PIXEL, producer: 0 }));
      this.scratch[inputs.length] = tensors;
    }
    this.assumedFrom = -1;
    for (let k = 0; k < inputs.length; k++) {
      const f = this.layers[inputs[k]].facts ?? this.passThrough[inputs[k]];
      if (!f) return undefined;
      if (this.assumedFrom < 0 && isAssumed(f)) this.assumedFrom = f.assumedFrom!;
      const t = tensors[k];
      t.shape = f.shape;
      t.rf = f.rf;
      t.producer = inputs[k];
    }
    return tensors;
  }

  /** A merge that a structure (`residual`, `concat { … }`) implies rather than a written layer. */
  private merge(op: OpDef, stmt: Stmt, inputs: number[], scope: Scope, fixes: (p: Problem) => Fix[]): number {
    const tensors = this.tensorsOf(inputs);
    // The structure's keyword carries the problem; `related` points at both sides.
    const facts = tensors && this.infer(op, stmt, this.layerReport.set(stmt, tensors, Attrs.EMPTY, scope, undefined, NO_TENSORS, fixes));
    return this.push(op, stmt, scope, inputs, Attrs.EMPTY, facts);
  }

  private infer(op: OpDef, stmt: Stmt, report: LayerReport): LayerFacts | undefined {
    const facts = op.infer(report);
    const scope = report.scope;
    if (!facts) return undefined;
    // One object layout for every op's facts: the code that reads them all (totals, reports) stays monomorphic.
    const f: LayerFacts = { shape: internShape(facts.shape), params: facts.params, buffers: facts.buffers ?? 0, unsharedParams: facts.unsharedParams ?? facts.params + (facts.buffers ?? 0), macs: facts.macs ?? 0, rf: facts.rf, assumedFrom: this.assumedFrom };
    return this.countable(f, stmt, scope) ? f : undefined;
  }

  /** Turns an op's problem into a diagnostic at the attribute, input or line it concerns. */
  problem(severity: Severity, p: Problem, r: LayerReport): void {
    const { stmt, scope, bound, inputs } = r;
    const input = p.input !== undefined && p.input > 0 ? r.tensorArgs[p.input - 1]?.span : undefined;
    const at = (p.attr && bound && attrSpan(bound, p.attr)) || input || lineSpan(stmt);
    const related = [...(p.related ?? []), ...this.mergeRelated(p, inputs), ...this.callRelated(scope)];
    const fixes = bound ? this.opFixes(p.fixes ?? [], stmt, scope, bound) : r.structuralFixes?.(p) ?? [];
    let message = p.message;
    if (this.assumedFrom >= 0) {
      // Found past a layer that could not be analysed: say what the shapes here rest on.
      const broken = this.layers[this.assumedFrom];
      message += ` (assuming ${broken.name}, which could not be analysed, passes its input through)`;
      related.push({ span: lineSpan(broken.stmt), message: `${broken.name} could not be analysed; the shapes after it assume it passes its input through` });
    }
    this.diag(p.code, severity, message, at, { related, fixes });
  }

  /**
   * One error should not hide the next: a layer that could not be analysed is taken to pass its input
   * through, so the layers after it still get shapes (marked as assumed) and their own problems are found.
   */
  private assumePassThrough(index: number, input: number): void {
    const f = this.layers[input].facts ?? this.passThrough[input];
    if (!f) return;
    this.passThrough[index] = { shape: f.shape, params: 0, buffers: 0, unsharedParams: 0, macs: 0, rf: f.rf, assumedFrom: index };
  }

  /** Sizes past what a number counts exactly would be silently wrong: refuse them with a diagnostic. */
  private countable(f: LayerFacts, stmt: Stmt, scope: Scope): boolean {
    const shape = f.shape;
    let n = 1;
    let tooBig = false;
    for (let i = 0; i < shape.length; i++) {
      n *= shape[i];
      if (shape[i] > MAX_DIM) tooBig = true;
    }
    if (n > MAX_ELEMENTS) tooBig = true;
    // Counts are non-negative integers: their sum is exact only if each of them is.
    const uncountable = !Number.isSafeInteger(f.params + (f.buffers ?? 0) + (f.macs ?? 0) + (f.unsharedParams ?? 0));
    if (!tooBig && !uncountable) return true;
    const what = tooBig ? `its output ${formatShape(f.shape)} is larger than Stride analyses (at most ${formatCount(MAX_DIM)} per dimension)` : 'its parameter or MAC count is too large to count exactly';
    this.diag(Codes.sizeTooLarge, 'error', `this layer cannot be analysed: ${what}`, lineSpan(stmt), { related: this.callRelated(scope) });
    return false;
  }

  /** For a problem between merged tensors: where each side was made, so both ends are one click away. */
  private mergeRelated(p: Problem, inputs: Tensor[]): Related[] {
    if (p.input === undefined) return [];
    return [0, p.input].map((i) => {
      const layer = this.layers[inputs[i].producer];
      return { span: lineSpan(layer.stmt), message: `${formatShape(layer.facts?.shape ?? [])} comes from here` };
    });
  }

  private opFixes(fixes: readonly OpFix[], stmt: Stmt, scope: Scope, bound: Bound): Fix[] {
    // Editing a block body would change every call of it; fixes are offered only where the text is this layer's alone.
    if (scope.calls.length > 0) return [];
    return fixes.flatMap((f): Fix[] => {
      const edits: TextEdit[] = [];
      if ('set' in f) {
        for (const [name, text] of Object.entries(f.set)) {
          const at = attrSpan(bound, name);
          const after = stmt.args.length > 0 ? stmt.args[stmt.args.length - 1].end : stmt.head.end;
          edits.push(at ? { span: spanOf(at), newText: text } : { span: { start: after, end: after }, newText: ` ${name} ${text}` });
        }
      } else if ('insertBefore' in f) {
        edits.push({ span: { start: stmt.start, end: stmt.start }, newText: f.insertBefore + this.separatorBefore(stmt) });
      } else {
        edits.push({ span: lineSpan(stmt), newText: f.replaceWith });
      }
      return [{ title: f.title, edits, ...(f.preferred ? { preferred: true } : {}) }];
    });
  }

  /** What goes between a layer inserted before `stmt` and `stmt`: a new line indented alike, or `; `. */
  private separatorBefore(stmt: Stmt): string {
    let i = stmt.start;
    while (i > 0 && (this.text[i - 1] === ' ' || this.text[i - 1] === '\t')) i--;
    const atLineStart = i === 0 || this.text[i - 1] === '\n' || this.text[i - 1] === '\r';
    return atLineStart ? `\n${this.text.slice(i, stmt.start)}` : '; ';
  }

  private push(op: OpDef, stmt: Stmt, scope: Scope, inputs: number[], attrs: Attrs, facts: LayerFacts | undefined): number {
    if (this.layers.length >= MAX_LAYERS) {
      this.diag(Codes.expansionTooLarge, 'error', `this network expands to more than ${formatCount(MAX_LAYERS)} layers; Stride stops analysing it here`, stmt.head);
      throw new TooLarge();
    }
    const index = this.layers.length;
    const ordinal = (scope.counters.get(op.name) ?? 0) + 1;
    scope.counters.set(op.name, ordinal);
    this.layers.push(new Layer(index, op, scope.prefix, ordinal, stmt, scope.calls, inputs.length > 0 ? inputs[0] : -1, inputs.length > 1 ? inputs.slice(1) : undefined, attrs, facts));
    if (!facts && inputs.length > 0) this.assumePassThrough(index, inputs[0]);
    this.ledger.add(index, facts, op.source === true, inputs, op.saved, this.segment);
    return index;
  }

  /**
   * Matches a statement's values to attributes: `name value` pairs, flags, then positional values in spec
   * order. Reports unknown, duplicate, missing and badly typed attributes.
   */
  /** A block's parameters as attributes, positional in order; built once per block. */
  private blockLayout(block: BlockDecl): AttrLayout {
    let layout = this.blockLayouts.get(block);
    if (!layout) {
      layout = new AttrLayout(block.params.map((p): AttrSpec => ({ name: p.name.name, kind: 'flag', positional: true, doc: '' })));
      this.blockLayouts.set(block, layout);
    }
    return layout;
  }

  private bind(layout: AttrLayout, stmt: Stmt, scope: Scope, what: string, raw: boolean): Bound {
    // Most layers (relu, batchnorm, flatten) are written bare: nothing to bind, nothing to allocate.
    if (stmt.args.length === 0 && (raw || !layout.required) && !layout.variadic) return bareBinding(layout);
    return bindValues(this.binder, layout, stmt, scope, what, raw);
  }

}

const NO_NAMES = new Map<string, NamedTensor>();

/** A statement's bindings so far, by the parameter values its names had; a block's body binds once per set. */
interface StatementBindings {
  names: string[];
  earlier: { key: (Value | undefined)[]; bound: Bound; attrs: Attrs }[];
}

/** A statement that has run once: the next run starts keeping its bindings. */
const RAN_ONCE: StatementBindings = { names: [], earlier: [] };

/** The bare names in a statement's values: what its binding can depend on besides the text. */
function argNames(stmt: Stmt): string[] {
  const names: string[] = [];
  const walk = (e: Expr): void => {
    if (e.kind === 'name') names.push(e.name);
    else if (e.kind === 'tuple') e.items.forEach(walk);
    else if (e.kind === 'binary') {
      walk(e.left);
      walk(e.right);
    } else if (e.kind === 'negate') walk(e.operand);
  };
  for (const a of stmt.args) walk(a.value);
  return names;
}

/** Stands in for a layer whose op is unknown or whose block call failed. */
const UNKNOWN: OpDef = { name: 'unknown', family: 'none', summary: 'A layer Stride could not analyse.', attrs: [], infer: () => undefined };


