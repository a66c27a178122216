import type { Fix, Severity } from '../base/diagnostics.js';
import type { Attrs, InferInput, Problem, Tensor, TensorArg } from '../ops/types.js';
import type { Stmt } from '../syntax/syntax.js';
import type { Bound } from './bind.js';
import type { Scope } from './layer.js';

export const NO_TENSORS: readonly TensorArg[] = [];

/** Where a layer's problems go: the elaborator turns them into diagnostics at the right place. */
export interface ProblemSink {
  problem(severity: Severity, p: Problem, r: LayerReport): void;
}

/**
 * What an op's `infer` sees, its reports routed back to the elaborator. One object serves every layer in
 * turn (an op's `infer` keeps nothing after it returns), so a large network allocates none per layer.
 */
export class LayerReport implements InferInput {
  stmt!: Stmt;
  inputs!: Tensor[];
  attrs!: Attrs;
  scope!: Scope;
  /** A written layer's attributes, for pointing at them and fixing them. */
  bound: Bound | undefined;
  tensorArgs: readonly TensorArg[] = NO_TENSORS;
  /** For merges a structure implies (`residual`, `concat { … }`): fixes that edit the structure. */
  structuralFixes?: (p: Problem) => Fix[];

  constructor(private readonly elaborator: ProblemSink) {}

  set(stmt: Stmt, inputs: Tensor[], attrs: Attrs, scope: Scope, bound: Bound | undefined, tensorArgs: readonly TensorArg[], structuralFixes?: (p: Problem) => Fix[]): this {
    this.stmt = stmt;
    this.inputs = inputs;
    this.attrs = attrs;
    this.scope = scope;
    this.bound = bound;
    this.tensorArgs = tensorArgs;
    this.structuralFixes = structuralFixes;
    return this;
  }

  error(p: Problem): void {
    this.elaborator.problem('error', p, this);
  }

  warning(p: Problem): void {
    this.elaborator.problem('warning', p, this);
  }
}
