import type { GraphGroup, GraphNetwork, GraphNode } from '../../../language/views/graph.js';

/** A box the diagram draws: one layer, or a collapsed group standing for all its layers. */
export type VisibleNode = LayerBox | GroupBox;

export interface LayerBox {
  kind: 'layer';
  id: string;
  node: GraphNode;
  /** The expanded group drawn around it. */
  parent?: string;
}

export interface GroupBox {
  kind: 'group';
  id: string;
  group: GraphGroup;
  parent?: string;
  /** Its layers' output: the shape of its last layer. */
  shape?: string;
  params: number;
  macs: number;
  macsShare: number;
  /** Bytes its layers keep for backward, together. */
  kept: number;
  /** Diagnostics of the layers inside, so a collapsed group still shows that something is wrong. */
  errors: number;
  warnings: number;
}

/** An expanded group: a frame around its children. */
export interface Frame {
  id: string;
  group: GraphGroup;
  parent?: string;
}

export interface VisibleEdge {
  from: string;
  to: string;
  shape?: string;
}

export interface VisibleGraph {
  nodes: VisibleNode[];
  frames: Frame[];
  edges: VisibleEdge[];
  /** Each layer's id → the id of the box that shows it (itself, or its outermost collapsed group). */
  shownAs: Map<string, string>;
}

/**
 * What the diagram shows of a network when the groups for which `collapsed` says so are folded: layers
 * inside a collapsed group become that group's one box, and tensors between boxes become edges (one per
 * pair of boxes, in the network's order).
 */
export function visibleGraph(net: GraphNetwork, collapsed: (g: GraphGroup) => boolean): VisibleGraph {
  const groups = new Map(net.groups.map((g) => [g.id, g]));
  const foldedAt = new Map<string, GraphGroup | undefined>();
  /** The outermost collapsed group a group sits in (itself included), memoised; parents come first. */
  const outermostFolded = (id: string): GraphGroup | undefined => {
    if (foldedAt.has(id)) return foldedAt.get(id);
    const g = groups.get(id);
    let folded: GraphGroup | undefined;
    if (g) folded = (g.parent !== undefined ? outermostFolded(g.parent) : undefined) ?? (collapsed(g) ? g : undefined);
    foldedAt.set(id, folded);
    return folded;
  };

  const nodes: VisibleNode[] = [];
  const boxes = new Map<string, GroupBox>();
  const shownAs = new Map<string, string>();
  const usedFrames = new Set<string>();
  const totalMacs = net.macs;
  for (const n of net.nodes) {
    const folded = n.group !== undefined ? outermostFolded(n.group) : undefined;
    if (!folded) {
      const box: LayerBox = { kind: 'layer', id: n.id, node: n };
      if (n.group !== undefined) box.parent = n.group;
      nodes.push(box);
      shownAs.set(n.id, n.id);
      markFrames(n.group, groups, usedFrames);
      continue;
    }
    let box = boxes.get(folded.id);
    if (!box) {
      box = { kind: 'group', id: folded.id, group: folded, params: 0, macs: 0, macsShare: 0, kept: 0, errors: 0, warnings: 0 };
      if (folded.parent !== undefined) box.parent = folded.parent;
      boxes.set(folded.id, box);
      nodes.push(box);
      markFrames(folded.parent, groups, usedFrames);
    }
    box.params += n.params;
    box.macs += n.macs;
    box.macsShare = totalMacs > 0 ? box.macs / totalMacs : 0;
    box.kept += n.kept;
    if (n.shape !== undefined) box.shape = n.shape;
    else delete box.shape;
    for (const d of n.diagnostics ?? []) {
      if (d.severity === 'error') box.errors++;
      else if (d.severity === 'warning') box.warnings++;
    }
    shownAs.set(n.id, folded.id);
  }

  const frames: Frame[] = net.groups.filter((g) => usedFrames.has(g.id)).map((g) => (g.parent !== undefined ? { id: g.id, group: g, parent: g.parent } : { id: g.id, group: g }));
  return { nodes, frames, edges: visibleEdges(net, shownAs), shownAs };
}

/** Marks a group and its ancestors as drawn frames. */
function markFrames(id: string | undefined, groups: Map<string, GraphGroup>, used: Set<string>): void {
  for (let g = id !== undefined ? groups.get(id) : undefined; g && !used.has(g.id); g = g.parent !== undefined ? groups.get(g.parent) : undefined) used.add(g.id);
}

function visibleEdges(net: GraphNetwork, shownAs: Map<string, string>): VisibleEdge[] {
  const seen = new Set<string>();
  const edges: VisibleEdge[] = [];
  for (const e of net.edges) {
    const from = shownAs.get(e.from);
    const to = shownAs.get(e.to);
    if (from === undefined || to === undefined || from === to) continue;
    const key = edgeKey(from, to);
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push(e.shape !== undefined ? { from, to, shape: e.shape } : { from, to });
  }
  return edges;
}

/** The id an edge goes by in the DOM (`data-edge`) and in layouts. */
export function edgeKey(from: string, to: string): string {
  return `${from}->${to}`;
}

/** The largest MACs share of the boxes drawn: the bars are relative to it. */
export function maxShare(g: VisibleGraph): number {
  let max = 0;
  for (const n of g.nodes) max = Math.max(max, n.kind === 'layer' ? n.node.macsShare : n.macsShare);
  return max;
}

/**
 * The most any one layer of the network keeps for backward: memory bars are relative to it, whatever is
 * folded, so a bar's length means the same when groups open and close.
 */
export function maxKept(net: GraphNetwork): number {
  let max = 0;
  for (const n of net.nodes) max = Math.max(max, n.kept);
  return max;
}
