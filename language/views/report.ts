import type { Analysis, NetworkAnalysis } from '../analysis/analyze.js';
import { isAssumed, layerFormula, shapeText } from '../analysis/layer.js';
import { layerKept, precisionBytes, type MemoryOptions } from '../analysis/memory.js';
import { budgetText, inferenceNote, memoryHeading, peakText, trainingRows } from './memory-rows.js';
import type { Diagnostic } from '../base/diagnostics.js';
import { formatBytes, formatCount } from '../base/format.js';
import { elements, formatShape, type ReceptiveField } from '../base/shape.js';
import { LineIndex } from '../base/text.js';

/** The `--json` shape of `stride summary`: lines and columns 1-based, bytes as integers. */
export function summaryJson(a: Analysis) {
  const lines = new LineIndex(a.text);
  return {
    diagnostics: a.diagnostics.map((d) => diagnosticJson(d, lines)),
    networks: a.networks.map((n) => networkJson(n, lines, a.options)),
  };
}

function diagnosticJson(d: Diagnostic, lines: LineIndex) {
  const p = lines.position(d.span.start);
  const e = lines.position(d.span.end);
  const at = (s: { start: number; end: number }) => {
    const a = lines.position(s.start);
    const b = lines.position(s.end);
    return { line: a.line + 1, column: a.character + 1, endLine: b.line + 1, endColumn: b.character + 1 };
  };
  return {
    severity: d.severity,
    code: d.code,
    line: p.line + 1,
    column: p.character + 1,
    endLine: e.line + 1,
    endColumn: e.character + 1,
    message: d.message,
    ...(d.related ? { related: d.related.map((r) => ({ ...at(r.span), message: r.message })) } : {}),
    ...(d.fixes ? { fixes: d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((x) => ({ ...at(x.span), newText: x.newText })) })) } : {}),
  };
}

function networkJson(n: NetworkAnalysis, lines: LineIndex, o: MemoryOptions) {
  const m = n.memory;
  return {
    name: n.name,
    line: lines.position(n.decl.start).line + 1,
    complete: n.totals.complete,
    params: n.totals.params,
    trainableParams: n.totals.trainableParams,
    nonTrainableParams: n.totals.buffers,
    macs: n.totals.macs,
    flops: 2 * n.totals.macs,
    output: n.output !== undefined ? n.layers[n.output].facts?.shape ?? null : null,
    memory: {
      batch: o.batch,
      dtype: o.dtype,
      optimizer: o.optimizer,
      parameters: m.parameters,
      gradients: m.gradients,
      optimizerState: m.optimizer,
      optimizerTemporaries: m.optimizerTemporaries,
      kept: m.kept,
      liveActivations: m.liveActivations,
      activationGradients: m.activationGradients,
      scratch: m.scratch,
      input: m.input,
      trainingPeak: m.trainingPeak,
      peak: { phase: m.peak.phase, ...(m.peak.layer !== undefined ? { layer: n.layers[m.peak.layer].name } : {}) },
      framework: m.framework,
      training: m.training,
      dominant: m.dominant,
      savedForBackward: m.savedForBackward,
      notesRule: m.notesRule,
      activationsInference: m.activationsInference,
      inference: m.inference,
      inferenceTerms: { ...m.inferenceTerms },
      ...(m.budget !== undefined ? { budget: m.budget, maxBatch: m.maxBatch } : {}),
    },
    layers: n.layers.map((l) => {
      const f = l.facts;
      const rf = f ? receptiveField(f.rf) : undefined;
      return {
        line: lines.position(l.stmt.head.start).line + 1,
        ...(l.calls.length > 0 ? { callLine: lines.position(l.calls[0].call.head.start).line + 1 } : {}),
        name: l.name,
        op: l.op.name,
        shape: f ? [...f.shape] : null,
        params: f ? f.params + (f.buffers ?? 0) : null,
        trainableParams: f ? f.params : null,
        unsharedParams: f ? f.unsharedParams ?? f.params + (f.buffers ?? 0) : null,
        macs: f ? f.macs ?? 0 : null,
        receptiveField: rf ? Math.max(rf[0], rf[1]) : null,
        receptiveFieldHW: rf ? [rf[0], rf[1]] : null,
        jump: f ? [f.rf.jh, f.rf.jw] : null,
        activationBytes: f ? elements(f.shape) * precisionBytes(o.dtype).activations * o.batch : null,
        keptBytes: f ? layerKept(n.totals, l.index, o) : null,
        ...(n.totals.recomputed[l.index] ? { recomputed: true } : {}),
        ...(l.op.formula && f ? { formula: layerFormula(n.layers, l) } : {}),
        ...(f && isAssumed(f) ? { assumedFrom: n.layers[f.assumedFrom!].name } : {}),
      };
    }),
  };
}


/** Whole input pixels: after upsampling, a field can cover a fraction of a pixel's spacing. */
export function receptiveField(rf: ReceptiveField): [number, number] {
  return [Math.ceil(rf.h - 1e-9), Math.ceil(rf.w - 1e-9)];
}

/** `file:line:col: error: message`, as compilers print them, so terminals and editors link them. */
export function formatDiagnostic(file: string, d: Diagnostic, lines: LineIndex): string {
  const p = lines.position(d.span.start);
  return `${file}:${p.line + 1}:${p.character + 1}: ${d.severity}: ${d.message} [${d.code}]`;
}

/** The human summary: one table per network, totals, and the memory breakdown. */
/** What an empty file is told: how a network starts. */
export const NO_NETWORK = 'no network in this file; start one with\n\n  network Net {\n    input 224x224x3\n    conv 64 3x3 pad 1\n  }\n';

export function summaryText(a: Analysis): string {
  if (a.networks.length === 0) return NO_NETWORK;
  const lines = new LineIndex(a.text);
  const out: string[] = [];
  for (const n of a.networks) {
    out.push(`network ${n.name}`);
    const rows = n.layers.map((l) => {
      const f = l.facts;
      const rf = f ? receptiveField(f.rf) : undefined;
      return [
        l.name,
        String(lines.position(l.stmt.head.start).line + 1),
        f ? shapeText(f) : '?',
        f ? formatCount(f.params + (f.buffers ?? 0)) : '?',
        f ? formatCount(f.macs ?? 0) : '?',
        rf ? (rf[0] === rf[1] ? `${rf[0]}` : `${rf[0]}x${rf[1]}`) : '?',
        !f ? '?' : n.totals.recomputed[l.index] ? 'recomputed' : formatBytes(layerKept(n.totals, l.index, a.options)),
      ];
    });
    // `kept`: what the layer keeps for backward at the configured batch, each tensor once (where first kept).
    out.push(...table(['layer', 'line', 'output', 'params', 'MACs', 'RF', 'kept'], rows, [false, true, true, true, true, true, true]));
    const t = n.totals;
    const m = n.memory;
    const o = a.options;
    const mark = t.complete ? '' : ' (incomplete: some shapes are unknown)';
    out.push('');
    const buffers = t.buffers > 0 ? ` + ${formatCount(t.buffers)} non-trainable (BatchNorm running statistics) = ${formatCount(t.params)}` : '';
    out.push(`  params      ${formatCount(t.trainableParams)} trainable${buffers}${mark}`);
    out.push(`  MACs        ${formatCount(t.macs)} (${formatCount(2 * t.macs)} FLOPs)`);
    if (n.output !== undefined && n.layers[n.output].facts) out.push(`  output      ${formatShape(n.layers[n.output].facts!.shape)}`);
    out.push(`  memory      training at ${memoryHeading(o)}: the peak is ${peakText(m, n.layers)}`);
    for (const r of trainingRows(m)) {
      const tail = r.mark === 'largest' ? '  ← largest' : r.note ? `  ${r.note}` : '';
      out.push(`    ${r.label.padEnd(18)}${formatBytes(r.bytes).padStart(12)}${tail}`);
    }
    out.push(`    ${"notes' rule".padEnd(18)}${formatBytes(m.notesRule).padStart(12)}  every output and its gradient kept at once (the notes' rule of thumb)`);
    out.push(`    ${'inference'.padEnd(18)}${formatBytes(m.inference).padStart(12)}  ${inferenceNote(m)}`);
    const budget = budgetText(m);
    if (budget) out.push(`    ${'budget'.padEnd(18)}${formatBytes(m.budget!).padStart(12)}  ${budget}`);
    out.push('');
  }
  return out.join('\n');
}

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h) => h.length);
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i], c.length)));
  const fmt = (r: string[]) => '  ' + r.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(head), '  ' + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
}
