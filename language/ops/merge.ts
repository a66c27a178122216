import { Codes } from '../base/diagnostics.js';
import { formatCount } from '../base/format.js';
import { int, node, single } from './onnx.js';
import { channels, field, formatShape, isSpatial, sameShape, widest, type ReceptiveField } from '../base/shape.js';
import type { AttrSpec, InferInput, LayerFacts, LowerInput, OnnxNode, OpDef, Tensor } from './types.js';

const tensorsAttr = (doc: string): AttrSpec => ({ name: 'tensors', kind: 'tensors', positional: true, doc });

/** Index of the first input whose shape differs from the first one's, or -1. */
function firstMismatch(inputs: Tensor[], same: (a: Tensor, b: Tensor) => boolean): number {
  return inputs.findIndex((t) => !same(inputs[0], t));
}

function kindMismatch(x: InferInput): boolean {
  const bad = firstMismatch(x.inputs, (a, b) => isSpatial(a.shape) === isSpatial(b.shape));
  if (bad < 0) return false;
  x.error({
    code: Codes.shapeMismatch,
    message: `cannot merge the ${formatShape(x.inputs[0].shape)} feature map with the flat ${formatShape(x.inputs[bad].shape)} vector`,
    input: bad,
  });
  return true;
}

/**
 * The shape of an elementwise merge, with broadcasting as PyTorch and ONNX do it: along each of H, W and C
 * the sizes must be equal or 1 (a 1x1xC gate against an HxWxC map), and the output takes the larger.
 */
function broadcast(x: InferInput, verb: 'add' | 'multiply'): LayerFacts | undefined {
  const ins = x.inputs;
  if (kindMismatch(x)) return undefined;
  const out = [...ins[0].shape];
  const fits = (a: number, b: number) => a === b || a === 1 || b === 1;
  for (let k = 1; k < ins.length; k++) {
    const s = ins[k].shape;
    const spatial = isSpatial(s) && (!fits(out[0], s[0]) || !fits(out[1], s[1]));
    if (spatial) {
      x.error({ code: Codes.spatialMismatch, message: `cannot ${verb} tensors of different sizes: ${formatShape(ins[0].shape)} and ${formatShape(s)}`, input: k });
      return undefined;
    }
    const c = s.length - 1;
    if (!fits(out[c], s[c])) {
      const target = s[c];
      const from = channels(ins[0].shape);
      x.error({
        code: Codes.channelMismatch,
        message: `cannot ${verb} ${from} channels ${verb === 'add' ? 'to' : 'by'} ${target} channels (${formatShape(ins[0].shape)} ${verb === 'add' ? '+' : '×'} ${formatShape(s)})`,
        input: k,
        fixes: isSpatial(ins[0].shape)
          ? [{ title: `Insert a 1x1 projection to ${target} channels (conv ${target} 1x1, ${formatCount(from * target + target)} params)`, insertBefore: `conv ${target} 1x1`, preferred: true }]
          : [{ title: `Insert a projection to ${target} features (dense ${target})`, insertBefore: `dense ${target}`, preferred: true }],
      });
      return undefined;
    }
    for (let a = 0; a < s.length; a++) out[a] = Math.max(out[a], s[a]);
  }
  return { shape: sameShape(out, ins[0].shape) ? ins[0].shape : out, params: 0, macs: 0, rf: broadcastField(ins, out) };
}

/**
 * What an output position of a broadcast merge sees: the full-size inputs' fields at that position, and
 * all of what a broadcast input (a 1x1 gate) saw; the jump between positions is the full-size inputs'.
 */
function broadcastField(ins: Tensor[], out: readonly number[]): ReceptiveField {
  const full = ins.filter((t) => !isSpatial(t.shape) || (t.shape[0] === out[0] && t.shape[1] === out[1]));
  if (full.length === ins.length || full.length === 0) return widest(ins.map((t) => t.rf));
  const base = widest(full.map((t) => t.rf));
  let h = base.h;
  let w = base.w;
  let fh = base.fh;
  let fw = base.fw;
  for (const t of ins) {
    if (full.includes(t)) continue;
    h = Math.max(h, t.rf.h);
    w = Math.max(w, t.rf.w);
    fh = Math.max(fh, t.rf.fh);
    fw = Math.max(fw, t.rf.fw);
  }
  return field(h, w, base.jh, base.jw, fh, fw);
}

/** ONNX's Add and Mul take two inputs: a chain for more. */
function chain(x: LowerInput, opType: string): OnnxNode[] {
  const nodes = [];
  let acc = x.inputs[0];
  for (let i = 1; i < x.inputs.length; i++) {
    const out = i === x.inputs.length - 1 ? x.output : x.temp(`${opType.toLowerCase()}${i}`);
    nodes.push(node(opType, [acc, x.inputs[i]], [out]));
    acc = out;
  }
  return nodes;
}

export const add: OpDef = {
  name: 'add',
  ort: { role: 'add' },
  family: 'merge',
  // Keeps nothing; its backward passes the same gradient to every input.
  saved: { gradView: true, why: 'nothing: its backward only passes the gradient on' },
  summary: 'Elementwise sum of the current tensor and named ones (a residual connection); sizes must match or be 1 (broadcast).',
  attrs: [tensorsAttr('Tensors to add to the current one, named earlier with `as`.')],
  infer: (x) => broadcast(x, 'add'),
  lower: (x) => chain(x, 'Add'),
  torch: () => ({ forward: (inputs) => inputs.join(' + ') }),
};

export const mul: OpDef = {
  name: 'mul',
  ort: { role: 'elementwise' },
  family: 'merge',
  // Each input's gradient is the output's times the other inputs: it keeps them all.
  saved: { keeps: 'inputs', why: 'its inputs: each one\'s gradient is the output\'s times the others' },
  summary: 'Elementwise product of the current tensor and named ones, broadcasting a 1x1xC gate over an HxWxC map (squeeze-and-excitation).',
  attrs: [tensorsAttr('Tensors to multiply the current one by, named earlier with `as`.')],
  infer: (x) => broadcast(x, 'multiply'),
  lower: (x) => chain(x, 'Mul'),
  torch: () => ({ forward: (inputs) => inputs.join(' * ') }),
};

export const concat: OpDef = {
  name: 'concat',
  ort: { role: 'concat' },
  aliases: ['cat'],
  family: 'merge',
  // Keeps nothing; its backward hands each input a slice of its gradient.
  saved: { gradView: true, why: 'nothing: its backward only passes the gradient on' },
  summary: 'Concatenates the current tensor and named ones along the channels; H and W must match.',
  attrs: [tensorsAttr('Tensors to append to the current one, in order, named earlier with `as`.')],
  infer(x): LayerFacts | undefined {
    const ins = x.inputs;
    if (kindMismatch(x)) return undefined;
    if (!isSpatial(ins[0].shape)) {
      return { shape: [ins.reduce((n, t) => n + t.shape[0], 0)], params: 0, macs: 0, rf: widest(ins.map((t) => t.rf)) };
    }
    const bad = firstMismatch(ins, (a, b) => a.shape[0] === b.shape[0] && a.shape[1] === b.shape[1]);
    if (bad >= 0) {
      x.error({
        code: Codes.spatialMismatch,
        message: `cannot concatenate a ${ins[0].shape[0]}x${ins[0].shape[1]} map with a ${ins[bad].shape[0]}x${ins[bad].shape[1]} map: H and W must match`,
        input: bad,
      });
      return undefined;
    }
    const c = ins.reduce((n, t) => n + t.shape[2], 0);
    return { shape: [ins[0].shape[0], ins[0].shape[1], c], params: 0, macs: 0, rf: widest(ins.map((t) => t.rf)) };
  },
  lower: (x) => single(x, 'Concat', { axis: int(1) }),
  torch: () => ({ forward: (inputs) => `torch.cat([${inputs.join(', ')}], dim=1)` }),
};
