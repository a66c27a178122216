import { Codes } from '../base/diagnostics.js';
import type { InferInput, OpFix, Pads, Pair, Sides } from './types.js';

/** Sliding-window arithmetic shared by conv and pooling: output sizes, padding, tiling and fixes. */

const AXES = ['H', 'W'] as const;
const AXIS_WORDS = [['row', 'rows'], ['column', 'columns']] as const;

export interface Window {
  input: Pair;
  kernel: Pair;
  stride: Pair;
  dilation: Pair;
  ceil: boolean;
}

/** [top, left, bottom, right] for explicit pads; `same` pads as ONNX SAME_UPPER (extra at the end). */
export function resolvePads(p: Pads, w: Window): Sides {
  if (p.mode === 'explicit') return p.sides;
  if (p.mode === 'valid') return NO_PADS;
  const total = [0, 1].map((a) => {
    const out = Math.ceil(w.input[a] / w.stride[a]);
    return Math.max((out - 1) * w.stride[a] + effective(w, a) - w.input[a], 0);
  });
  return [Math.floor(total[0] / 2), Math.floor(total[1] / 2), total[0] - Math.floor(total[0] / 2), total[1] - Math.floor(total[1] / 2)];
}

const NO_PADS: Sides = [0, 0, 0, 0];

export function effective(w: Window, axis: number): number {
  return w.dilation[axis] * (w.kernel[axis] - 1) + 1;
}

export interface AxisResult {
  out: number;
  /** Input rows (or columns) past the last window, padding included. */
  leftover: number;
}

export function axisOutput(w: Window, pads: Sides, axis: number): AxisResult {
  const input = w.input[axis];
  const s = w.stride[axis];
  const span = input + pads[axis] + pads[axis + 2] - effective(w, axis);
  let out = w.ceil ? Math.ceil(span / s) + 1 : Math.floor(span / s) + 1;
  // PyTorch and ONNX drop a last window that would start inside the end padding.
  if (w.ceil && span >= 0 && (out - 1) * s >= input + pads[axis]) out--;
  return { out, leftover: span >= 0 ? span % s : 0 };
}

/** `(227 − 11 + 2·0) / 4 + 1`: the output-size arithmetic of one axis, without its result. */
function axisArithmetic(w: Window, pads: Sides, axis: number): string {
  const s = w.stride[axis];
  const begin = pads[axis];
  const end = pads[axis + 2];
  const padText = begin === end ? `2·${begin}` : `${begin} + ${end}`;
  const k = w.kernel[axis];
  const d = w.dilation[axis];
  const kernelText = d === 1 ? `${k}` : `${d}·(${k} − 1) − 1`;
  const numerator = `${w.input[axis]} − ${kernelText} + ${padText}`;
  const span = w.input[axis] + begin + end - effective(w, axis);
  if (s === 1) return `(${numerator}) + 1`;
  if (span % s === 0) return `(${numerator}) / ${s} + 1`;
  return w.ceil ? `⌈(${numerator}) / ${s}⌉ + 1` : `⌊(${numerator}) / ${s}⌋ + 1`;
}

function axisFormula(w: Window, pads: Sides, axis: number, out: number): string {
  return `${axisArithmetic(w, pads, axis)} = ${out}`;
}

export function formatPads(p: Sides): string {
  const [t, l, b, r] = p;
  if (t === l && l === b && b === r) return `${t}`;
  if (t === b && l === r) return `${t}x${l}`;
  return `(${t}, ${l}, ${b}, ${r})`;
}

/** `: bottom 1, right 1` after padding written as four numbers, which do not say which side each is. */
function sidesText(p: Sides): string {
  if (!formatPads(p).startsWith('(')) return '';
  const named = (['top', 'left', 'bottom', 'right'] as const).map((side, i) => (p[i] > 0 ? `${side} ${p[i]}` : '')).filter(Boolean);
  return `: ${named.join(', ')}`;
}

export function formatPair(p: readonly [number, number]): string {
  return p[0] === p[1] ? `${p[0]}` : `${p[0]}x${p[1]}`;
}

/**
 * Computes the output H and W of a window op and reports sizes that are not positive (error) and strides
 * that leave real input pixels unread (warning, with pads or strides that would tile).
 */
/** The output-size arithmetic of a window op, one line, or one per axis when they differ. */
export function windowFormula(w: Window, padsAttr: Pads): string[] {
  const pads = resolvePads(padsAttr, w);
  const square = w.input[0] === w.input[1] && w.kernel[0] === w.kernel[1] && w.stride[0] === w.stride[1] && pads[0] === pads[1] && pads[2] === pads[3] && w.dilation[0] === w.dilation[1];
  const line = (a: number) => axisFormula(w, pads, a, axisOutput(w, pads, a).out);
  return square ? [line(0)] : [`${AXES[0]}: ${line(0)}`, `${AXES[1]}: ${line(1)}`];
}

export function slide(x: InferInput, w: Window, padsAttr: Pads, attrNames: { pad: string; stride: string }): Pair | undefined {
  const pads = resolvePads(padsAttr, w);
  const oh = axisOutput(w, pads, 0);
  const ow = axisOutput(w, pads, 1);
  // The common case, checked without building anything: positive sizes and strides that tile.
  if (oh.out > 0 && ow.out > 0 && (w.ceil || padsAttr.mode === 'same' || (oh.leftover <= pads[2] && ow.leftover <= pads[3]))) return [oh.out, ow.out];
  const results = [oh, ow];

  const bad = results.findIndex((r) => r.out <= 0);
  if (bad >= 0) {
    x.error({
      code: Codes.sizeNotPositive,
      message: `output size ${axisFormula(w, pads, bad, results[bad].out)} is not positive: the ${w.kernel[0]}x${w.kernel[1]} kernel${w.dilation[bad] > 1 ? ` (dilated to ${effective(w, bad)})` : ''} does not fit the ${w.input[0]}x${w.input[1]} input${pads.some((p) => p > 0) ? ' even padded' : ''}`,
      attr: 'kernel',
    });
    return undefined;
  }

  if (!w.ceil && padsAttr.mode !== 'same') {
    // Unread end padding loses nothing, and a tail no wider than the gaps a small kernel leaves between its
    // windows anyway (a 1x1 conv at stride 2) is by design; only a real tail of unread pixels is worth a warning.
    const unread = results.map((r, a) => {
      const tail = Math.max(0, r.leftover - pads[a + 2]);
      return tail > Math.max(0, w.stride[a] - effective(w, a)) ? tail : 0;
    });
    if (unread.some((u) => u > 0)) {
      const a0 = unread.findIndex((u) => u > 0);
      const quotient = axisArithmetic(w, pads, a0).replace(/^⌊/, '').replace(/⌋ \+ 1$/, '');
      const exact = (w.input[a0] + pads[a0] + pads[a0 + 2] - effective(w, a0)) / w.stride[a0];
      x.warning({
        code: Codes.strideDoesNotTile,
        message: `stride ${formatPair(w.stride)} does not tile the input: ${quotient} = ${+exact.toFixed(3)} is not a whole number, so ${unreadText(unread)} of the input ${unread[0] > 0 && unread[1] > 0 ? 'are' : unread[a0] === 1 ? 'is' : 'are'} never read`,
        attr: x.attrs.has(attrNames.stride) ? attrNames.stride : 'kernel',
        fixes: tilingFixes(w, pads, results, attrNames),
      });
    }
  }
  return [results[0].out, results[1].out];
}

function unreadText(unread: number[]): string {
  const [h, w] = unread;
  const word = (n: number, axis: number) => AXIS_WORDS[axis][n === 1 ? 0 : 1];
  if (h > 0 && h === w) return `the last ${h === 1 ? '' : `${h} `}${word(h, 0)} and ${word(w, 1)}`;
  return unread.map((n, a) => (n > 0 ? `the last ${n === 1 ? '' : `${n} `}${word(n, a)}` : '')).filter(Boolean).join(' and ');
}

function tilingFixes(w: Window, pads: Sides, results: AxisResult[], names: { pad: string; stride: string }): OpFix[] {
  const fixes: OpFix[] = [];
  const newPads: [number, number, number, number] = [pads[0], pads[1], pads[2], pads[3]];
  for (const a of [0, 1]) {
    const r = results[a].leftover;
    if (r === 0) continue;
    const extra = w.stride[a] - r;
    const total = pads[a] + pads[a + 2] + extra;
    newPads[a] = Math.floor(total / 2);
    newPads[a + 2] = total - newPads[a];
  }
  const outs = [0, 1].map((a) => axisOutput(w, newPads, a).out);
  fixes.push({ title: `pad ${formatPads(newPads)}${sidesText(newPads)} (output ${outs[0]}x${outs[1]})`, set: { [names.pad]: formatPads(newPads) }, preferred: true });

  const newStride: [number, number] = [w.stride[0], w.stride[1]];
  for (const a of [0, 1]) {
    const span = w.input[a] + pads[a] + pads[a + 2] - effective(w, a);
    let s = w.stride[a];
    while (s > 1 && span % s !== 0) s--;
    newStride[a] = s;
  }
  const sw: Window = { ...w, stride: newStride };
  const souts = [0, 1].map((a) => axisOutput(sw, pads, a).out);
  fixes.push({ title: `stride ${formatPair(newStride)} (output ${souts[0]}x${souts[1]})`, set: { [names.stride]: formatPair(newStride) } });
  return fixes;
}
