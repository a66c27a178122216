import type { Analysis, NetworkAnalysis } from '../analysis/analyze.js';
import type { CallFrame, Layer } from '../analysis/layer.js';
import { evaluate } from '../analysis/values.js';
import { bindArgs } from '../analysis/written.js';
import { formatShape } from '../base/shape.js';
import { LineIndex } from '../base/text.js';
import { LoweringError, type TorchForm, type TorchHelper } from '../ops/types.js';
import type { BlockDecl } from '../syntax/syntax.js';
import { agrees, attrValue, canonical, fill, fit, hasSentinel, literal, numberText, pyValue, sentinel, sentinelValue, translate, withAttr, type Symbolic } from './pytorch-block.js';

/**
 * A network → a PyTorch source file (`stride export --format pytorch`): `import torch`, `from torch import
 * nn`, the helper classes its layers use, one `nn.Module` class per block, whose constructor takes the
 * input's channels and the block's parameters (`Bottleneck(in_channels, c)`), and one for the network.
 * Calls of a block that differ in structure (a `repeat` of a parameter's count) get a class each; so do
 * calls with a value no expression of the parameters gives (`pytorch-block.ts`).
 *
 * Every layer is what its op's `torch` form says (`OpDef.torch`), built in `__init__` as an attribute named
 * as the layer in its block call (`conv_1` inside `self.Bottleneck_2`), so `state_dict()` keys are Stride's
 * weight names (`Bottleneck_2.conv_1.weight`). The forward pass runs in the order of the text; a tensor read
 * once, by the next line, is `x`; one read again later keeps a name (its `as` name, else its layer's).
 * Each line ends with a comment giving its source line and output shape (`# L12 → 55x55x96`).
 */

/** A network PyTorch cannot be written for, with the layer and the line. */
export class TorchExportError extends Error {}

/** Python's keywords and the names the file itself uses: a tensor or class named so gets a `_`. */
const RESERVED = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield self x torch nn F super input print len list dict'.split(' '),
);

interface Scope {
  /** The attribute name in its parent (`Bottleneck_2`); '' for the network. */
  attr: string;
  /** Full prefix, `Outer_1.Inner_2.`. */
  prefix: string;
  block?: BlockDecl;
  /** The call, with its parameters' values. */
  frame?: CallFrame;
  /** The call statement's line, for a block call. */
  line?: number;
  items: Item[];
  /** Layers (indices) outside read inside, in order of first use: the forward's arguments. */
  params: number[];
  /** The layer whose output the scope returns. */
  output: number;
}

type Item = { kind: 'layer'; layer: Layer } | { kind: 'scope'; scope: Scope };

/** One line of a class's forward pass, with the module its `__init__` builds for it. */
interface BodyLine {
  attr: string;
  /** The module's text with this call's values; undefined for a block call (its constructor) and for a layer with none. */
  module?: string;
  code: string;
  comment: string;
  /** Where each input comes from: `a0` (the first argument), `i3` (the fourth line's value). */
  from: string[];
}

interface Body {
  args: string[];
  lines: BodyLine[];
  ret: string;
}

/** A block call's constructor: its class, and the value of each argument in this call. */
interface Ctor {
  cls: string;
  args: CtorArg[];
}

interface CtorArg {
  value: string;
  /** The value when it is a number. */
  num?: number;
  /** For an input's channels: which input of the call. */
  input?: number;
  /** For a parameter: its position in the block's. */
  param?: number;
  /** Passed by keyword, and left out when it is the default. */
  keyword?: string;
  default?: string;
}

export function pytorchModule(a: Analysis, net: NetworkAnalysis, options: { file?: string } = {}): string {
  const lines = new LineIndex(a.text);
  const lineOf = (l: Layer) => lines.position(l.stmt.head.start).line + 1;
  const layers = net.layers;
  const input = layers[0];
  if (!input?.op.source || !input.facts) throw new TorchExportError(`network ${net.name} has no input`);
  const outputIndex = net.output ?? layers.length - 1;

  // Who reads each layer's output.
  const readers: number[][] = layers.map(() => []);
  for (const l of layers) for (const i of l.inputs) readers[i].push(l.index);

  // Each layer's PyTorch form, with in-place allowed where nothing else reads the tensor it writes over.
  const forms: TorchForm[] = [];
  const aliasOf: number[] = layers.map(() => -1);
  const inPlace: boolean[] = layers.map(() => false);
  const writable = (t: number): boolean => {
    for (let k = t; k >= 0; k = aliasOf[k]) if (k === 0 || readers[k].length !== 1 || k === outputIndex) return false;
    return true;
  };
  for (const layer of layers) {
    if (layer.op.source) {
      forms.push({});
      continue;
    }
    const where = `${layer.name} (line ${lineOf(layer)})`;
    if (!layer.facts) throw new TorchExportError(`${where} could not be analysed`);
    if (!layer.op.torch) throw new TorchExportError(`${where} cannot be exported: ${layer.op.name} has no PyTorch form`);
    inPlace[layer.index] = writable(layer.inputs[0]);
    let form: TorchForm;
    try {
      form = layer.op.torch({ shapes: layer.inputs.map((i) => layers[i].facts!.shape), shape: layer.facts.shape, attrs: layer.attrs, inPlace: inPlace[layer.index] });
    } catch (e) {
      if (e instanceof LoweringError) throw new TorchExportError(`${where}: ${e.message}`);
      throw e;
    }
    forms.push(form);
    if (form.view || (inPlace[layer.index] && form.module?.includes('inplace=True'))) aliasOf[layer.index] = layer.inputs[0];
  }

  // The block calls as a tree of scopes, in the order of the text.
  const root: Scope = { attr: '', prefix: '', items: [], params: [], output: outputIndex };
  const open: Scope[] = [root];
  const scopeOf: Scope[] = [];
  for (const layer of layers) {
    if (layer.op.source) continue;
    const depth = layer.calls.length;
    const segments = layer.prefix.split('.').slice(0, depth);
    // Close the scopes this layer is not in, then open the ones it is.
    let keep = 1;
    while (keep < open.length && keep - 1 < depth && open[keep].attr === segments[keep - 1]) keep++;
    open.length = keep;
    while (open.length - 1 < depth) {
      const d = open.length - 1;
      const frame = layer.calls[d];
      const scope: Scope = {
        attr: segments[d],
        prefix: `${segments.slice(0, d + 1).join('.')}.`,
        block: frame.block,
        frame,
        line: lines.position(frame.call.head.start).line + 1,
        items: [],
        params: [],
        output: layer.index,
      };
      open[open.length - 1].items.push({ kind: 'scope', scope });
      open.push(scope);
    }
    const here = open[open.length - 1];
    here.items.push({ kind: 'layer', layer });
    for (let d = 1; d < open.length; d++) open[d].output = layer.index;
    scopeOf[layer.index] = here;
  }

  // `as` names: the network's own, and those written on the statement that made a layer.
  const aliasNames = new Map<number, string>();
  for (const [name, t] of net.tensors) aliasNames.set(t.layer, name);
  for (const l of layers) {
    const alias = l.stmt.alias?.name;
    if (alias && !aliasNames.has(l.index) && (l.index + 1 >= layers.length || layers[l.index + 1].stmt !== l.stmt)) aliasNames.set(l.index, alias);
  }

  const helpers = new Map<string, TorchHelper>();
  for (const f of forms) for (const h of f.helpers ?? []) helpers.set(h.name, h);
  const classNames = new Set<string>([...RESERVED, ...helpers.keys(), 'BatchNorm2d', 'BatchNorm1d', 'NoCounter']);
  const className = (wanted: string): string => {
    let base = wanted.replace(/\W/g, '_');
    if (/^\d/.test(base)) base = `_${base}`;
    let name = base;
    for (let n = 2; classNames.has(name); n++) name = `${base}${n}`;
    classNames.add(name);
    return name;
  };

  // The value an item gives: a layer's output, or the output of a block call.
  const valueOf = (item: Item) => (item.kind === 'layer' ? item.layer.index : item.scope.output);
  const inputsOf = (item: Item) => (item.kind === 'layer' ? item.layer.inputs : item.scope.params);

  /** Each scope's arguments (what its layers read from outside it), checking that only its last layer is read outside. */
  const prepare = (scope: Scope): void => {
    const inside = new Set<number>();
    const collect = (s: Scope) => {
      for (const it of s.items) it.kind === 'layer' ? inside.add(it.layer.index) : collect(it.scope);
    };
    collect(scope);
    if (scope !== root) {
      const params: number[] = [];
      for (const i of [...inside].sort((p, q) => p - q)) for (const j of layers[i].inputs) if (!inside.has(j) && !params.includes(j)) params.push(j);
      scope.params = params;
    } else scope.params = [0];
    for (const i of inside) {
      if (i === scope.output) continue;
      const out = readers[i].find((r) => !inside.has(r));
      if (out !== undefined) throw new TorchExportError(`${layers[out].name} (line ${lineOf(layers[out])}) reads ${layers[i].name} from inside the block call ${scope.prefix.slice(0, -1)}: a PyTorch module returns one tensor`);
    }
    for (const it of scope.items) if (it.kind === 'scope') prepare(it.scope);
  };
  prepare(root);

  /** A scope's class body as its calls share it: arguments, the forward pass, and where each value is made. */
  const renderBody = (scope: Scope): Body => {
    const reads = new Map<number, [number, number][]>();
    scope.items.forEach((it, k) => inputsOf(it).forEach((v, p) => (reads.get(v) ?? reads.set(v, []).get(v)!).push([k, p])));
    (reads.get(scope.output) ?? reads.set(scope.output, []).get(scope.output)!).push([scope.items.length, 0]);
    const producedAt = new Map<number, number>();
    scope.params.forEach((v) => producedAt.set(v, -1));
    scope.items.forEach((it, k) => producedAt.set(valueOf(it), k));
    const running = (v: number) => {
      const r = reads.get(v) ?? [];
      return r.length === 1 && r[0][0] === producedAt.get(v)! + 1 && r[0][1] === 0;
    };
    const used = new Set<string>();
    const local = (wanted: string): string => {
      let base = wanted.replace(/\W/g, '_');
      if (/^\d/.test(base)) base = `_${base}`;
      if (RESERVED.has(base)) base = `${base}_`;
      let name = base;
      for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
      used.add(name);
      return name;
    };
    const names = new Map<number, string>();
    const nameOf = (v: number, fallback: string) => {
      if (running(v)) return 'x';
      let n = names.get(v);
      if (!n) names.set(v, (n = local(aliasNames.get(v) ?? fallback)));
      return n;
    };
    const args = scope.params.map((v, i) => (i === 0 && scope !== root && !running(v) ? (names.set(v, local('identity')), 'identity') : nameOf(v, i === 0 ? 'image' : layers[v].name)));
    // Where each value comes from: `a0` for the first argument, `i3` for the fourth item.
    const source = new Map<number, string>();
    scope.params.forEach((v, i) => source.set(v, `a${i}`));
    scope.items.forEach((it, k) => source.set(valueOf(it), `i${k}`));
    const lines: BodyLine[] = scope.items.map((it) => {
      const value = valueOf(it);
      const out = nameOf(value, it.kind === 'layer' ? it.layer.name.slice(scope.prefix.length) : it.scope.attr);
      const ins = inputsOf(it).map((v) => nameOf(v, layers[v].name));
      const from = inputsOf(it).map((v) => source.get(v) ?? '?');
      if (it.kind === 'layer') {
        const l = it.layer;
        const attr = l.name.slice(scope.prefix.length);
        const form = forms[l.index];
        const expr = form.forward ? form.forward(ins, `self.${attr}`) : `self.${attr}(${ins[0]})`;
        return { attr, module: form.module, code: `${out} = ${expr}`, comment: `  # L${lineOf(l)} → ${formatShape(l.facts!.shape)}`, from };
      }
      const s = it.scope;
      return { attr: s.attr, module: undefined, code: `${out} = self.${s.attr}(${ins.join(', ')})`, comment: `  # L${s.line} → ${formatShape(layers[s.output].facts!.shape)}`, from };
    });
    return { args, lines, ret: `return ${nameOf(scope.output, 'out')}` };
  };

  const ctors = new Map<Scope, Ctor>();
  const written: string[] = [];
  const classText = (name: string, doc: string, signature: string, init: string[], body: Body) =>
    [
      `class ${name}(nn.Module):`,
      `    """${doc}"""`,
      '',
      `    def __init__(${signature}):`,
      `        super().__init__()`,
      ...init,
      '',
      `    def forward(self, ${body.args.join(', ')}):`,
      ...body.lines.map((l) => `        ${l.code}${l.comment}`),
      `        ${body.ret}`,
    ].join('\n');
  /** A block call's constructor as the class that contains it writes it, with its values. */
  const ctorText = (c: Ctor) => `${c.cls}(${c.args.filter((a) => !(a.keyword && a.value === a.default)).map((a) => (a.keyword ? `${a.keyword}=${a.value}` : a.value)).join(', ')})`;

  // Blocks, innermost first: a class's text names the classes of the calls inside it.
  const calls = new Map<BlockDecl, Scope[]>();
  const height = new Map<BlockDecl, number>();
  const walk = (s: Scope): number => {
    let h = 0;
    for (const it of s.items) if (it.kind === 'scope') h = Math.max(h, walk(it.scope) + 1);
    if (s.block) {
      (calls.get(s.block) ?? calls.set(s.block, []).get(s.block)!).push(s);
      height.set(s.block, Math.max(height.get(s.block) ?? 0, h));
    }
    return h;
  };
  walk(root);
  const blockOrder = [...calls.keys()].sort((p, q) => height.get(p)! - height.get(q)!);
  const file = options.file ? ` of ${options.file}` : '';
  const signatureText = (b: BlockDecl) => `${b.name?.name ?? 'Block'}(${b.params.map((p) => (p.default ? `${p.name.name} = ${a.text.slice(p.default.start, p.default.end)}` : p.name.name)).join(', ')})`;

  for (const block of blockOrder) {
    const scopes = calls.get(block)!;
    const bodies = scopes.map(renderBody);
    const name = block.name?.name ?? 'Block';
    const line = lines.position(block.start).line + 1;
    // Calls alike in their forward pass and the kinds of their layers may share one class with arguments.
    const shapes = new Map<string, number[]>();
    scopes.forEach((s, i) => {
      const key = [...bodies[i].args, ...bodies[i].lines.map((l, k) => `${l.attr}|${l.code}|${l.from.join()}|${l.module === undefined}|${itemClass(s.items[k])}`), bodies[i].ret].join('\n');
      (shapes.get(key) ?? shapes.set(key, []).get(key)!).push(i);
    });
    for (const group of shapes.values()) {
      const t = generalise(group.map((i) => scopes[i]), bodies[group[0]]);
      if (t) {
        const cls = className(name);
        const first = scopes[group[0]];
        const doc = `block ${signatureText(block)}${file}, line ${line}; ${group.length === 1 ? 'called once' : `called ${group.length} times`}. Shapes in comments are those of ${first.prefix.slice(0, -1)} (line ${first.line}).`;
        written.push(classText(cls, doc, t.signature, t.init, bodies[group[0]]));
        group.forEach((i, n) => ctors.set(scopes[i], { cls, args: t.args[n] }));
        continue;
      }
      // Calls that cannot share a class (a value no expression of the parameters gives): one class per distinct call.
      const texts = new Map<string, string>();
      for (const i of group) {
        const init = bodies[i].lines.map((l, k) => initLine(l, scopes[i].items[k])).filter((l): l is string => l !== undefined);
        const text = [...init, ...bodies[i].lines.map((l) => l.code)].join('\n');
        let cls = texts.get(text);
        if (!cls) {
          cls = className(name);
          texts.set(text, cls);
          written.push(classText(cls, `block ${signatureText(block)}${file}, line ${line}, as called on line ${scopes[i].line} (${scopes[i].prefix.slice(0, -1)}).`, 'self', init, bodies[i]));
        }
        ctors.set(scopes[i], { cls, args: [] });
      }
    }
  }

  function itemClass(it: Item): string {
    return it.kind === 'scope' ? ctors.get(it.scope)!.cls : it.layer.op.name;
  }
  function initLine(l: BodyLine, it: Item, text?: string): string | undefined {
    if (it.kind === 'layer') return l.module === undefined ? undefined : `        self.${l.attr} = ${text ?? l.module}${l.comment}`;
    return `        self.${l.attr} = ${text ?? ctorText(ctors.get(it.scope)!)}${l.comment}`;
  }

  /**
   * One class for calls alike in structure: each number of each module that differs between the calls, or
   * comes from a parameter or the input's channels, is written as an expression of the constructor's
   * arguments (`in_channels`, the block's parameters), and the class's text is checked against each call's
   * own. Undefined when some value has no such expression.
   */
  function generalise(group: Scope[], body: Body): { signature: string; init: string[]; args: CtorArg[][] } | undefined {
    const block = group[0].block!;
    const frames = group.map((s) => s.frame!);
    const n = group.length;
    const taken = new Set<string>(['self', 'in_channels']);
    const pyNames = new Map<string, string>();
    for (const p of block.params) {
      let base = p.name.name.replace(/\W/g, '_');
      if (RESERVED.has(base) || /^in_channels/.test(base)) base = `${base}_`;
      let name = base;
      for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
      taken.add(name);
      pyNames.set(p.name.name, name);
    }
    const pyName = (p: string) => pyNames.get(p)!;
    const paramNames = new Set(pyNames.keys());
    const channels = (v: number) => layers[v].facts!.shape[layers[v].facts!.shape.length - 1];
    // The channels of each value, as the class writes them.
    const chan = new Map<string, Symbolic | undefined>();
    const inputsUsed = new Set<number>();
    group[0].params.forEach((_, a) => chan.set(`a${a}`, { py: a === 0 ? 'in_channels' : `in_channels_${a + 1}`, values: group.map((s) => channels(s.params[a])), literal: false }));
    const mark = (s: Symbolic) => {
      const m = /^in_channels(?:_(\d+))?$/.exec(s.py);
      if (m) inputsUsed.add(m[1] ? Number(m[1]) - 1 : 0);
    };
    // What an unexplained channel count may be a multiple or a fraction of: the parameters, then the inputs.
    const bases: Symbolic[] = [];
    for (const p of block.params) {
      const s = translate({ kind: 'name', name: p.name.name, start: 0, end: 0 }, frames, pyName);
      if (s) bases.push(s);
    }
    group[0].params.forEach((_, a) => bases.push(chan.get(`a${a}`)!));
    const init: string[] = [];
    for (let k = 0; k < body.lines.length; k++) {
      const its = group.map((s) => s.items[k]);
      const l = body.lines[k];
      const ins = l.from.map((f) => chan.get(f));
      const outs = its.map((it) => channels(valueOf(it)));
      const sameAsInput = (j: number) => ins[j] && agrees(ins[j]!, outs) ? ins[j] : undefined;
      if (its[0].kind === 'scope') {
        const cs = its.map((it) => ctors.get((it as { scope: Scope }).scope)!);
        const child = its[0].scope;
        const args: string[] = [];
        for (let m = 0; m < cs[0].args.length; m++) {
          const a = cs[0].args[m];
          const values = cs.map((c) => c.args[m].value);
          const nums = cs.map((c) => c.args[m].num);
          let s: Symbolic | undefined;
          if (nums.every((x) => x !== undefined)) {
            // An input's channels; a parameter as the call writes it, else (its default) as a number.
            const written = a.param === undefined ? undefined : child.frame!.args[a.param];
            const candidates = a.input !== undefined ? [chan.get(l.from[a.input])] : written ? [translate(written, frames, pyName)] : [];
            s = candidates.find((c) => c && agrees(c, nums as number[]));
          }
          if (!s && values.every((v) => v === values[0])) s = { py: values[0], values: [], literal: true };
          if (!s) return undefined;
          mark(s);
          if (a.keyword && (s.literal && s.py === a.default)) continue;
          args.push(a.keyword ? `${a.keyword}=${s.py}` : s.py);
        }
        init.push(`        self.${l.attr} = ${cs[0].cls}(${args.join(', ')})${l.comment}`);
        chan.set(`i${k}`, sameAsInput(0) ?? fit(outs, bases) ?? (outs.every((v) => v === outs[0]) ? literal(outs[0]) : undefined));
        continue;
      }
      const ls = its.map((it) => (it as { layer: Layer }).layer);
      const l0 = ls[0];
      const binding = bindArgs(l0.op, l0.stmt, paramNames);
      // The written attributes that are numbers in every call, as expressions.
      const attrs: { name: string; s: Symbolic }[] = [];
      for (const [attr, w] of binding.attrs) {
        if (w.form === 'flag') continue;
        const s = translate(w.arg.value, frames, pyName);
        if (s) attrs.push({ name: attr, s });
      }
      if (l.module !== undefined) {
        const by = new Map<number, string>();
        const values = new Map<number, number[]>();
        let next = 0;
        const shapes = l0.inputs.map((v, j) => {
          const shape = [...layers[v].facts!.shape];
          const c = ins[j];
          if (!c || c.literal) return shape;
          const s = sentinel(next++);
          by.set(s, c.py);
          values.set(s, c.values);
          shape[shape.length - 1] = s;
          return shape;
        });
        let probe = l0.attrs;
        for (const { name: attr, s: sym } of attrs) {
          if (sym.literal) continue;
          const s = sentinel(next++);
          const v = sentinelValue(attrValue(probe, attr), s);
          const changed = v === undefined ? undefined : withAttr(probe, attr, v);
          if (!changed) continue;
          probe = changed;
          by.set(s, sym.py);
          values.set(s, sym.values);
        }
        let form: TorchForm;
        try {
          form = l0.op.torch!({ shapes, shape: l0.facts!.shape, attrs: probe, inPlace: inPlace[l0.index] });
        } catch {
          return undefined;
        }
        if (form.module === undefined) return undefined;
        // The class's text must be each call's own once the call's values are put in.
        for (let i = 0; i < n; i++) {
          const real = forms[ls[i].index].module!;
          const mine = fill(form.module, new Map([...values].map(([s, vs]) => [s, vs[i]])));
          if (canonical(mine) !== canonical(real)) return undefined;
        }
        const text = fill(form.module, by);
        if (hasSentinel(text, new Set(by.keys()))) return undefined;
        for (const [s, py] of by) if (form.module.includes(String(s))) mark({ py, values: [], literal: false });
        init.push(`        self.${l.attr} = ${text}${l.comment}`);
      }
      // Its output channels: a written attribute that gives them, the input's, the sum of the inputs' (a concat), or a number.
      let out = attrs.map((a) => a.s).find((s) => agrees(s, outs)) ?? sameAsInput(0);
      if (!out && ins.length > 1 && ins.every((c) => c)) {
        const sum: Symbolic = { py: ins.map((c) => (/[+-]/.test(c!.py) ? `(${c!.py})` : c!.py)).join(' + '), values: outs.map((_, i) => ins.reduce((t, c) => t + (c!.literal ? Number(c!.py) : c!.values[i]), 0)), literal: ins.every((c) => c!.literal) };
        if (agrees(sum, outs) || (!sum.literal && sum.values.every((v, i) => v === outs[i]))) out = sum;
      }
      chan.set(`i${k}`, out ?? fit(outs, bases) ?? (outs.every((v) => v === outs[0]) ? literal(outs[0]) : undefined));
    }
    // The constructor: the input channels it uses, then the block's parameters (those with a number as default keep it).
    const ins = [...inputsUsed].sort((p, q) => p - q);
    const defaults = block.params.map((p) => (p.default && (p.default.kind === 'number' || (p.default.kind === 'negate' && p.default.operand.kind === 'number')) ? pyValue(evaluate(p.default, new Map())) : undefined));
    // Python takes defaults only at the end.
    let firstDefault = block.params.length;
    while (firstDefault > 0 && defaults[firstDefault - 1] !== undefined) firstDefault--;
    const signature = [
      'self',
      ...ins.map((a) => (a === 0 ? 'in_channels' : `in_channels_${a + 1}`)),
      ...block.params.map((p, i) => `${pyName(p.name.name)}${i >= firstDefault ? `=${defaults[i]}` : ''}`),
    ].join(', ');
    const args = group.map((_, i): CtorArg[] => [
      ...ins.map((a): CtorArg => ({ value: numberText(chan.get(`a${a}`)!.values[i]), num: chan.get(`a${a}`)!.values[i], input: a })),
      ...block.params.map((p, j): CtorArg => {
        const v = frames[i].params.get(p.name.name)!;
        const keyword = j >= firstDefault ? pyName(p.name.name) : undefined;
        return { value: pyValue(v), num: v.kind === 'num' ? v.value : undefined, param: j, keyword, default: keyword ? defaults[j] : undefined };
      }),
    ]);
    return { signature, init, args };
  }

  const body = renderBody(root);
  const init = body.lines.map((l, k) => initLine(l, root.items[k])).filter((l): l is string => l !== undefined);
  const doc = `Network ${net.name}${options.file ? ` of ${options.file}` : ''}: input N×${nchwText(input.facts!.shape)}, output N×${nchwText(layers[outputIndex].facts!.shape)}.`;
  written.push(classText(className(net.name), doc, 'self', init, body));
  const text = written.join('\n\n');
  const uses = (s: string) => /\bF\./.test(s);
  const helperText = [...helpers.values()].map((h) => h.source);
  const needsF = uses(text) || helperText.some(uses);
  const header = [
    `"""${net.name}, written by \`stride export --format pytorch\`${options.file ? ` from ${options.file}` : ''}.`,
    '',
    `state_dict() keys are Stride's weight names (\`stride export --list-weights\`), so weights move both ways:`,
    `model.load_state_dict(safetensors.torch.load_file(...)) and safetensors.torch.save_file(model.state_dict(), ...).`,
    `Each line's comment gives its source line and output shape (H×W×C, or features).`,
    '"""',
    '',
    'import torch',
    'from torch import nn',
    ...(needsF ? ['from torch.nn import functional as F'] : []),
  ].join('\n');
  return [header, ...helperText, ...written].join('\n\n\n') + '\n';
}

function nchwText(shape: readonly number[]): string {
  return (shape.length === 3 ? [shape[2], shape[0], shape[1]] : [...shape]).join('×');
}
