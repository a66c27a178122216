import type { Analysis } from '../analysis/analyze.js';
import type { TextEdit } from '../base/diagnostics.js';
import { lineSpan, type Layer } from '../analysis/layer.js';
import { formatCount } from '../base/format.js';
import { isSpatial } from '../base/shape.js';
import type { Stmt } from '../syntax/syntax.js';
import type { LayerIndex } from '../views/query.js';

/** The two rewrites the notes teach, as refactors with their parameter change in the title. */

export interface Refactor {
  title: string;
  edits: TextEdit[];
}

export function refactorsFor(a: Analysis, index: LayerIndex, stmt: Stmt): Refactor[] {
  const groups = index.madeBy(stmt);
  // Only a statement that runs once has one set of numbers to put in a title.
  if (groups.length !== 1 || groups[0].layers.length !== 1) return [];
  const layer = groups[0].layers[0];
  const layers = groups[0].net.layers;
  return [denseToConv(a, stmt, layer, layers), sevenToThree(a, stmt, layer, layers)].filter((r): r is Refactor => r !== undefined);
}

/** Indentation of the line a statement starts on, if the statement starts it. */
function indentOf(text: string, stmt: Stmt): string | undefined {
  let i = stmt.start;
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  return i === 0 || text[i - 1] === '\n' || text[i - 1] === '\r' ? text.slice(i, stmt.start) : undefined;
}

function lineBreak(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** The whole line a statement is alone on, line break included, to delete it. */
function wholeLine(text: string, stmt: Stmt): { start: number; end: number } | undefined {
  const indent = indentOf(text, stmt);
  if (indent === undefined) return undefined;
  let end = stmt.end;
  while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
  if (text[end] === '#') return undefined;
  if (text[end] === '\r') end++;
  if (text[end] === '\n') end++;
  else if (end < text.length) return undefined;
  return { start: stmt.start - indent.length, end };
}

/**
 * `flatten; dense N` on an HxWxC map is `conv N HxW`: the same weights arranged as one filter per unit
 * (the notes' FCN conversion). The flatten goes; if a dense layer follows, a flatten comes after.
 */
function denseToConv(a: Analysis, stmt: Stmt, layer: Layer, layers: readonly Layer[]): Refactor | undefined {
  if (layer.op.name !== 'dense' || !layer.facts) return undefined;
  const flatten = flattenBefore(layer, layers);
  const map = flatten && layers[flatten.inputs[0]]?.facts?.shape;
  if (!flatten || !map || !isSpatial(map)) return undefined;
  const flattenLine = flatten.calls.length === layer.calls.length && !flatten.stmt.alias ? wholeLine(a.text, flatten.stmt) : undefined;
  const units = stmt.args.find((arg) => !arg.key && !(arg.value.kind === 'name' && arg.value.name === 'nobias'));
  if (!units || !flattenLine) return undefined;
  const unitsText = a.text.slice(units.start, units.end);
  const nobias = layer.attrs.flag('nobias') ? ' nobias' : '';
  const [h, w] = map;
  // The layers after still see a flat vector: the flatten moves to after the new conv.
  const used = layers.some((l) => l.inputs.includes(layer.index));
  const after = used ? `${lineBreak(a.text)}${indentOf(a.text, stmt) ?? ''}flatten` : '';
  const edits: TextEdit[] = [
    { span: flattenLine, newText: '' },
    { span: lineSpan(stmt), newText: `conv ${unitsText} ${h}x${w}${nobias}${after}` },
  ];
  return { title: `Convert to an equivalent convolution: conv ${unitsText} ${h}x${w} (params unchanged: ${formatCount(layer.facts.params)}; output 1x1x${layer.facts.shape[0]})`, edits };
}

/**
 * The flatten a dense layer reads through, past elementwise layers (activations, dropout, batchnorm)
 * that would work on the map as well; each must feed only the next.
 */
function flattenBefore(layer: Layer, layers: readonly Layer[]): Layer | undefined {
  let at = layers[layer.inputs[0]];
  while (at && (at.op.family === 'activation' || at.op.name === 'batchnorm')) {
    if (layers.filter((l) => l.inputs.includes(at!.index)).length !== 1) return undefined;
    at = layers[at.inputs[0]];
  }
  return at?.op.name === 'flatten' && layers.filter((l) => l.inputs.includes(at!.index)).length === 1 ? at : undefined;
}

/**
 * One 7x7 conv → three 3x3 convs with ReLUs between: the same 7x7 receptive field and output size, and
 * 27C² weights instead of 49C² (the notes' argument for small filters).
 */
function sevenToThree(a: Analysis, stmt: Stmt, layer: Layer, layers: readonly Layer[]): Refactor | undefined {
  const at = layer.attrs;
  if (layer.op.name !== 'conv' || !layer.facts) return undefined;
  const [kh, kw] = at.pair('kernel');
  const [sh, sw] = at.pair('stride');
  const [dh, dw] = at.pair('dilation');
  if (kh !== 7 || kw !== 7 || sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || at.int('groups') !== 1) return undefined;
  const pads = at.pads('pad');
  const pad = pads.mode === 'same' ? 'same' : pads.mode === 'valid' ? '0' : pads.sides.every((p) => p === 3) ? '1' : pads.sides.every((p) => p === 0) ? '0' : undefined;
  if (pad === undefined) return undefined;
  const channels = stmt.args.find((arg) => !arg.key);
  const indent = indentOf(a.text, stmt);
  if (!channels || indent === undefined) return undefined;
  const k = at.int('channels');
  const cin = layers[layer.inputs[0]].facts!.shape[2];
  const bias = at.flag('nobias') ? 0 : 1;
  const before = layer.facts.params;
  const after = 9 * cin * k + 2 * 9 * k * k + 3 * bias * k;
  const c = a.text.slice(channels.start, channels.end);
  const nobias = bias ? '' : ' nobias';
  const padText = pad === '0' ? '' : ` pad ${pad}`;
  const nl = lineBreak(a.text) + indent;
  const conv = `conv ${c} 3x3${padText}${nobias}`;
  const squares = cin === k ? '; 27C² vs 49C²' : '';
  return {
    title: `Replace by three 3x3 convs (same 7x7 receptive field; params ${formatCount(before)} → ${formatCount(after)}${squares})`,
    edits: [{ span: lineSpan(stmt), newText: [conv, 'relu', conv, 'relu', conv].join(nl) }],
  };
}
