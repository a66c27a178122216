import { s, tooltip } from './dom.js';
import type { Point } from '../model/geometry.js';
import { edgeKey, type VisibleEdge } from '../model/visible-graph.js';

/**
 * A tensor: the route the layout gave it, an arrowhead, and its shape written just below where it leaves its
 * source. Edges leaving one box carry the same tensor, so only the first of them shows its label (the others
 * keep theirs in the DOM, hidden, for whoever reads the diagram as data).
 */
export function edgeView(e: VisibleEdge, route: Point[], labelShown: boolean): SVGGElement {
  const g = s('g', { class: 'edge', 'data-edge': edgeKey(e.from, e.to) });
  g.append(tooltip(`${e.from} → ${e.to}: ${e.shape ?? 'shape unknown'}`));
  g.append(s('path', { d: pathOf(route), 'marker-end': 'url(#arrow)' }));
  if (e.shape !== undefined) {
    const start = route[0];
    g.append(s('text', { class: labelShown ? 'edge-label' : 'edge-label repeat', x: start.x + 6, y: start.y + 13 }, e.shape));
  }
  return g;
}

function pathOf(points: Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)},${round(p.y)}`).join('');
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
