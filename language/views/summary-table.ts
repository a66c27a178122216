import type { Analysis, NetworkAnalysis } from '../analysis/analyze.js';
import { shapeText } from '../analysis/layer.js';
import { layerKept } from '../analysis/memory.js';
import { formatBytes, formatCount } from '../base/format.js';
import { elements, formatShape } from '../base/shape.js';
import { LineIndex } from '../base/text.js';
import { budgetText, inferenceNote, memoryHeading, peakText, trainingRows } from './memory-rows.js';
import { receptiveField } from './report.js';

/**
 * The summary as a table to sort and click (Stride: Show Summary's webview, `webview/summary-html.ts`): the
 * same figures as `stride summary` and its `--json`, each cell its text and the number it sorts by.
 */

export interface SummaryCell {
  text: string;
  /** What the column sorts by: the figure itself, or the text. */
  sort: number | string;
}

export interface SummaryColumn {
  key: 'layer' | 'line' | 'op' | 'output' | 'params' | 'macs' | 'rf' | 'kept';
  title: string;
  numeric: boolean;
  /** What the column holds, for its tooltip. */
  doc: string;
}

export interface SummaryNetwork {
  name: string;
  /** 1-based. */
  line: number;
  /** The first thing read: fits or not, the training total, the largest batch. */
  verdict: string;
  over: boolean;
  facts: { label: string; value: string }[];
  rows: { line: number; cells: SummaryCell[] }[];
  /** The columns' totals where a total means something (params, MACs), else ''. */
  totals: string[];
  memoryHeading: string;
  memory: { label: string; value: string; note: string; mark?: 'largest' }[];
}

export interface SummaryTable {
  columns: SummaryColumn[];
  networks: SummaryNetwork[];
}

export const SUMMARY_COLUMNS: SummaryColumn[] = [
  { key: 'layer', title: 'layer', numeric: false, doc: 'the layer, as named in weights and reports' },
  { key: 'line', title: 'line', numeric: true, doc: 'the line of the statement that made it' },
  { key: 'op', title: 'op', numeric: false, doc: 'its op' },
  { key: 'output', title: 'output', numeric: true, doc: 'its output shape, H×W×C or features (sorts by elements)' },
  { key: 'params', title: 'params', numeric: true, doc: 'parameters, trainable and running statistics' },
  { key: 'macs', title: 'MACs', numeric: true, doc: 'multiply–accumulates for one image' },
  { key: 'rf', title: 'RF', numeric: true, doc: 'receptive field on the input, in pixels' },
  { key: 'kept', title: 'kept', numeric: true, doc: 'what it keeps for backward at the configured batch (each tensor once, where first kept)' },
];

export function summaryTable(a: Analysis): SummaryTable {
  const lines = new LineIndex(a.text);
  return { columns: SUMMARY_COLUMNS, networks: a.networks.map((n) => network(a, n, lines)) };
}

function network(a: Analysis, n: NetworkAnalysis, lines: LineIndex): SummaryNetwork {
  const o = a.options;
  const t = n.totals;
  const m = n.memory;
  const rows = n.layers.map((l) => {
    const f = l.facts;
    const rf = f ? receptiveField(f.rf) : undefined;
    const line = lines.position(l.stmt.head.start).line + 1;
    const unknown: SummaryCell = { text: '?', sort: -1 };
    const count = (v: number): SummaryCell => ({ text: formatCount(v), sort: v });
    const kept = !f ? unknown : t.recomputed[l.index] ? { text: 'recomputed', sort: 0 } : ((b: number) => ({ text: formatBytes(b), sort: b }))(layerKept(t, l.index, o));
    return {
      line,
      cells: [
        { text: l.name, sort: l.name },
        { text: String(line), sort: line },
        { text: l.op.name, sort: l.op.name },
        f ? { text: shapeText(f), sort: elements(f.shape) } : unknown,
        f ? count(f.params + (f.buffers ?? 0)) : unknown,
        f ? count(f.macs ?? 0) : unknown,
        rf ? { text: rf[0] === rf[1] ? `${rf[0]}` : `${rf[0]}x${rf[1]}`, sort: Math.max(rf[0], rf[1]) } : unknown,
        kept,
      ],
    };
  });
  const incomplete = t.complete ? '' : ' (incomplete: some shapes are unknown)';
  const budget = budgetText(m);
  const verdict = budget ? `${budget[0].toUpperCase()}${budget.slice(1)}: training needs ${formatBytes(m.training)} at ${memoryHeading(o)}.` : `Training needs ${formatBytes(m.training)} at ${memoryHeading(o)}; inference about ${formatBytes(m.inference)}.`;
  const buffers = t.buffers > 0 ? ` + ${formatCount(t.buffers)} non-trainable = ${formatCount(t.params)}` : '';
  const output = n.output !== undefined ? n.layers[n.output].facts : undefined;
  return {
    name: n.name,
    line: lines.position(n.decl.start).line + 1,
    verdict: verdict + incomplete,
    over: m.budget !== undefined && m.training > m.budget,
    facts: [
      { label: 'params', value: `${formatCount(t.trainableParams)} trainable${buffers}` },
      { label: 'MACs', value: `${formatCount(t.macs)} (${formatCount(2 * t.macs)} FLOPs)` },
      ...(output ? [{ label: 'output', value: formatShape(output.shape) }] : []),
      { label: 'layers', value: formatCount(n.layers.length) },
    ],
    rows,
    totals: SUMMARY_COLUMNS.map((c) => (c.key === 'layer' ? 'total' : c.key === 'params' ? formatCount(t.params) : c.key === 'macs' ? formatCount(t.macs) : '')),
    memoryHeading: `Memory: training at ${memoryHeading(o)}, the peak ${peakText(m, n.layers)}`,
    memory: [
      ...trainingRows(m).map((r) => ({ label: r.label, value: formatBytes(r.bytes), note: r.mark === 'largest' ? 'the largest term at the peak' : r.note ?? '', ...(r.mark === 'largest' ? { mark: 'largest' as const } : {}) })),
      { label: "notes' rule", value: formatBytes(m.notesRule), note: "every output and its gradient kept at once (the notes' rule of thumb)" },
      { label: 'inference', value: formatBytes(m.inference), note: inferenceNote(m) },
      ...(budget ? [{ label: 'budget', value: formatBytes(m.budget!), note: budget }] : []),
    ],
  };
}
