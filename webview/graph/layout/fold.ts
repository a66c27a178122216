import { FOLDS, OPEN_UP_TO, collapsedBy, type Fold } from '../model/collapse.js';
import { visibleGraph, type VisibleGraph } from '../model/visible-graph.js';
import type { GraphNetwork } from '../../../language/views/graph.js';
import { layoutGraph } from './layered.js';
import type { Layout } from './layout.js';

export interface Folded {
  fold: Fold;
  graph: VisibleGraph;
  layout: Layout;
}

/**
 * The network folded as little as keeps its diagram at most `maxHeight` tall (a few screens), or as much as
 * it can be: a deep network then opens as its stages, not as a strip too thin to read when fitted. A network
 * with nothing to fold, or a big one, skips the layouts it would not keep.
 */
export function defaultFold(net: GraphNetwork, choices: Record<string, boolean>, maxHeight: number): Folded {
  const folds = net.groups.length === 0 ? (['open'] as const) : FOLDS.filter((f) => f !== 'open' || net.nodes.length <= OPEN_UP_TO);
  let last: Folded | undefined;
  for (const fold of folds) {
    const graph = visibleGraph(net, collapsedBy(net, choices, fold));
    // A fold that changes nothing drawn (no block calls) gives the layout already made.
    if (last && graph.nodes.length === last.graph.nodes.length && graph.frames.length === last.graph.frames.length) continue;
    last = { fold, graph, layout: layoutGraph(graph) };
    if (last.layout.height <= maxHeight) return last;
  }
  return last!;
}
