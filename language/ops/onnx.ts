import type { LowerInput, OnnxAttr, OnnxNode, Pads } from './types.js';

/** Small builders for ONNX nodes, shared by the op families' lowerings. */

export const int = (i: number): OnnxAttr => ({ i });
export const float = (f: number): OnnxAttr => ({ f });
export const ints = (v: readonly number[]): OnnxAttr => ({ ints: v });
export const str = (s: string): OnnxAttr => ({ s });

export function node(opType: string, inputs: string[], outputs: string[], attributes?: Record<string, OnnxAttr>): OnnxNode {
  return attributes ? { opType, inputs, outputs, attributes } : { opType, inputs, outputs };
}

/** A one-node layer reading its inputs and writing its output. */
export function single(x: LowerInput, opType: string, attributes?: Record<string, OnnxAttr>): OnnxNode[] {
  return [node(opType, x.inputs, [x.output], attributes)];
}

/** ONNX padding: explicit `pads` [top, left, bottom, right], or SAME_UPPER / VALID. */
export function padAttrs(p: Pads): Record<string, OnnxAttr> {
  if (p.mode === 'same') return { auto_pad: str('SAME_UPPER') };
  if (p.mode === 'valid') return { auto_pad: str('VALID') };
  return { pads: ints(p.sides) };
}
