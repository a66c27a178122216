import { FRAME_PAD, NODE_W } from '../model/geometry.js';
import { chainsOf, type Span, type Unit } from './layered-chains.js';
import { placeColumns } from './layered-columns.js';
import type { Ranks } from './layered-ranks.js';
import { ENTRY, EXIT, type LocalEdge, type Structure } from './layered-structure.js';

/** Room around the whole diagram. */
export const MARGIN = 16;

/** An edge's vertical stretch in diagram coordinates: over ranks from..to, at x. */
interface Stretch {
  from: number;
  to: number;
  x: number;
}

export interface Across {
  /** Each box's centre. */
  boxX: Float64Array;
  /** Each frame's left edge and width (NaN for a frame with no box). */
  frameX: Float64Array;
  frameW: Float64Array;
  /** Each edge's stretches between its ends, top to bottom. */
  stretches: Stretch[][];
  width: number;
}

interface Laid {
  unitX: Float64Array;
  runs: { edge: number; from: number; to: number; x: number }[];
  minX: number;
  maxX: number;
}

/**
 * Horizontal placement, container by container: the innermost frames first, each then one unit of its
 * container with its width about its main column and the places where edges cross its borders; then every
 * container's coordinates are made the diagram's, the root's first.
 */
export function placeAcross(s: Structure, ranks: Ranks): Across {
  const frames = s.frameIds.length;
  const root = frames;
  const shapes: (Unit | undefined)[] = new Array(frames);
  const laid: (Laid | undefined)[] = new Array(frames + 1);
  const innermostFirst = Array.from({ length: frames }, (_, f) => f).sort((a, b) => s.frameChain[b].length - s.frameChain[a].length);
  for (const c of [...innermostFirst, root]) {
    if (s.units[c].length === 0) continue;
    const top = c === root ? 0 : ranks.frameTop[c];
    const bottom = c === root ? ranks.count - 1 : ranks.frameBottom[c];
    const l = layContainer(s, ranks, shapes, c, top, bottom);
    laid[c] = l.laid;
    if (c !== root) shapes[c] = l.shape;
  }

  const boxX = new Float64Array(s.ids.length);
  const frameX = new Float64Array(frames).fill(NaN);
  const frameW = new Float64Array(frames).fill(NaN);
  const stretches: Stretch[][] = s.edges.map(() => []);
  const origin = new Float64Array(frames + 1);
  const rootLaid = laid[root];
  origin[root] = MARGIN - (rootLaid?.minX ?? 0);
  for (const c of [root, ...[...innermostFirst].reverse()]) {
    const l = laid[c];
    if (!l) continue;
    s.units[c].forEach((u, i) => {
      const x = origin[c] + l.unitX[i];
      if (u < s.ids.length) boxX[u] = x;
      else origin[u - s.ids.length] = x;
    });
    for (const r of l.runs) stretches[r.edge].push({ from: r.from, to: r.to, x: origin[c] + r.x });
    if (c !== root) {
      const shape = shapes[c]!;
      frameX[c] = origin[c] - shape.left;
      frameW[c] = shape.left + shape.right;
    }
  }
  for (const st of stretches) st.sort((a, b) => a.from - b.from);
  const width = rootLaid ? rootLaid.maxX - rootLaid.minX + 2 * MARGIN : 2 * MARGIN;
  return { boxX, frameX, frameW, stretches, width };
}

function layContainer(s: Structure, ranks: Ranks, shapes: (Unit | undefined)[], c: number, top: number, bottom: number): { laid: Laid; shape: Unit } {
  const n = s.ids.length;
  const ids = s.units[c];
  const units: Unit[] = ids.map((u) => (u < n ? { top: ranks.box[u], bottom: ranks.box[u], left: NODE_W / 2, right: NODE_W / 2 } : shapes[u - n]!));
  const indexOf = new Map(ids.map((u, i) => [u, i]));
  const spans = s.localEdges[c].map((e) => spanOf(s, ranks, units, indexOf, e, top, bottom));
  const chains = chainsOf(units, spans);
  const cols = placeColumns(units, chains);
  const runs = chains.runs.map((r, i) => ({ edge: r.edge, from: r.from, to: r.to, x: cols.runX[i] }));

  // Where edges cross this container's border: their run, or the unit they start or end at.
  const entry = new Map<number, number>();
  const exit = new Map<number, number>();
  spans.forEach((sp, i) => {
    const run = chains.runOf[i];
    const end = sp.a < 0 ? sp.b : sp.a;
    const port = sp.a < 0 ? units[end].entry : units[end].exit;
    const x = run >= 0 ? cols.runX[run] : cols.unitX[end] + (port?.get(sp.edge) ?? 0);
    if (sp.a < 0) entry.set(sp.edge, x);
    else if (sp.b < 0) exit.set(sp.edge, x);
  });
  const shape: Unit = { top, bottom, left: -cols.minX + FRAME_PAD.side, right: cols.maxX + FRAME_PAD.side, entry, exit };
  return { laid: { unitX: cols.unitX, runs, minX: cols.minX, maxX: cols.maxX }, shape };
}

/**
 * The rows an edge runs down through in a container: from below the unit it leaves (or from the top border)
 * to above the unit it reaches (or to the bottom border). A frame whose layers are not all together in the
 * text (a repeat inside a repeat) holds rows of other units beside it: an edge to one of those leaves the
 * frame just above it, through its side, and one from them comes in just below it.
 */
function spanOf(s: Structure, ranks: Ranks, units: Unit[], indexOf: Map<number, number>, e: LocalEdge, top: number, bottom: number): Span {
  const rs = ranks.box[s.edges[e.edge].from];
  const rt = ranks.box[s.edges[e.edge].to];
  const a = e.from === ENTRY ? -1 : indexOf.get(e.from)!;
  const b = e.to === EXIT ? -1 : indexOf.get(e.to)!;
  const from = a < 0 ? Math.max(top, rs + 1) : Math.min(units[a].bottom, rt - 1) + 1;
  const to = b < 0 ? Math.min(bottom, rt - 1) : Math.max(units[b].top, rs + 1) - 1;
  return { edge: e.edge, a, b, from, to };
}
