import { droppath, dropout, elu, gelu, hardsigmoid, hardswish, leakyrelu, mish, prelu, relu, relu6, sigmoid, silu, softmax, tanh } from './activation.js';
import { conv, convtranspose } from './conv.js';
import { dense, flatten } from './dense.js';
import { add, concat, mul } from './merge.js';
import { batchnorm, groupnorm, instancenorm, layernorm, lrn, scale } from './norm.js';
import { adaptiveavgpool, adaptivemaxpool, avgpool, globalavgpool, globalmaxpool, maxpool } from './pool.js';
import { input, pad, pixelshuffle, shuffle, split, upsample } from './shape.js';
import type { OpDef } from './types.js';

/** The op registry: everything about an op lives in its definition; nothing else switches on op names. */
export const OPS: readonly OpDef[] = [
  input,
  conv,
  convtranspose,
  maxpool,
  avgpool,
  globalavgpool,
  globalmaxpool,
  adaptiveavgpool,
  adaptivemaxpool,
  flatten,
  dense,
  relu,
  leakyrelu,
  relu6,
  sigmoid,
  tanh,
  gelu,
  silu,
  hardswish,
  hardsigmoid,
  mish,
  elu,
  prelu,
  softmax,
  batchnorm,
  layernorm,
  groupnorm,
  instancenorm,
  scale,
  dropout,
  droppath,
  lrn,
  upsample,
  pad,
  pixelshuffle,
  shuffle,
  split,
  add,
  mul,
  concat,
];

const byName = new Map<string, OpDef>();
for (const op of OPS) {
  byName.set(op.name, op);
  for (const alias of op.aliases ?? []) byName.set(alias, op);
}

export function findOp(name: string): OpDef | undefined {
  return byName.get(name);
}

/** Every spelling an op can be written with, for suggestions and completion. */
export function opNames(): string[] {
  return [...byName.keys()];
}

export type { OpDef } from './types.js';
