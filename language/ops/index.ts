import { dropout, gelu, leakyrelu, relu, relu6, sigmoid, silu, softmax, tanh } from './activation.js';
import { conv, convtranspose } from './conv.js';
import { dense, flatten } from './dense.js';
import { add, concat } from './merge.js';
import { batchnorm, lrn } from './norm.js';
import { adaptiveavgpool, avgpool, globalavgpool, globalmaxpool, maxpool } from './pool.js';
import { input, upsample } from './shape.js';
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
  flatten,
  dense,
  relu,
  leakyrelu,
  relu6,
  sigmoid,
  tanh,
  gelu,
  silu,
  softmax,
  batchnorm,
  dropout,
  lrn,
  upsample,
  add,
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
