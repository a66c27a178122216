import type { GraphNetwork } from '../../../language/views/graph.js';
import type { VisibleGraph } from '../model/visible-graph.js';

/**
 * The selection after a redraw: the box made by the statement at `select` when the host names one (after
 * the page's own edit), else the boxes still drawn, a layer now folded away standing as its group.
 */
export function keptSelection(net: GraphNetwork, g: VisibleGraph, selection: readonly string[], select: number | undefined): string[] {
  if (select !== undefined) {
    const layer = net.nodes.find((n) => n.stmt === select);
    const group = net.groups.find((gr) => gr.stmt === select);
    const box = layer ? g.shownAs.get(layer.id) : group ? boxOfGroup(net, g, group.id) : undefined;
    if (box !== undefined) return [box];
  }
  const drawn = new Set(g.nodes.map((n) => n.id));
  const kept: string[] = [];
  for (const id of selection) {
    const box = drawn.has(id) ? id : g.shownAs.get(id);
    if (box !== undefined && !kept.includes(box)) kept.push(box);
  }
  return kept;
}

/** A group's own box when it is collapsed, else the box of its first layer. */
function boxOfGroup(net: GraphNetwork, g: VisibleGraph, group: string): string | undefined {
  if (g.nodes.some((n) => n.id === group)) return group;
  const byId = new Map(net.groups.map((gr) => [gr.id, gr]));
  const inside = (id: string | undefined): boolean => {
    for (let gr = id !== undefined ? byId.get(id) : undefined; gr; gr = gr.parent !== undefined ? byId.get(gr.parent) : undefined) if (gr.id === group) return true;
    return false;
  };
  const first = net.nodes.find((n) => inside(n.group));
  return first ? g.shownAs.get(first.id) : undefined;
}
