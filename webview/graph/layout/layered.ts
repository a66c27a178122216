import { NODE_H, NODE_W, type Point, type Rect } from '../model/geometry.js';
import type { Layout } from './layout.js';
import { placeAcross } from './layered-place.js';
import { ranksOf } from './layered-ranks.js';
import { assignTracks, backwardRoutes, routesOf, startsOf, type Route } from './layered-routes.js';
import { rowsOf, type Rows } from './layered-rows.js';
import { structureOf } from './layered-structure.js';
import { uLayout } from './layered-u.js';
import type { VisibleGraph } from '../model/visible-graph.js';

/**
 * A layered layout made for what these diagrams are: a network read from the top down, its text order a
 * topological order. Ranks are the longest path from the inputs; the main path keeps one straight column;
 * branches stand side by side to its right in text order, and a skip with no layers of its own runs in a
 * lane beside what it passes; frames are stacked and hold exactly their contents. Edges are orthogonal,
 * from a box's bottom to the top centre of the next, jogging only in the gaps between ranks.
 *
 * An encoder–decoder network is drawn as a U instead (layered-u.ts), its skips across between the arms.
 *
 * Pure and deterministic: the same graph always gives the same layout (a few milliseconds for hundreds of
 * boxes, linear in practice).
 */
export function layoutGraph(g: VisibleGraph): Layout {
  return uLayout(g, columnLayout) ?? columnLayout(g);
}

/** The layout of everything but the U: one main column, branches and lanes to its right. */
function columnLayout(g: VisibleGraph): Layout {
  const s = structureOf(g);
  const ranks = ranksOf(s);
  const across = placeAcross(s, ranks);
  const routes = routesOf(s, ranks, across, startsOf(s, across));
  const back = backwardRoutes(s, ranks, across);
  const rows = rowsOf(s, ranks, assignTracks([...routes, ...back.routes], Math.max(0, ranks.count - 1)));

  const boxes = new Map<string, Rect>();
  s.ids.forEach((id, b) => boxes.set(id, { x: across.boxX[b] - NODE_W / 2, y: rows.y[ranks.box[b]], w: NODE_W, h: NODE_H }));
  const frames = new Map<string, Rect>();
  s.frameIds.forEach((id, f) => {
    if (Number.isNaN(across.frameX[f]) || Number.isNaN(rows.frameTop[f])) return;
    frames.set(id, { x: across.frameX[f], y: rows.frameTop[f], w: across.frameW[f], h: rows.frameBottom[f] - rows.frameTop[f] });
  });
  const edges = new Map<string, Point[]>();
  s.edges.forEach((e, i) => edges.set(e.key, polyline(routes[i], rows, rows.y[ranks.box[e.from]] + NODE_H, rows.y[ranks.box[e.to]])));
  s.backward.forEach((e, i) => edges.set(e.key, polyline(back.routes[i], rows, rows.y[ranks.box[e.from]] + NODE_H, rows.y[ranks.box[e.to]])));
  return { boxes, frames, edges, width: across.width + back.width, height: rows.height };
}

function polyline(route: Route, rows: Rows, startY: number, endY: number): Point[] {
  const points: Point[] = [{ x: route.xs[0], y: startY }];
  for (const j of route.jogs) {
    const y = rows.trackY(j.gap, j.track);
    points.push({ x: j.x1, y }, { x: j.x2, y });
  }
  points.push({ x: route.xs[route.xs.length - 1], y: endY });
  return points;
}
