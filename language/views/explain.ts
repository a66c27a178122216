import type { Analysis, NetworkAnalysis } from '../analysis/analyze.js';
import { isAssumed, layerFormula, shapeText, signature, type Layer } from '../analysis/layer.js';
import { formatBytes, formatCompact, formatCount } from '../base/format.js';
import { layerKept, precisionBytes, TERM_NAMES, type Memory, type MemoryOptions } from '../analysis/memory.js';
import { inferenceNote, memoryHeading, notesRuleText, peakText, trainingRows } from './memory-rows.js';
import { defaultText, type AttrSpec, type OpDef } from '../ops/types.js';
import { elements, formatShape, isSpatial, type ReceptiveField, type Shape } from '../base/shape.js';
import type { BlockDecl } from '../syntax/syntax.js';

/** Markdown explanations for hovers: what a layer computes and costs, and why. */

/** `55x55x96 · 34,944 params`: the inlay hint and one-line summary of what a line makes. */
export function shortFacts(layers: readonly Layer[]): string | undefined {
  const last = layers[layers.length - 1];
  if (!last?.facts) return undefined;
  let params = 0;
  for (const l of layers) {
    if (!l.facts) return undefined;
    params += l.facts.params + (l.facts.buffers ?? 0);
  }
  const shape = shapeText(last.facts, ' ');
  const count = layers.length > 1 ? ` (${layers.length} layers)` : '';
  return params > 0 ? `${shape} · ${formatCount(params)} params${count}` : `${shape}${count}`;
}

/**
 * The inlay hint after a line: `→ 55x55x96 · 34,944 params`, the arrow keeping it apart from the code. None
 * for a line that would only repeat what is already read: the input's written shape, or a line that hands
 * its shape on unchanged and multiplies nothing (relu, batchnorm, dropout, an add), unless `all`.
 */
export function hintText(net: NetworkAnalysis, layers: readonly Layer[], all: boolean): string | undefined {
  const facts = shortFacts(layers);
  if (!facts) return undefined;
  if (!all && passesThrough(net, layers)) return undefined;
  return `→ ${facts}`;
}

function passesThrough(net: NetworkAnalysis, layers: readonly Layer[]): boolean {
  const first = layers[0];
  if (first.inputs.length === 0) return true;
  const before = net.layers[first.inputs[0]].facts;
  const after = layers[layers.length - 1].facts;
  if (!before || !after || before.shape.length !== after.shape.length || before.shape.some((d, i) => d !== after.shape[i])) return false;
  return layers.every((l) => !l.facts?.macs);
}

export function nchw(shape: Shape): string {
  return isSpatial(shape) ? `N×${shape[2]}×${shape[0]}×${shape[1]}` : `N×${shape[0]}`;
}

/**
 * A receptive field in input pixels. A unit that reads a whole map (after flatten, a dense layer, a global
 * pool) sees all of the input: its unclipped extent, larger than the image, would read as a size it is not.
 */
function field(net: NetworkAnalysis, layer: Layer, rf: ReceptiveField): string {
  const h = Math.ceil(rf.h - 1e-9);
  const w = Math.ceil(rf.w - 1e-9);
  const input = networkInput(net);
  const shape = layer.facts?.shape;
  const oneUnit = shape !== undefined && (!isSpatial(shape) || (shape[0] === 1 && shape[1] === 1));
  if (input && oneUnit && h >= input[0] && w >= input[1]) return `the whole ${input[0]}×${input[1]} input (${h}×${w} unclipped)`;
  const jump = rf.jh === rf.jw ? step(rf.jh) : `${step(rf.jh)}×${step(rf.jw)}`;
  return `${h}×${w} input pixels, jump ${jump}`;
}

/** The spatial input the receptive fields are measured on: the network's first layer, when it is an image. */
function networkInput(net: NetworkAnalysis): Shape | undefined {
  const shape = net.layers[0]?.inputs.length === 0 ? net.layers[0].facts?.shape : undefined;
  return shape && isSpatial(shape) ? shape : undefined;
}

/** A jump as written exactly: whole, or after transposed convolutions a fraction such as 1/16. */
function step(j: number): string {
  if (Number.isInteger(j)) return `${j}`;
  const inverse = 1 / j;
  return Math.abs(inverse - Math.round(inverse)) < 1e-9 ? `1/${Math.round(inverse)}` : `${+j.toPrecision(3)}`;
}

function row(label: string, value: string): string {
  return `| ${label} | ${value} |`;
}

/** A layer: its output, the arithmetic that sized it, its costs, and what the op does. */
export function layerHover(net: NetworkAnalysis, layers: readonly Layer[], options: MemoryOptions): string {
  const first = layers[0];
  const op = first.op;
  const lines = [`**${op.name}** — ${op.summary}`, ''];
  const f = first.facts;
  if (!f) {
    lines.push('Its output shape is unknown: see the problem reported on this line or above it.');
    return lines.join('\n');
  }
  const bytes = precisionBytes(options.dtype).activations;
  lines.push('| | |', '|---|---|');
  lines.push(row('output', `${formatShape(f.shape)} (exported ${nchw(f.shape)})`));
  const formula = layerFormula(net.layers, first);
  for (const line of formula) lines.push(row('size', line.replace(/\|/g, '\\|')));
  const total = f.params + (f.buffers ?? 0);
  if (total > 0) {
    const buffers = f.buffers ? ` + ${formatCount(f.buffers)} running statistics` : '';
    lines.push(row('params', `${formatCount(f.params)}${buffers}`));
    if (f.unsharedParams !== undefined && f.unsharedParams !== total) lines.push(row('without sharing', `${formatCount(f.unsharedParams)} (locally connected)`));
  }
  if (f.macs) lines.push(row('MACs', `${formatCount(f.macs)} (${formatCompact(2 * f.macs)} FLOPs)`));
  lines.push(row('receptive field', field(net, first, f.rf)));
  lines.push(row('activations', `${formatBytes(elements(f.shape) * bytes * options.batch)} at batch ${formatCount(options.batch)}, ${options.dtype}`));
  lines.push(row('kept for backward', keptText(net, first, options)));
  if (isAssumed(f)) {
    const broken = net.layers[f.assumedFrom!];
    lines.push('', `These figures rest on an assumption: ${broken.name} above could not be analysed (see its problem), and is taken to pass its input through.`);
  }
  if (layers.length > 1) {
    const shapes = layers.slice(0, 8).map((l) => (l.facts ? formatShape(l.facts.shape) : '?'));
    lines.push('', `Runs ${layers.length} times in ${net.name}: ${shapes.join(', ')}${layers.length > 8 ? ', …' : ''}. Shown: the first.`);
  }
  return lines.join('\n');
}

/** A block call, a `repeat` or a structure: what it expands to and costs in total. */
export function expansionHover(net: NetworkAnalysis, layers: readonly Layer[], title: string): string {
  const last = layers[layers.length - 1];
  let params = 0;
  let macs = 0;
  let known = true;
  for (const l of layers) {
    if (!l.facts) known = false;
    params += (l.facts?.params ?? 0) + (l.facts?.buffers ?? 0);
    macs += l.facts?.macs ?? 0;
  }
  const counts = new Map<string, number>();
  for (const l of layers) counts.set(l.op.name, (counts.get(l.op.name) ?? 0) + 1);
  const ops = [...counts].map(([op, n]) => (n > 1 ? `${n} ${op}` : op)).join(', ');
  const lines = [`**${title}** — expands to ${layers.length} layer${layers.length === 1 ? '' : 's'} in ${net.name}: ${ops}`, ''];
  lines.push('| | |', '|---|---|');
  lines.push(row('output', last?.facts ? `${formatShape(last.facts.shape)} (exported ${nchw(last.facts.shape)})` : 'unknown'));
  lines.push(row('params', known ? formatCount(params) : `${formatCount(params)} so far (some shapes unknown)`));
  lines.push(row('MACs', formatCount(macs)));
  if (last?.facts) lines.push(row('receptive field', field(net, last, last.facts.rf)));
  return lines.join('\n');
}

/**
 * A line whose head is neither an op nor a block: the problem, not a count of the stand-in layer it made.
 * `problem` is the diagnostic reported on the head, when there is one.
 */
export function unknownHover(name: string, problem: string | undefined): string {
  const what = problem ?? `unknown op or block \`${name}\``;
  return `**${name}** — ${what[0].toUpperCase()}${what.slice(1)}${/[.?]$/.test(what) ? '' : '.'} The layers after it take its input as passing through, so their figures rest on that assumption.`;
}

/** A network: totals and the memory model for the configured batch, dtype and optimizer. */
export function networkHover(net: NetworkAnalysis, options: MemoryOptions): string {
  const t = net.totals;
  const out = net.output !== undefined ? net.layers[net.output].facts : undefined;
  const lines = [`**network ${net.name}** — ${formatCount(net.layers.length)} layers${t.complete ? '' : ' (some shapes unknown: totals are partial)'}`, '', verdict(net.memory, options), ''];
  lines.push('| | |', '|---|---|');
  if (out) lines.push(row('output', `${formatShape(out.shape)} (exported ${nchw(out.shape)})`));
  lines.push(row('params', `${formatCount(t.trainableParams)} trainable${t.buffers ? ` + ${formatCount(t.buffers)} running statistics` : ''}`));
  lines.push(row('MACs', `${formatCount(t.macs)} (${formatCompact(2 * t.macs)} FLOPs)`));
  lines.push('', memoryTable(net, options));
  return lines.join('\n');
}

/**
 * The answer first, before any table a hover may have to scroll to: whether training fits the budget, its
 * total, and the largest batch that fits.
 */
function verdict(m: Memory, o: MemoryOptions): string {
  const total = `**${formatBytes(m.training)}** at ${memoryHeading(o)}`;
  if (m.budget === undefined) return `Training takes ${total}; inference ${formatBytes(m.inference)}. No budget is set (\`stride.memoryBudgetGiB\`).`;
  const fits = m.training <= m.budget;
  const batch = m.maxBatch ? `the largest batch that fits is **${formatCount(m.maxBatch)}**` : 'no batch fits';
  return `Training **${fits ? 'fits' : 'does not fit'} the ${formatBytes(m.budget)} budget**: ${total}; ${batch}.`;
}

/** Training memory at its peak, term by term, with inference and the notes' rule beside it (the budget leads the hover). */
export function memoryTable(net: NetworkAnalysis, o: MemoryOptions): string {
  const m = net.memory;
  const lines = [`Training at ${memoryHeading(o)}: the peak is ${peakText(m, net.layers)}.`, '', '| | |', '|---|---:|'];
  for (const r of trainingRows(m)) {
    const label = r.mark === 'total' ? `**${r.label}**` : r.label;
    const value = r.mark === 'total' ? `**${formatBytes(r.bytes)}**` : `${formatBytes(r.bytes)}${r.mark === 'largest' ? ' ◀' : ''}`;
    lines.push(`| ${label} | ${value} |`);
  }
  lines.push(`| inference | ${formatBytes(m.inference)} |`);
  lines.push('', `Largest term: ${TERM_NAMES[m.dominant]}.`);
  lines.push('', notesRuleText(m));
  lines.push('', `Inference: ${inferenceNote(m)}.`);
  return lines.join('\n');
}

/** What a layer keeps for backward, and why. */
function keptText(net: NetworkAnalysis, layer: Layer, o: MemoryOptions): string {
  const t = net.totals;
  if (t.recomputed[layer.index]) return 'nothing: inside `checkpoint { … }` it runs again in backward';
  const why = layer.op.saved?.why;
  if (!layer.op.saved?.keeps && !layer.op.saved?.copies && !layer.op.saved?.extraBytesPerOutput) return why ?? 'nothing: its backward needs no tensor';
  const bytes = layerKept(t, layer.index, o);
  if (bytes === 0 && t.keptStorage[layer.index] < 0) return 'nothing: no gradient passes through it (no weights before it)';
  const storage = t.keptStorage[layer.index];
  const shared = bytes === 0 && storage >= 0 ? ` — already kept (${net.layers[storage].name}'s output), counted once` : '';
  return `${formatBytes(bytes)}: ${why ?? 'what its backward reads'}${shared}`;
}

/** An op: what it does and its attributes with their defaults. */
export function opHover(op: OpDef): string {
  const lines = [`**${op.name}**${op.aliases?.length ? ` (also ${op.aliases.join(', ')})` : ''} — ${op.summary}`];
  if (op.attrs.length > 0) {
    lines.push('', '| attribute | default | |', '|---|---|---|');
    for (const a of op.attrs) lines.push(`| \`${a.name}\`${a.positional ? ' (positional)' : ''} | ${defaultText(a)} | ${a.doc} |`);
  }
  return lines.join('\n');
}

export function attrHover(op: OpDef, spec: AttrSpec): string {
  const values = spec.values ? ` One of ${spec.values.map((v) => `\`${v}\``).join(', ')}.` : '';
  return `**${spec.name}** (${op.name}) — ${spec.doc}${values} Default: ${defaultText(spec)}.`;
}

export function blockHover(block: BlockDecl, a: Analysis): string {
  // Every run of a call makes its own frame, so distinct frames count the expansions.
  const frames = new Set<object>();
  for (const net of a.networks) for (const l of net.layers) for (const f of l.calls) if (f.block === block) frames.add(f);
  const calls = frames.size;
  return `**block ${signature(block)}**${calls ? ` — expanded ${calls} time${calls === 1 ? '' : 's'}` : ' — not used by any network'}`;
}
