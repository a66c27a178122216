/**
 * ONNX Runtime's profile of the optimised graph, back on the layers of the text. The optimiser folds a
 * batchnorm into the conv before it, fuses an activation (and a residual's add with its activation) into a
 * conv, and rewrites convs in NCHWc blocks, naming each new node after the tensor it stands for
 * (`relu_1_nchwc` is conv_1 + batchnorm_1 + relu_1; `Basic_1.batchnorm_2_nchwc` is conv_2 + batchnorm_2 +
 * the block's add and relu), and it adds layout reorders. Each profiled node is anchored on the layer it is
 * named after; the layers with no node of their own are the anchor's chain: back along the main input while
 * nothing else reads it, and forward through the elementwise layers that read only its output. The time of
 * a node goes to the heaviest layer of its group (the conv), and the others are said to be fused into it.
 */

export interface ProfiledLayer {
  name: string;
  op: string;
  line: number;
  /** Layers whose outputs it reads, the main input first; the network's input is not listed. */
  inputs: string[];
  /** Whether it multiplies (a conv, a dense layer): the kernel a fused group runs. */
  macs: boolean;
}

export interface LayerTime {
  name: string;
  line: number;
  op: string;
  /** Milliseconds per run. */
  ms: number;
  /** The layers ONNX Runtime ran inside this one's kernel. */
  fused?: string[];
  /** The layer whose kernel ran this one. */
  fusedInto?: string;
}

/** Ops a conv kernel can take on after itself: ONNX Runtime's activation and sum fusions. */
const FOLLOWS = new Set(['add', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'tanh', 'hardsigmoid', 'hardswish', 'silu', 'batchnorm']);

/** The layer a profiled node stands for: its name less the source line, a part number, and `_nchwc`. */
export function anchorOf(node: string, layers: ReadonlySet<string>): string | undefined {
  const base = node.replace(/:L\d+(\/\d+)?$/, '').replace(/_nchwc$/, '');
  return layers.has(base) ? base : undefined;
}

/**
 * Per layer, milliseconds per run from the profile's kernel time per node (µs summed over `runs`, in the
 * order the nodes ran). A node no layer names (a layout reorder) counts with the node that ran before it,
 * or, at the start, with the first that is named.
 */
export function attributeTimes(layers: readonly ProfiledLayer[], nodeTimes: Readonly<Record<string, number>>, runs: number): LayerTime[] {
  const names = new Set(layers.map((l) => l.name));
  const index = new Map(layers.map((l, i) => [l.name, i]));
  const readers = new Map<string, string[]>();
  for (const l of layers) for (const i of l.inputs) (readers.get(i) ?? readers.set(i, []).get(i)!).push(l.name);
  const us = new Map<string, number>();
  const anchors = new Set<string>();
  let last: string | undefined;
  let early = 0;
  for (const [node, t] of Object.entries(nodeTimes)) {
    const layer = anchorOf(node, names) ?? last;
    if (!layer) {
      early += t;
      continue;
    }
    anchors.add(layer);
    us.set(layer, (us.get(layer) ?? 0) + t + early);
    early = 0;
    last = layer;
  }
  // Each anchor's group: back along the main input, forward through what only it feeds.
  const groupOf = new Map<string, string>();
  for (const anchor of anchors) groupOf.set(anchor, anchor);
  for (const anchor of anchors) {
    for (let l = layers[index.get(anchor)!]; ; ) {
      const from = l.inputs[0];
      if (from === undefined || anchors.has(from) || groupOf.has(from) || (readers.get(from)?.length ?? 0) !== 1) break;
      groupOf.set(from, anchor);
      l = layers[index.get(from)!];
    }
    for (let name = anchor; ; ) {
      const next = readers.get(name);
      if (!next || next.length !== 1) break;
      const r = layers[index.get(next[0])!];
      if (anchors.has(r.name) || groupOf.has(r.name) || !FOLLOWS.has(r.op) || r.inputs[0] !== name && r.op !== 'add') break;
      groupOf.set(r.name, anchor);
      name = r.name;
    }
  }
  // A group's time on its heaviest layer; the others fused into it.
  const members = new Map<string, string[]>();
  for (const l of layers) {
    const a = groupOf.get(l.name);
    if (a) (members.get(a) ?? members.set(a, []).get(a)!).push(l.name);
  }
  const kernel = new Map<string, string>();
  for (const [anchor, group] of members) kernel.set(anchor, group.find((n) => layers[index.get(n)!].macs) ?? anchor);
  const out: LayerTime[] = layers.map((l) => ({ name: l.name, line: l.line, op: l.op, ms: 0 }));
  for (const [anchor, group] of members) {
    const k = kernel.get(anchor)!;
    const row = out[index.get(k)!];
    row.ms = (us.get(anchor) ?? 0) / 1000 / runs;
    const others = group.filter((n) => n !== k);
    if (others.length > 0) row.fused = others;
    for (const n of others) out[index.get(n)!].fusedInto = k;
  }
  return out;
}
