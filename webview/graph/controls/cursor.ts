import type { GraphNetwork } from '../../../language/views/graph.js';
import type { VisibleGraph } from '../model/visible-graph.js';

/**
 * The boxes a text line made: the layers written on it, and for a block call or a repeat written on it the
 * layers it expanded to. Each is found as the box that shows it.
 */
export function boxesOfLine(net: GraphNetwork, g: VisibleGraph, line: number): string[] {
  const groupLine = new Map(net.groups.map((gr) => [gr.id, gr]));
  const madeBy = (groupId: string | undefined): boolean => {
    for (let gr = groupId !== undefined ? groupLine.get(groupId) : undefined; gr; gr = gr.parent !== undefined ? groupLine.get(gr.parent) : undefined) {
      if (gr.line === line) return true;
    }
    return false;
  };
  const out = new Set<string>();
  for (const n of net.nodes) {
    if (n.line !== line && !madeBy(n.group)) continue;
    const box = g.shownAs.get(n.id);
    if (box !== undefined) out.add(box);
  }
  return [...out];
}
