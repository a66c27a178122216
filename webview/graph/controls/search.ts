import type { GraphNetwork } from '../../../language/views/graph.js';
import type { VisibleGraph } from '../model/visible-graph.js';

/**
 * The boxes whose layers match a query, in the network's order. Each word of the query (case-insensitive)
 * must be found in one of: the layer's id (`conv_40`, `Bottleneck_3.conv_2`), op, values (this call's,
 * `512`, and as written, `c*4`) or output shape (`7x7x2048`), or a collapsed group's label. A layer inside a
 * collapsed group is found as that group.
 */
export function findBoxes(net: GraphNetwork, g: VisibleGraph, query: string): string[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return [];
  const found = new Set<string>();
  const groupLabel = new Map(g.nodes.flatMap((n) => (n.kind === 'group' ? [[n.id, n.group.label.toLowerCase()] as const] : [])));
  for (const n of net.nodes) {
    const box = g.shownAs.get(n.id);
    if (box === undefined || found.has(box)) continue;
    const fields = [n.id, n.op, n.label, n.written ?? '', n.shape ?? ''].map((f) => f.toLowerCase());
    const label = groupLabel.get(box);
    if (label !== undefined) fields.push(label);
    if (words.every((w) => fields.some((f) => f.includes(w)))) found.add(box);
  }
  return [...found];
}
