import { s, tooltip } from './dom.js';
import type { Point } from '../model/geometry.js';
import { edgeKey, type VisibleEdge } from '../model/visible-graph.js';

/**
 * A tensor: the route the layout gave it and an arrowhead. Its shape is in `data-shape` and the tooltip, and
 * written beside where it leaves its source only when `labelled` (its source box shows another shape); below
 * the source for an edge going down, above it for one going up.
 */
export function edgeView(e: VisibleEdge, route: Point[], labelled: boolean): SVGGElement {
  const g = s('g', { class: 'edge', 'data-edge': edgeKey(e.from, e.to), 'data-shape': e.shape });
  g.append(tooltip(`${e.from} → ${e.to}: ${e.shape ?? 'shape unknown'}`));
  g.append(s('path', { d: pathOf(route), 'marker-end': 'url(#arrow)' }));
  if (labelled && e.shape !== undefined) {
    const start = route[0];
    const up = route[1].y < start.y;
    g.append(s('text', { class: 'edge-label', x: start.x + 6, y: up ? start.y - 5 : start.y + 13 }, e.shape));
  }
  return g;
}

function pathOf(points: Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)},${round(p.y)}`).join('');
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
