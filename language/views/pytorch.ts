import type { Analysis, NetworkAnalysis } from '../analysis/analyze.js';
import type { Layer } from '../analysis/layer.js';
import { formatShape } from '../base/shape.js';
import { LineIndex } from '../base/text.js';
import { LoweringError, type TorchForm, type TorchHelper } from '../ops/types.js';

/**
 * A network → a PyTorch source file (`stride export --format pytorch`): `import torch`, `from torch import
 * nn`, the helper classes its layers use, one `nn.Module` class per block call that differs (a block's
 * calls with the same layers, arguments and shapes share one class), and one for the network.
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
  block?: string;
  /** The call statement's line, for a block call. */
  line?: number;
  items: Item[];
  /** Layers (indices) outside read inside, in order of first use: the forward's arguments. */
  params: number[];
  /** The layer whose output the scope returns. */
  output: number;
  className?: string;
}

type Item = { kind: 'layer'; layer: Layer } | { kind: 'scope'; scope: Scope };

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
        block: frame.block.name?.name ?? 'Block',
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

  const classes = new Map<string, string>(); // body text → class name
  const written: string[] = [];

  const writeScope = (scope: Scope): string => {
    const inside = new Set<number>();
    const collect = (s: Scope) => {
      for (const it of s.items) it.kind === 'layer' ? inside.add(it.layer.index) : collect(it.scope);
    };
    collect(scope);
    // Arguments: what its layers read from outside it.
    if (scope !== root) {
      const params: number[] = [];
      for (const i of [...inside].sort((p, q) => p - q)) for (const j of layers[i].inputs) if (!inside.has(j) && !params.includes(j)) params.push(j);
      scope.params = params;
    } else scope.params = [0];
    // Nothing outside may read a layer inside but the last.
    for (const i of inside) {
      if (i === scope.output) continue;
      const out = readers[i].find((r) => !inside.has(r));
      if (out !== undefined) throw new TorchExportError(`${layers[out].name} (line ${lineOf(layers[out])}) reads ${layers[i].name} from inside the block call ${scope.prefix.slice(0, -1)}: a PyTorch module returns one tensor`);
    }
    // Sub-scopes first: their classes are written before this one.
    for (const it of scope.items) if (it.kind === 'scope') writeScope(it.scope);

    // Readings of each value within this scope: [item position, input position]; the return reads last.
    const reads = new Map<number, [number, number][]>();
    scope.items.forEach((it, k) => inputsOf(it).forEach((v, p) => (reads.get(v) ?? reads.set(v, []).get(v)!).push([k, p])));
    (reads.get(scope.output) ?? reads.set(scope.output, []).get(scope.output)!).push([scope.items.length, 0]);
    // The position that produces each value (-1: an argument).
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
      if (!n) names.set(v, (n = local(aliasOfLayer(v) ?? fallback)));
      return n;
    };
    const args = scope.params.map((v, i) => (i === 0 && scope !== root && !running(v) ? (names.set(v, local('identity')), 'identity') : nameOf(v, i === 0 ? 'image' : layers[v].name)));

    const init: string[] = [];
    const forward: string[] = [];
    scope.items.forEach((it) => {
      const value = valueOf(it);
      const out = nameOf(value, it.kind === 'layer' ? it.layer.name.slice(scope.prefix.length) : it.scope.attr);
      const ins = inputsOf(it).map((v) => nameOf(v, layers[v].name));
      if (it.kind === 'layer') {
        const l = it.layer;
        const attr = l.name.slice(scope.prefix.length);
        const form = forms[l.index];
        const comment = `  # L${lineOf(l)} → ${formatShape(l.facts!.shape)}`;
        if (form.module) init.push(`        self.${attr} = ${form.module}${comment}`);
        const expr = form.forward ? form.forward(ins, `self.${attr}`) : `self.${attr}(${ins[0]})`;
        forward.push(`        ${out} = ${expr}${comment}`);
      } else {
        const s = it.scope;
        const comment = `  # L${s.line} → ${formatShape(layers[s.output].facts!.shape)}`;
        init.push(`        self.${s.attr} = ${s.className}()${comment}`);
        forward.push(`        ${out} = self.${s.attr}(${ins.join(', ')})${comment}`);
      }
    });
    forward.push(`        return ${nameOf(scope.output, 'out')}`);
    const body = [`    def __init__(self):`, `        super().__init__()`, ...init, '', `    def forward(self, ${args.join(', ')}):`, ...forward].join('\n');
    if (scope === root) {
      scope.className = className(net.name);
      const doc = `    """Network ${net.name}${options.file ? ` of ${options.file}` : ''}: input N×${nchwText(input.facts!.shape)}, output N×${nchwText(layers[outputIndex].facts!.shape)}."""`;
      written.push(`class ${scope.className}(nn.Module):\n${doc}\n\n${body}`);
      return scope.className;
    }
    const key = `${scope.block}\n${body}`;
    const known = classes.get(key);
    if (known) return (scope.className = known);
    scope.className = className(scope.block!);
    classes.set(key, scope.className);
    written.push(`class ${scope.className}(nn.Module):\n    """block ${scope.block}, as called on line ${scope.line}."""\n\n${body}`);
    return scope.className;
  };

  // `as` names: the network's own, and those written on the statement that made a layer.
  const aliasNames = new Map<number, string>();
  for (const [name, t] of net.tensors) aliasNames.set(t.layer, name);
  for (const l of layers) {
    const alias = l.stmt.alias?.name;
    if (alias && !aliasNames.has(l.index) && (l.index + 1 >= layers.length || layers[l.index + 1].stmt !== l.stmt)) aliasNames.set(l.index, alias);
  }
  function aliasOfLayer(v: number): string | undefined {
    return aliasNames.get(v);
  }

  writeScope(root);
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
