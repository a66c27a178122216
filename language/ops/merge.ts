import { Codes } from '../base/diagnostics.js';
import { formatCount } from '../base/format.js';
import { int, node, single } from './onnx.js';
import { channels, formatShape, isSpatial, sameShape, widest } from '../base/shape.js';
import type { AttrSpec, InferInput, LayerFacts, OpDef, Tensor } from './types.js';

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

export const add: OpDef = {
  name: 'add',
  family: 'merge',
  // Keeps nothing; its backward passes the same gradient to every input.
  saved: { gradView: true, why: 'nothing: its backward only passes the gradient on' },
  summary: 'Elementwise sum of the current tensor and named ones (a residual connection); all must have one shape.',
  attrs: [tensorsAttr('Tensors to add to the current one, named earlier with `as`.')],
  infer(x): LayerFacts | undefined {
    const ins = x.inputs;
    if (kindMismatch(x)) return undefined;
    const spatial = firstMismatch(ins, (a, b) => !isSpatial(a.shape) || (a.shape[0] === b.shape[0] && a.shape[1] === b.shape[1]));
    if (spatial >= 0) {
      x.error({
        code: Codes.spatialMismatch,
        message: `cannot add tensors of different sizes: ${formatShape(ins[0].shape)} and ${formatShape(ins[spatial].shape)}`,
        input: spatial,
      });
      return undefined;
    }
    const bad = firstMismatch(ins, (a, b) => sameShape(a.shape, b.shape));
    if (bad >= 0) {
      const target = channels(ins[bad].shape);
      x.error({
        code: Codes.channelMismatch,
        message: `cannot add ${channels(ins[0].shape)} channels to ${target} channels (${formatShape(ins[0].shape)} + ${formatShape(ins[bad].shape)})`,
        input: bad,
        fixes: isSpatial(ins[0].shape)
          ? [{ title: `Insert a 1x1 projection to ${target} channels (conv ${target} 1x1, ${formatCount(channels(ins[0].shape) * target + target)} params)`, insertBefore: `conv ${target} 1x1`, preferred: true }]
          : [{ title: `Insert a projection to ${target} features (dense ${target})`, insertBefore: `dense ${target}`, preferred: true }],
      });
      return undefined;
    }
    return { shape: ins[0].shape, params: 0, macs: 0, rf: widest(ins.map((t) => t.rf)) };
  },
  lower(x) {
    // ONNX Add takes two inputs: a chain for more.
    const nodes = [];
    let acc = x.inputs[0];
    for (let i = 1; i < x.inputs.length; i++) {
      const out = i === x.inputs.length - 1 ? x.output : x.temp(`sum${i}`);
      nodes.push(node('Add', [acc, x.inputs[i]], [out]));
      acc = out;
    }
    return nodes;
  },
};

export const concat: OpDef = {
  name: 'concat',
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
};
