import type { GraphNetwork } from '../../../language/views/graph.js';
import type { VisibleGraph } from '../model/visible-graph.js';

/**
 * The boxes whose layers match a query, in the network's order. A query matches what a layer reads as: its
 * id (`conv_40`, `Bottleneck_3.conv_2`), its statement with this call's values (`conv 512 1x1 stride 2`) or
 * as written (`conv c*4 1x1 stride stride`), its output shape (`7x7x2048`), or a collapsed group's label;
 * case-insensitive, its words in that order, each a part of a word or more (`conv stride 2`, `512`). A layer
 * inside a collapsed group is found as that group.
 */
export function findBoxes(net: GraphNetwork, g: VisibleGraph, query: string): string[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return [];
  const found = new Set<string>();
  const groupLabel = new Map(g.nodes.flatMap((n) => (n.kind === 'group' ? [[n.id, n.group.label.toLowerCase()] as const] : [])));
  for (const n of net.nodes) {
    const box = g.shownAs.get(n.id);
    if (box === undefined || found.has(box)) continue;
    const fields = [n.id, `${n.op} ${n.label}`, n.written !== undefined ? `${n.op} ${n.written}` : '', n.shape ?? ''];
    const label = groupLabel.get(box);
    if (label !== undefined) fields.push(label);
    if (fields.some((f) => inOrder(f.toLowerCase(), words))) found.add(box);
  }
  return [...found];
}

/** Whether the words occur in the text one after another, anything between. */
function inOrder(text: string, words: readonly string[]): boolean {
  let at = 0;
  for (const w of words) {
    const i = text.indexOf(w, at);
    if (i < 0) return false;
    at = i + w.length;
  }
  return true;
}
