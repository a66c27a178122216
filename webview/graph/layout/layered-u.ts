import { NODE_H, type Point, type Rect } from '../model/geometry.js';
import { edgeKey, type VisibleGraph, type VisibleNode } from '../model/visible-graph.js';
import type { Layout } from './layout.js';
import { MARGIN } from './layered-place.js';
import { chainOfBox, structureOf, type Structure } from './layered-structure.js';

/** Fewer nested skips than this is a network with a few long shortcuts, not an encoder–decoder. */
const MIN_LEVELS = 3;
/** More long edges than this at the top level is a network of many shortcuts: no U is looked for among them. */
const MAX_LONG_EDGES = 400;
/** Between the two arms: room for the skips' arrows. */
const ARM_GAP = 72;
/** Between two stages of the rising arm, as between two ranks. */
const STAGE_GAP = 34;
/** Below the bottom of the U, where the edge from the encoder's last layer turns to the decoder's first. */
const TURN_BELOW = 20;
const EPS = 0.01;

/**
 * An encoder–decoder network (U-Net) drawn as a U: the encoder down the left, the decoder up the right, and
 * each skip connection straight across between the two arms, from the encoder stage to the decoder layer at
 * its height.
 *
 * It applies when the diagram's top level has at least MIN_LEVELS nested skips (the first unit feeding the
 * last merge, the second the one before it, …) into boxes, and the two arms meet only through them and the
 * edges from stage to stage; otherwise `undefined`, and the diagram is one column as usual. The encoder and
 * each decoder stage (from a merge to the next) are laid out by `layOut`, the stages upside down: each is laid
 * out in reverse order and its routes reversed, so it reads upwards with its frames' headers on top. The left
 * arm is stretched between stages where a decoder stage is taller than its encoder stage.
 */
export function uLayout(g: VisibleGraph, layOut: (g: VisibleGraph) => Layout): Layout | undefined {
  if (g.nodes.length < 2 * MIN_LEVELS + 2) return undefined;
  const s = structureOf(g);
  if (s.backward.length > 0) return undefined;
  const u = splitU(s);
  if (!u) return undefined;

  const { parts, skips, unitOf } = u;
  const partOfBox = (b: number) => u.partOfUnit[unitOf[b]];
  const left = layOut(subgraph(g, (b) => partOfBox(b) === 0, false));
  const right = parts.slice(1).map((_, i) => layOut(subgraph(g, (b) => partOfBox(b) === i + 1, true)));
  // parts[1] is the stage nearest the bottom (its skip is the innermost, skips[k-1]); parts[k] the top one.
  const k = skips.length;
  const skipOf = (p: number) => skips[k - p];

  const L = copyLayout(left);
  const offsets: number[] = new Array(k + 1).fill(0);
  const extent = right.map(contentExtent);
  // From the top stage down: each placed with its merge at its skip source's height, the left arm stretched
  // where a stage would reach into the one above it.
  for (let p = k; p >= 1; p--) {
    const sk = skipOf(p);
    const place = () => L.boxes.get(s.ids[sk.from])!.y - right[p - 1].boxes.get(s.ids[sk.to])!.y;
    offsets[p] = place();
    if (p < k) {
      const above = offsets[p + 1] + extent[p].bottom + STAGE_GAP;
      const short = above - (offsets[p] + extent[p - 1].top);
      if (short > EPS) {
        if (!stretch(L, s, u, skipOf(p + 1).fromUnit, short)) return undefined;
        offsets[p] = place();
      }
    }
  }

  // The right arm's stages share one axis: their merges' centres.
  const axis = right.map((l, i) => centreX(l.boxes.get(s.ids[skipOf(i + 1).to])!));
  const leftWidth = Math.max(...[...L.boxes.values(), ...L.frames.values()].map((r) => r.x + r.w));
  const reach = Math.min(...extent.map((e, i) => e.left - axis[i]));
  const rightAxis = leftWidth + ARM_GAP - reach;

  const out: Layout = { boxes: new Map(L.boxes), frames: new Map(L.frames), edges: new Map(L.edges), width: 0, height: 0 };
  right.forEach((l, i) => {
    const dx = rightAxis - axis[i];
    const dy = offsets[i + 1];
    for (const [id, r] of l.boxes) out.boxes.set(id, move(r, dx, dy));
    for (const [id, r] of l.frames) out.frames.set(id, move(r, dx, dy));
    // Laid out reversed: the route of b→a, read backwards, is a→b going up.
    for (const [key, pts] of l.edges) {
      const [to, from] = splitKey(key);
      out.edges.set(edgeKey(from, to), pts.map((p) => ({ x: p.x + dx, y: p.y + dy })).reverse());
    }
  });

  const lowest = Math.max(...[...out.boxes.values(), ...out.frames.values()].map((r) => r.y + r.h));
  for (const e of u.links) {
    const a = out.boxes.get(s.ids[e.from])!;
    const b = out.boxes.get(s.ids[e.to])!;
    out.edges.set(s.edges[e.edge].key, e.bottom ? bottomTurn(a, b, lowest + TURN_BELOW) : upward(a, b));
  }
  for (const sk of skips) {
    const a = out.boxes.get(s.ids[sk.from])!;
    const b = out.boxes.get(s.ids[sk.to])!;
    const y = a.y + NODE_H / 2;
    if (Math.abs(b.y - a.y) > EPS || !clearAcross(out, s, g, sk.from, a.x + a.w, b.x, y)) return undefined;
    out.edges.set(s.edges[sk.edge].key, [
      { x: a.x + a.w, y },
      { x: b.x, y },
    ]);
  }
  return framed(out);
}

interface Skip {
  edge: number;
  from: number;
  to: number;
  fromUnit: number;
  toUnit: number;
}

interface Link {
  edge: number;
  from: number;
  to: number;
  /** The edge from the encoder's last layer to the decoder's first, round the bottom of the U. */
  bottom: boolean;
}

interface USplit {
  /** Each top-level unit's part: 0 the left arm, p ≥ 1 the p-th decoder stage from the bottom. */
  partOfUnit: Int32Array;
  /** Each box's top-level unit, by position in the diagram's list of them. */
  unitOf: Int32Array;
  parts: number[][];
  /** Outermost first. */
  skips: Skip[];
  links: Link[];
}

function splitU(s: Structure): USplit | undefined {
  const n = s.ids.length;
  const root = s.frameIds.length;
  const units = s.units[root];
  const position = new Map(units.map((u, i) => [u, i]));
  const unitOf = Int32Array.from(s.ids, (_, b) => {
    const chain = chainOfBox(s.frameChain, s.boxFrame, b, root);
    return position.get(chain.length === 0 ? b : n + chain[0])!;
  });

  // The longest run of nested skips into top-level boxes: sources going down as their merges go up.
  const long: Skip[] = [];
  s.edges.forEach((e, edge) => {
    const fromUnit = unitOf[e.from];
    const toUnit = unitOf[e.to];
    if (toUnit - fromUnit >= 3 && units[toUnit] < n) long.push({ edge, from: e.from, to: e.to, fromUnit, toUnit });
  });
  if (long.length > MAX_LONG_EDGES) return undefined;
  long.sort((a, b) => a.fromUnit - b.fromUnit || b.toUnit - a.toUnit);
  const best = new Int32Array(long.length).fill(1);
  const prev = new Int32Array(long.length).fill(-1);
  let end = -1;
  for (let i = 0; i < long.length; i++) {
    for (let j = 0; j < i; j++) {
      if (long[j].fromUnit < long[i].fromUnit && long[j].toUnit > long[i].toUnit && best[j] + 1 > best[i]) {
        best[i] = best[j] + 1;
        prev[i] = j;
      }
    }
    if (end < 0 || best[i] > best[end]) end = i;
  }
  if (end < 0 || best[end] < MIN_LEVELS) return undefined;
  const skips: Skip[] = [];
  for (let i = end; i >= 0; i = prev[i]) skips.unshift(long[i]);

  const k = skips.length;
  const inner = skips[k - 1];
  const mid = inner.fromUnit + Math.floor((inner.toUnit - inner.fromUnit) / 2);
  const partOfUnit = new Int32Array(units.length);
  // Stage p (from the bottom) runs from the merge of skips[k - p] (the bottom one: from the middle) to the next merge.
  for (let i = 0; i < units.length; i++) {
    if (i <= mid) continue;
    let p = 1;
    while (p < k && i >= skips[k - p - 1].toUnit) p++;
    partOfUnit[i] = p;
  }
  const parts: number[][] = Array.from({ length: k + 1 }, () => []);
  for (let b = 0; b < n; b++) parts[partOfUnit[unitOf[b]]].push(b);
  if (parts.some((p) => p.length === 0)) return undefined;

  // Between parts only the skips, the edge round the bottom and the edges from a stage's last box to the next
  // stage's first; anything else would need routes this layout does not draw.
  const links: Link[] = [];
  const isSkip = new Set(skips.map((sk) => sk.edge));
  for (const [edge, e] of s.edges.entries()) {
    const pa = partOfUnit[unitOf[e.from]];
    const pb = partOfUnit[unitOf[e.to]];
    if (pa === pb || isSkip.has(edge)) continue;
    const last = parts[pa].at(-1);
    const first = parts[pb][0];
    if (e.from !== last || e.to !== first || pb !== pa + 1) return undefined;
    links.push({ edge, from: e.from, to: e.to, bottom: pa === 0 });
  }
  if (!links.some((l) => l.bottom)) return undefined;
  return { partOfUnit, unitOf, parts, skips, links };
}

/** The boxes `keep` picks with their frames and the edges among them; `reversed` turns their order round. */
function subgraph(g: VisibleGraph, keep: (box: number) => boolean, reversed: boolean): VisibleGraph {
  const nodes: VisibleNode[] = [];
  const ids = new Set<string>();
  g.nodes.forEach((node, b) => {
    if (!keep(b)) return;
    nodes.push(node);
    ids.add(node.id);
  });
  const parentOf = new Map(g.frames.map((f) => [f.id, f.parent]));
  const frameIds = new Set<string>();
  for (const node of nodes) for (let f = node.parent; f !== undefined && !frameIds.has(f); f = parentOf.get(f)) frameIds.add(f);
  const edges = g.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
  return {
    nodes: reversed ? nodes.reverse() : nodes,
    frames: g.frames.filter((f) => frameIds.has(f.id)),
    edges: reversed ? edges.map((e) => ({ ...e, from: e.to, to: e.from })).reverse() : edges,
    shownAs: g.shownAs,
  };
}

function copyLayout(l: Layout): Layout {
  return { boxes: new Map(l.boxes), frames: new Map(l.frames), edges: new Map(l.edges), width: l.width, height: l.height };
}

/**
 * Moves everything of the left arm below a top-level unit down by `by`; false when something below it reaches
 * up beside it (a branch), which a cut there would tear.
 */
function stretch(l: Layout, s: Structure, u: USplit, unit: number, by: number): boolean {
  let cut = -Infinity;
  let below = Infinity;
  s.ids.forEach((_, b) => {
    if (u.partOfUnit[u.unitOf[b]] !== 0) return;
    const r = unitRect(l, s, b);
    if (u.unitOf[b] <= unit) cut = Math.max(cut, r.y + r.h);
    else below = Math.min(below, r.y);
  });
  if (below < cut - EPS) return false;
  const y0 = cut + EPS;
  for (const [id, r] of l.boxes) if (r.y > y0) l.boxes.set(id, move(r, 0, by));
  for (const [id, r] of l.frames) if (r.y > y0) l.frames.set(id, move(r, 0, by));
  for (const [key, pts] of l.edges) l.edges.set(key, pts.map((p) => (p.y > y0 ? { x: p.x, y: p.y + by } : p)));
  l.height += by;
  return true;
}

/** The rectangle of the top-level unit a box is in: its outermost frame's, or its own. */
function unitRect(l: Layout, s: Structure, b: number): Rect {
  const root = s.frameIds.length;
  const chain = chainOfBox(s.frameChain, s.boxFrame, b, root);
  return (chain.length > 0 ? l.frames.get(s.frameIds[chain[0]]) : undefined) ?? l.boxes.get(s.ids[b])!;
}

function contentExtent(l: Layout): { left: number; top: number; bottom: number } {
  const all = [...l.boxes.values(), ...l.frames.values()];
  return { left: Math.min(...all.map((r) => r.x)), top: Math.min(...all.map((r) => r.y)), bottom: Math.max(...all.map((r) => r.y + r.h)) };
}

/** Whether a skip's line at height y from x0 to x1 passes no box or frame but those around its source. */
function clearAcross(l: Layout, s: Structure, g: VisibleGraph, from: number, x0: number, x1: number, y: number): boolean {
  const own = new Set<string>();
  for (let f = g.nodes[from].parent; f !== undefined; f = g.frames.find((x) => x.id === f)?.parent) own.add(f);
  const hits = (r: Rect) => r.x < x1 - EPS && r.x + r.w > x0 + EPS && r.y < y && r.y + r.h > y;
  for (const [id, r] of l.boxes) if (id !== s.ids[from] && hits(r)) return false;
  for (const [id, r] of l.frames) if (!own.has(id) && hits(r)) return false;
  return true;
}

/** From the top of a decoder stage's last box up to the bottom of the next stage's first. */
function upward(a: Rect, b: Rect): Point[] {
  const [x0, x1] = [centreX(a), centreX(b)];
  if (Math.abs(x0 - x1) < EPS)
    return [
      { x: x0, y: a.y },
      { x: x1, y: b.y + b.h },
    ];
  const y = (a.y + b.y + b.h) / 2;
  return [
    { x: x0, y: a.y },
    { x: x0, y },
    { x: x1, y },
    { x: x1, y: b.y + b.h },
  ];
}

/** From the bottom of the encoder's last box, at y below both arms, up into the bottom of the decoder's first. */
function bottomTurn(a: Rect, b: Rect, y: number): Point[] {
  return [
    { x: centreX(a), y: a.y + a.h },
    { x: centreX(a), y },
    { x: centreX(b), y },
    { x: centreX(b), y: b.y + b.h },
  ];
}

/** Everything moved so that the top and left margins are MARGIN, and the size that holds it all. */
function framed(l: Layout): Layout {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const take = (x0: number, y0: number, x1: number, y1: number) => {
    minX = Math.min(minX, x0);
    minY = Math.min(minY, y0);
    maxX = Math.max(maxX, x1);
    maxY = Math.max(maxY, y1);
  };
  for (const r of [...l.boxes.values(), ...l.frames.values()]) take(r.x, r.y, r.x + r.w, r.y + r.h);
  for (const pts of l.edges.values()) for (const p of pts) take(p.x, p.y, p.x, p.y);
  const dx = MARGIN - minX;
  const dy = MARGIN - minY;
  const shift = (m: Map<string, Rect>) => new Map([...m].map(([id, r]) => [id, move(r, dx, dy)]));
  return {
    boxes: shift(l.boxes),
    frames: shift(l.frames),
    edges: new Map([...l.edges].map(([key, pts]) => [key, pts.map((p) => ({ x: p.x + dx, y: p.y + dy }))])),
    width: maxX - minX + 2 * MARGIN,
    height: maxY - minY + 2 * MARGIN,
  };
}

function move(r: Rect, dx: number, dy: number): Rect {
  return { x: r.x + dx, y: r.y + dy, w: r.w, h: r.h };
}

function centreX(r: Rect): number {
  return r.x + r.w / 2;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('->');
  return [key.slice(0, i), key.slice(i + 2)];
}
