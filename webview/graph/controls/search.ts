import type { GraphNetwork } from '../../../language/views/graph.js';
import type { VisibleGraph } from '../model/visible-graph.js';

/**
 * The boxes whose layers match a query (case-insensitive, in a layer's id, op or written values, or a
 * collapsed group's label), in the network's order. A layer inside a collapsed group is found as that group.
 */
export function findBoxes(net: GraphNetwork, g: VisibleGraph, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const found = new Set<string>();
  const groupLabel = new Map(g.nodes.filter((n) => n.kind === 'group').map((n) => [n.id, n.kind === 'group' ? n.group.label.toLowerCase() : '']));
  for (const n of net.nodes) {
    const box = g.shownAs.get(n.id);
    if (box === undefined || found.has(box)) continue;
    const hit = n.id.toLowerCase().includes(q) || n.op.toLowerCase().includes(q) || n.label.toLowerCase().includes(q) || (groupLabel.get(box)?.includes(q) ?? false);
    if (hit) found.add(box);
  }
  return [...found];
}
