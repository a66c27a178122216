import type { Analysis, NetworkAnalysis } from '../analysis/analyze.js';
import { formatBytes, formatCount } from '../base/format.js';
import { formatShape } from '../base/shape.js';
import { lineSpan } from '../analysis/layer.js';
import { summaryJson } from './report.js';

/**
 * What a change did to a network (`stride diff`, Stride: Compare with…): the layers of two versions aligned,
 * each added, removed, changed or the same, with its figures before and after, and the network's totals with
 * their deltas. Layers are aligned by a shortest edit script over their kind (op and the blocks they sit in,
 * without the counters: `Basic_2.conv_1` is `Basic.conv`), in the order they run, so that a layer inserted
 * early does not misalign everything after it.
 */

export type LayerStatus = 'added' | 'removed' | 'changed' | 'same';

/** One side of a layer: the figures `stride summary --json` gives it, and its statement as written. */
export interface DiffSide {
  name: string;
  line: number;
  op: string;
  text: string;
  shape: number[] | null;
  params: number | null;
  macs: number | null;
  receptiveField: number | null;
  activationBytes: number | null;
}

export type Field = 'text' | 'shape' | 'params' | 'macs' | 'receptiveField' | 'activationBytes';

export interface FieldChange {
  field: Field;
  a: number | number[] | string | null;
  b: number | number[] | string | null;
  /** b − a for a number. */
  delta?: number;
}

export interface LayerDiff {
  status: LayerStatus;
  a?: DiffSide;
  b?: DiffSide;
  changes: FieldChange[];
}

export interface TotalDiff {
  field: string;
  a: number;
  b: number;
  delta: number;
  unit: 'count' | 'bytes';
}

export interface NetworkDiff {
  network: { a: string; b: string };
  memory: { batch: number; dtype: string; optimizer: string };
  layers: LayerDiff[];
  totals: TotalDiff[];
  output: { a: readonly number[] | null; b: readonly number[] | null };
  counts: Record<LayerStatus, number>;
}

const FIELDS: Field[] = ['text', 'shape', 'params', 'macs', 'receptiveField', 'activationBytes'];

/** A layer's kind for alignment: its op inside its blocks, without the counters that number them. */
export function layerKind(name: string): string {
  return name.replace(/_\d+(?=\.|$)/g, '');
}

type NetworkJson = ReturnType<typeof summaryJson>['networks'][number];

/** A network's `--json` figures: what both the layers and the totals of a diff read. */
function figures(a: Analysis, net: NetworkAnalysis): NetworkJson {
  return summaryJson(a).networks.find((n) => n.name === net.name)!;
}

function sides(a: Analysis, net: NetworkAnalysis, json: NetworkJson): DiffSide[] {
  return json.layers.map((l, i) => {
    const stmt = net.layers[i].stmt;
    // The statement's own words (a residual's add is its `residual` keyword alone).
    const span = stmt.body ? stmt.head : lineSpan(stmt);
    const text = a.text.slice(span.start, span.end).replace(/\s+/g, ' ');
    return { name: l.name, line: l.line, op: l.op, text, shape: l.shape, params: l.params, macs: l.macs, receptiveField: l.receptiveField, activationBytes: l.activationBytes };
  });
}

function same(x: unknown, y: unknown): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}

function compare(a: DiffSide, b: DiffSide): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of FIELDS) {
    const x = a[field];
    const y = b[field];
    if (same(x, y)) continue;
    changes.push(typeof x === 'number' && typeof y === 'number' ? { field, a: x, b: y, delta: y - x } : { field, a: x, b: y });
  }
  return changes;
}

/**
 * Myers' shortest edit script between two sequences: the pairs of positions that match, in order. O((n + m)·D)
 * for D differences, so a small change of a huge network is cheap.
 */
export function matchSequences(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) x++, y++;
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    v = next;
  }
  // Walk back through the saved frontiers.
  const pairs: [number, number][] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const frontier = trace[d];
    const k = x - y;
    let prevK: number;
    if (d === 0) prevK = 0;
    else prevK = k === -d || (k !== d && frontier[offset + k - 1] < frontier[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : frontier[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--, y--;
      pairs.push([x, y]);
    }
    if (d > 0) {
      x = prevX;
      y = prevY;
    }
  }
  return pairs.reverse();
}

export function diffNetworks(a: Analysis, netA: NetworkAnalysis, b: Analysis, netB: NetworkAnalysis): NetworkDiff {
  const ja = figures(a, netA);
  const jb = figures(b, netB);
  const left = sides(a, netA, ja);
  const right = sides(b, netB, jb);
  const pairs = matchSequences(left.map((s) => layerKind(s.name)), right.map((s) => layerKind(s.name)));
  const layers: LayerDiff[] = [];
  let i = 0;
  let j = 0;
  const flush = (toI: number, toJ: number) => {
    // Unmatched stretches: what was removed, then what was added in its place.
    for (; i < toI; i++) layers.push({ status: 'removed', a: left[i], changes: [] });
    for (; j < toJ; j++) layers.push({ status: 'added', b: right[j], changes: [] });
  };
  for (const [pi, pj] of pairs) {
    flush(pi, pj);
    const changes = compare(left[pi], right[pj]);
    layers.push({ status: changes.length > 0 ? 'changed' : 'same', a: left[pi], b: right[pj], changes });
    i = pi + 1;
    j = pj + 1;
  }
  flush(left.length, right.length);
  const total = (field: string, x: number, y: number, unit: TotalDiff['unit']): TotalDiff => ({ field, a: x, b: y, delta: y - x, unit });
  const totals = [
    total('params', ja.params, jb.params, 'count'),
    total('trainableParams', ja.trainableParams, jb.trainableParams, 'count'),
    total('macs', ja.macs, jb.macs, 'count'),
    total('layers', ja.layers.length, jb.layers.length, 'count'),
    total('training', ja.memory.training, jb.memory.training, 'bytes'),
    total('trainingPeak', ja.memory.trainingPeak, jb.memory.trainingPeak, 'bytes'),
    total('savedForBackward', ja.memory.savedForBackward, jb.memory.savedForBackward, 'bytes'),
    total('inference', ja.memory.inference, jb.memory.inference, 'bytes'),
  ];
  const counts: Record<LayerStatus, number> = { added: 0, removed: 0, changed: 0, same: 0 };
  for (const l of layers) counts[l.status]++;
  return {
    network: { a: netA.name, b: netB.name },
    memory: { batch: a.options.batch, dtype: a.options.dtype, optimizer: a.options.optimizer },
    layers,
    totals,
    output: { a: ja.output, b: jb.output },
    counts,
  };
}

const LABEL: Record<Field, string> = { text: 'as written', shape: 'output', params: 'params', macs: 'MACs', receptiveField: 'RF', activationBytes: 'activations' };
/** How a total is named to a reader. */
export const TOTAL_LABEL: Record<string, string> = {
  params: 'params',
  trainableParams: 'trainable',
  macs: 'MACs',
  layers: 'layers',
  training: 'training',
  trainingPeak: 'train step peak',
  savedForBackward: 'saved for backward',
  inference: 'inference',
};

function signed(v: number, unit: 'count' | 'bytes'): string {
  const text = unit === 'bytes' ? formatBytes(Math.abs(v)) : formatCount(Math.abs(v));
  return v > 0 ? `+${text}` : v < 0 ? `−${text}` : '±0';
}

function value(field: Field, v: FieldChange['a']): string {
  if (v === null) return '?';
  if (field === 'shape') return formatShape(v as number[]);
  if (field === 'activationBytes') return formatBytes(v as number);
  if (typeof v === 'number') return formatCount(v);
  return String(v);
}

export function fieldChangeText(c: FieldChange): string {
  const unit = c.field === 'activationBytes' ? 'bytes' : 'count';
  const delta = c.delta !== undefined && c.field !== 'receptiveField' ? ` (${signed(c.delta, unit)})` : '';
  return `${LABEL[c.field]} ${value(c.field, c.a)} → ${value(c.field, c.b)}${delta}`;
}

/** The diff as `stride diff` prints it: what changed, layer by layer, then the totals. */
export function diffText(d: NetworkDiff, names: { a: string; b: string }): string {
  const out: string[] = [];
  const title = d.network.a === d.network.b ? `network ${d.network.a}` : `network ${d.network.a} → ${d.network.b}`;
  out.push(`${names.a} → ${names.b}: ${title} (batch ${formatCount(d.memory.batch)}, ${d.memory.dtype}, ${d.memory.optimizer})`);
  const c = d.counts;
  out.push(`  ${c.added} added, ${c.removed} removed, ${c.changed} changed, ${c.same} the same`);
  const marks: Record<LayerStatus, string> = { added: '+', removed: '−', changed: '~', same: ' ' };
  // A change upstream moves the receptive field of everything after it: such runs are one line each.
  const fieldOnly = (l: LayerDiff) => l.status === 'changed' && l.changes.every((c) => c.field === 'receptiveField');
  for (let i = 0; i < d.layers.length; i++) {
    const l = d.layers[i];
    if (l.status === 'same') continue;
    if (fieldOnly(l)) {
      let j = i;
      while (j + 1 < d.layers.length && (fieldOnly(d.layers[j + 1]) || d.layers[j + 1].status === 'same')) j++;
      while (!fieldOnly(d.layers[j])) j--;
      const run = d.layers.slice(i, j + 1).filter(fieldOnly);
      if (run.length > 1) {
        const rf = (x: LayerDiff) => fieldChangeText(x.changes[0]).replace(/^RF /, '');
        out.push(`  ~ ${run.length} layers whose receptive field alone changed, ${run[0].b!.name} (${rf(run[0])}) … ${run[run.length - 1].b!.name} (${rf(run[run.length - 1])})`);
        i = j;
        continue;
      }
    }
    const side = l.b ?? l.a!;
    const where = l.a && l.b ? (l.a.line === l.b.line ? `line ${l.b.line}` : `line ${l.a.line} → ${l.b.line}`) : `line ${side.line}`;
    const name = l.a && l.b && l.a.name !== l.b.name ? `${l.a.name} → ${l.b.name}` : side.name;
    out.push(`  ${marks[l.status]} ${name} (${side.op}, ${where})`);
    if (l.status === 'changed') for (const ch of l.changes) out.push(`      ${fieldChangeText(ch)}`);
    else {
      const figures = [`\`${side.text}\``, side.shape ? formatShape(side.shape) : '?', `${formatCount(side.params ?? 0)} params`, `${formatCount(side.macs ?? 0)} MACs`];
      out.push(`      ${figures.join(' · ')}`);
    }
  }
  out.push('  totals');
  const width = Math.max(...d.totals.map((t) => TOTAL_LABEL[t.field].length));
  for (const t of d.totals) {
    const fmt = (v: number) => (t.unit === 'bytes' ? formatBytes(v) : formatCount(v));
    out.push(`    ${TOTAL_LABEL[t.field].padEnd(width)}  ${fmt(t.a)} → ${fmt(t.b)}  (${signed(t.delta, t.unit)})`);
  }
  if (!same(d.output.a, d.output.b)) out.push(`    ${'output'.padEnd(width)}  ${d.output.a ? formatShape(d.output.a) : '?'} → ${d.output.b ? formatShape(d.output.b) : '?'}`);
  return out.join('\n') + '\n';
}

/**
 * A comparison as the graph editor overlays it on the newer version's diagram: its layers (by name) that
 * were added or changed, with their changes; the removed ones, each after the newer layer it followed; and
 * the totals' deltas.
 */
export interface GraphComparison {
  /** What the diagram is compared with: `resnet18.stride@HEAD`, `other.stride`. */
  against: string;
  /** The newer version's network the names below are in. */
  network: string;
  nodes: Record<string, { status: 'added' | 'changed'; changes: FieldChange[]; before?: DiffSide }>;
  removed: { side: DiffSide; after?: string }[];
  totals: TotalDiff[];
  counts: Record<LayerStatus, number>;
}

export function graphComparison(d: NetworkDiff, against: string): GraphComparison {
  const nodes: GraphComparison['nodes'] = {};
  const removed: GraphComparison['removed'] = [];
  let last: string | undefined;
  for (const l of d.layers) {
    if (l.status === 'removed') removed.push({ side: l.a!, ...(last !== undefined ? { after: last } : {}) });
    else {
      if (l.status !== 'same') nodes[l.b!.name] = { status: l.status, changes: l.changes, ...(l.a ? { before: l.a } : {}) };
      last = l.b!.name;
    }
  }
  return { against, network: d.network.b, nodes, removed, totals: d.totals, counts: d.counts };
}
