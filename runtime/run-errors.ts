import { formatBytes } from '../language/index.js';

/**
 * ONNX Runtime's failures in the words of the network: its messages name a node (often as renamed by its
 * graph optimiser, `relu_1_nchwc`) and a C++ source location; a user needs the layer, its line and what to
 * try next.
 */

export interface LayerLine {
  name: string;
  line: number;
}

/** The layer an ONNX Runtime node name comes from: `conv_3:L12/1`, or an optimiser's `relu_1_nchwc`. */
export function layerOfNode(node: string, layers: readonly LayerLine[]): LayerLine | undefined {
  const exact = node.replace(/:L\d+(\/\d+)?$/, '');
  let best: LayerLine | undefined;
  for (const l of layers) {
    if (l.name === exact) return l;
    if (node.startsWith(l.name) && /^(?::|_|\/|$)/.test(node.slice(l.name.length)) && (!best || l.name.length > best.name.length)) best = l;
  }
  return best;
}

/** A run failure explained, or undefined when it is not one Stride can say more about. */
export function explainRunFailure(detail: string, layers: readonly LayerLine[], batch: number): string | undefined {
  if (!/Failed to allocate memory|bad_alloc|out of memory|std::bad_alloc/i.test(detail)) return undefined;
  const node = /Name:'([^']+)'/.exec(detail)?.[1];
  const layer = node ? layerOfNode(node, layers) : undefined;
  const size = /buffer of size (\d+)/.exec(detail)?.[1];
  const where = layer ? ` in ${layer.name} (line ${layer.line})` : node ? ` in node ${node}` : '';
  const what = size ? `: ONNX Runtime could not allocate ${formatBytes(Number(size))}` : '';
  const next = batch > 1 ? `try a smaller batch (--batch ${Math.max(1, Math.floor(batch / 2))})` : 'the network does not fit this machine even at batch 1; reduce its input size or width';
  return `out of memory${where} at batch ${batch}${what}; ${next}`;
}
