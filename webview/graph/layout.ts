import type { ElkExtendedEdge, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import { FRAME_PAD, NODE_H, NODE_W, type Point, type Rect } from './geometry.js';
import type { LayoutWorker } from './layout-worker.js';
import { edgeKey, type VisibleGraph } from './visible-graph.js';

/** Where everything of a visible graph goes, in one coordinate system (the diagram's). */
export interface Layout {
  boxes: Map<string, Rect>;
  frames: Map<string, Rect>;
  /** Each edge's route, by `edgeKey`: start, bends, end. */
  edges: Map<string, Point[]>;
  width: number;
  height: number;
}

/** Above this many boxes ELK spends less effort on crossings: a long chain gains little from more. */
const LARGE = 600;

function layoutOptions(boxes: number): LayoutOptions {
  return {
    'elk.algorithm': 'layered',
    'elk.direction': 'DOWN',
    // Edges between layers of different groups are laid out with the groups, in one pass.
    'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
    'elk.edgeRouting': 'ORTHOGONAL',
    'elk.json.shapeCoords': 'ROOT',
    'elk.json.edgeCoords': 'ROOT',
    // The text's order is the reader's order: the main path first, branches beside it.
    'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    'elk.layered.nodePlacement.bk.fixedAlignment': 'NONE',
    'elk.layered.thoroughness': boxes > LARGE ? '1' : '7',
    'elk.spacing.nodeNode': '28',
    // Room between layers for the tensor's shape written beside each edge.
    'elk.layered.spacing.nodeNodeBetweenLayers': '34',
    'elk.layered.spacing.edgeNodeBetweenLayers': '14',
    'elk.spacing.edgeNode': '16',
    'elk.spacing.edgeEdge': '12',
    'elk.padding': '[top=16,left=16,bottom=16,right=16]',
  };
}

/**
 * What a layout depends on: the boxes, the frames that hold them and the edges. Labels, shapes and costs are
 * not in it, so a change of a value reuses the layout.
 */
export function structureKey(g: VisibleGraph): string {
  const parts: string[] = [];
  for (const f of g.frames) parts.push(`f ${f.id} ${f.parent ?? ''}`);
  for (const n of g.nodes) parts.push(`${n.kind === 'layer' ? 'n' : 'g'} ${n.id} ${n.parent ?? ''}`);
  for (const e of g.edges) parts.push(`e ${edgeKey(e.from, e.to)}`);
  return parts.join('\n');
}

/** The ELK graph of a visible graph: frames as compound nodes, every edge declared at the root. */
export function elkGraph(g: VisibleGraph): ElkNode {
  const root: ElkNode = { id: '#root', layoutOptions: layoutOptions(g.nodes.length), children: [], edges: [] };
  const frames = new Map<string, ElkNode>();
  const containerOf = (parent: string | undefined): ElkNode => (parent !== undefined ? (frames.get(parent) ?? root) : root);
  for (const f of g.frames) {
    const node: ElkNode = {
      id: f.id,
      children: [],
      layoutOptions: { 'elk.padding': `[top=${FRAME_PAD.top},left=${FRAME_PAD.side},bottom=${FRAME_PAD.bottom},right=${FRAME_PAD.side}]` },
    };
    frames.set(f.id, node);
    containerOf(f.parent).children!.push(node);
  }
  for (const n of g.nodes) containerOf(n.parent).children!.push({ id: n.id, width: NODE_W, height: NODE_H });
  root.edges = g.edges.map((e): ElkExtendedEdge => ({ id: edgeKey(e.from, e.to), sources: [e.from], targets: [e.to] }));
  return root;
}

/**
 * A small graph with what the diagrams have (a chain, a skip edge, a branch, nested groups): laying it out a
 * few times while the page waits for its first document compiles ELK's code paths, which otherwise makes
 * the first real layout several times slower than the next ones.
 */
export function warmUpGraph(): ElkNode {
  const leaf = (id: string): ElkNode => ({ id, width: NODE_W, height: NODE_H });
  const frame = (id: string, children: ElkNode[]): ElkNode => ({ id, children, layoutOptions: { 'elk.padding': `[top=${FRAME_PAD.top},left=${FRAME_PAD.side},bottom=${FRAME_PAD.bottom},right=${FRAME_PAD.side}]` } });
  const chain = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'];
  const edges: [string, string][] = chain.slice(1).map((id, i) => [chain[i], id]);
  edges.push(['b', 'f'], ['f', 'j'], ['c', 'e'], ['g', 'i']);
  return {
    id: '#warm-up',
    layoutOptions: layoutOptions(chain.length),
    children: [leaf('a'), leaf('b'), frame('G1', [leaf('c'), leaf('d'), leaf('e'), frame('G2', [leaf('f'), leaf('g')])]), frame('G3', [leaf('h'), leaf('i'), leaf('j')]), leaf('k'), leaf('l')],
    edges: edges.map(([from, to]) => ({ id: `${from}->${to}`, sources: [from], targets: [to] })),
  };
}

/** Reads the positions ELK wrote into the graph (root coordinates, as the options ask). */
export function readLayout(result: ElkNode, g: VisibleGraph): Layout {
  const frameIds = new Set(g.frames.map((f) => f.id));
  const boxes = new Map<string, Rect>();
  const frames = new Map<string, Rect>();
  const walk = (n: ElkNode) => {
    for (const c of n.children ?? []) {
      const r = { x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? NODE_W, h: c.height ?? NODE_H };
      (frameIds.has(c.id) ? frames : boxes).set(c.id, r);
      walk(c);
    }
  };
  walk(result);
  const edges = new Map<string, Point[]>();
  const collect = (n: ElkNode) => {
    for (const e of n.edges ?? []) {
      const s = e.sections?.[0];
      if (s) edges.set(e.id, [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    }
    for (const c of n.children ?? []) collect(c);
  };
  collect(result);
  return { boxes, frames, edges, width: result.width ?? 0, height: result.height ?? 0 };
}

/** Lays out visible graphs in the worker, remembering recent layouts by structure. */
export class Layouter {
  private readonly cache = new Map<string, Layout>();
  private static readonly KEEP = 6;

  constructor(private readonly worker: LayoutWorker) {}

  /** The cached layout for this structure, if any: lets a redraw skip the worker entirely. */
  cached(key: string): Layout | undefined {
    const hit = this.cache.get(key);
    if (hit) {
      // Most recently used last, so the oldest is the one dropped.
      this.cache.delete(key);
      this.cache.set(key, hit);
    }
    return hit;
  }

  /** Adds a layout made earlier (kept in the page's saved state). */
  seed(key: string, layout: Layout): void {
    this.remember(key, layout);
  }

  async layout(g: VisibleGraph, key: string = structureKey(g)): Promise<Layout> {
    const hit = this.cached(key);
    if (hit) return hit;
    const result = await this.worker.layout(elkGraph(g));
    const layout = readLayout(result, g);
    this.remember(key, layout);
    return layout;
  }

  private remember(key: string, layout: Layout): void {
    this.cache.set(key, layout);
    if (this.cache.size > Layouter.KEEP) this.cache.delete(this.cache.keys().next().value!);
  }
}
