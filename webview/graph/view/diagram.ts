import { s } from './dom.js';
import { edgeView } from './edge-view.js';
import { frameView } from './frame-view.js';
import type { Rect } from '../model/geometry.js';
import type { Layout } from '../layout/layout.js';
import { groupNode, layerNode, type NodeStyleContext } from './node-view.js';
import { edgeKey, type VisibleGraph } from '../model/visible-graph.js';
import type { Overlay } from '../model/comparison.js';
import { badgeAt, markBadge, markClasses, removedMarker } from './compare-view.js';

/** The SVG that shows the diagram; its `viewport` group carries the pan and zoom. */
export class Diagram {
  readonly svg: SVGSVGElement;
  readonly viewport: SVGGElement;
  private readonly frames: SVGGElement;
  private readonly edges: SVGGElement;
  private readonly nodes: SVGGElement;
  /** What a comparison adds over the boxes: its removed layers' markers. */
  private readonly marks: SVGGElement;
  /** Each open group's frame by id. */
  private frameEls = new Map<string, SVGGElement>();
  /** Each drawn box (layer or collapsed group) by id. */
  boxes = new Map<string, SVGGElement>();
  /** Where each box is, by id, in diagram coordinates. */
  rects = new Map<string, Rect>();
  layout: Layout | undefined;

  constructor(svg: SVGSVGElement) {
    this.svg = svg;
    svg.replaceChildren();
    svg.append(
      s(
        'defs',
        {},
        s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' }, s('path', { class: 'arrowhead', d: 'M0,1L10,5L0,9z' })),
      ),
    );
    this.viewport = s('g', { class: 'viewport' });
    this.frames = s('g', { class: 'frames' });
    this.edges = s('g', { class: 'edges' });
    this.nodes = s('g', { class: 'nodes' });
    this.marks = s('g', { class: 'compare-marks' });
    // Frames over the edges: their fill is a faint tint, and a header must stay readable where a tensor passes it.
    this.viewport.append(this.edges, this.frames, this.nodes, this.marks);
    svg.append(this.viewport);
  }

  /** Replaces what is drawn; built off-document and swapped in at once, so the page lays out only once. */
  render(g: VisibleGraph, layout: Layout, ctx: NodeStyleContext): void {
    const frames = document.createDocumentFragment();
    const frameEls = new Map<string, SVGGElement>();
    for (const f of g.frames) {
      const at = layout.frames.get(f.id);
      if (!at) continue;
      const el = frameView(f, at);
      frames.append(el);
      frameEls.set(f.id, el);
    }
    const edges = document.createDocumentFragment();
    // A box writes its output's shape: an edge says its own only where it carries another tensor (a collapsed
    // group's inner layer feeding out), and once per source.
    const shown = new Map<string, string | undefined>(g.nodes.map((n) => [n.id, n.kind === 'layer' ? n.node.shape : n.shape]));
    for (const e of g.edges) {
      const route = layout.edges.get(edgeKey(e.from, e.to));
      if (!route || route.length < 2) continue;
      const label = e.shape !== undefined && e.shape !== shown.get(e.from);
      edges.append(edgeView(e, route, label));
      if (label) shown.set(e.from, e.shape);
    }
    const nodes = document.createDocumentFragment();
    const boxes = new Map<string, SVGGElement>();
    const rects = new Map<string, Rect>();
    for (const n of g.nodes) {
      const at = layout.boxes.get(n.id);
      if (!at) continue;
      const el = n.kind === 'layer' ? layerNode(n, at, ctx) : groupNode(n, at, ctx);
      nodes.append(el);
      boxes.set(n.id, el);
      rects.set(n.id, at);
    }
    this.frames.replaceChildren(frames);
    this.edges.replaceChildren(edges);
    this.nodes.replaceChildren(nodes);
    this.marks.replaceChildren();
    this.frameEls = frameEls;
    this.boxes = boxes;
    this.rects = rects;
    this.layout = layout;
  }

  clear(): void {
    this.frames.replaceChildren();
    this.edges.replaceChildren();
    this.nodes.replaceChildren();
    this.marks.replaceChildren();
    this.frameEls = new Map();
    this.boxes = new Map();
    this.rects = new Map();
    this.layout = undefined;
  }

  /** Sets a state class (`selected`, `cursor`, `match`, `current-match`) on exactly these boxes. */
  mark(cls: string, ids: Iterable<string>): void {
    for (const el of this.nodes.querySelectorAll(`.${cls}`)) el.classList.remove(cls);
    for (const id of ids) this.boxes.get(id)?.classList.add(cls);
  }

  /** Draws a comparison's marks over what is drawn, replacing the last ones; undefined takes them all away. */
  overlay(o: Overlay | undefined): void {
    for (const el of this.viewport.querySelectorAll('.cmp-badge')) el.remove();
    for (const el of this.viewport.querySelectorAll('.cmp-added, .cmp-changed')) el.classList.remove('cmp-added', 'cmp-changed', 'cmp-field-only');
    this.marks.replaceChildren();
    if (!o) return;
    for (const [id, m] of o.boxes) {
      const el = this.boxes.get(id);
      if (!el) continue;
      el.classList.add(...markClasses(m));
      const at = badgeAt(el.querySelector(':scope > .marker') !== null);
      el.append(markBadge(m, at.x, at.y));
    }
    for (const [id, m] of o.frames) {
      const el = this.frameEls.get(id);
      const at = this.layout?.frames.get(id);
      if (!el || !at) continue;
      el.classList.add(...markClasses(m));
      el.append(markBadge(m, at.w - 14, 14));
    }
    for (const r of o.removed) {
      const at = this.rects.get(r.box);
      if (at) this.marks.append(removedMarker(r, at));
    }
  }
}
