import { formatBytes, formatCount, inferenceMemory, type NetworkAnalysis } from '../language/index.js';
import { nchwcBlock } from './cpu.js';
import type { ModelInfo } from './export.js';
import { attributeTimes, type LayerTime } from './profile-fusion.js';
import type { RunReport, RunResult } from './run-protocol.js';

export type { RunReport } from './run-protocol.js';

/** A run's report from its result, and the text `stride run` prints of it. */

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.ceil(at)] - sorted[lo]) * (at - lo);
}

function stats(data: Float32Array): { min: number; max: number; mean: number; std: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const mean = sum / data.length;
  let sq = 0;
  for (const v of data) sq += (v - mean) ** 2;
  return { min, max, mean, std: Math.sqrt(sq / data.length) };
}

/** What the analysis expects the session to add, for a run of `net` at a batch on the CPU with its graph optimised. */
export function sessionEstimate(net: NetworkAnalysis, batch: number, iterations: number): number {
  return inferenceMemory(net.layers, net.output, { batch, block: nchwcBlock(), iterations }).session;
}

/** `estimate`: `sessionEstimate` where the run is one it describes (no captures, no profile); kept only on the CPU. */
export function runReport(network: string, model: ModelInfo, result: RunResult, inputSource: string, estimate?: number): RunReport {
  const out = result.outputs[0];
  const data = out.data;
  const { min, max, mean, std } = stats(data);
  const runs = [...result.timings.runsMs].sort((a, b) => a - b);
  const all = runs.length > 0 ? runs : [result.timings.firstRunMs];
  const batch = out.dims[0] ?? 1;
  const p50 = quantile(all, 0.5);
  const report: RunReport = {
    network,
    provider: result.provider,
    reason: result.reason,
    ...(result.cudaProblem ? { cudaProblem: result.cudaProblem } : {}),
    input: { source: inputSource, shape: [batch, ...model.input.shape] },
    output: { name: out.name, shape: out.dims, min, max, mean, std },
    timings: { sessionMs: result.timings.sessionMs, firstRunMs: result.timings.firstRunMs, p50Ms: p50, p90Ms: quantile(all, 0.9), iterations: runs.length, throughput: (batch * 1000) / p50 },
    peakMemory: result.peakRss,
    rssBeforeSession: result.rssBeforeSession,
    sessionMemory: result.peakRss - result.rssBeforeSession,
  };
  if (estimate !== undefined && result.provider === 'cpu') report.sessionMemoryEstimate = estimate;
  if (out.dims.length === 2 && out.dims[1] >= 2) report.top5 = topFive(data.subarray(0, out.dims[1]));
  if (result.nodeTimes) report.layers = layerTimes(model, result.nodeTimes, runs.length + 1);
  if (result.outputs.length > 1) {
    const lines = new Map(model.layers.map((l) => [l.name, l.line]));
    report.captures = result.outputs.slice(1).map((o) => ({ name: o.name, line: lines.get(o.name) ?? 0, shape: o.dims, ...stats(o.data) }));
  }
  return report;
}

/** Probabilities of the first sample: the output itself when it already sums to 1, else its softmax. */
function topFive(logits: Float32Array): { index: number; probability: number }[] {
  let total = 0;
  let negative = false;
  for (const v of logits) {
    total += v;
    if (v < 0) negative = true;
  }
  const isDistribution = !negative && Math.abs(total - 1) < 1e-3;
  const peak = Math.max(...logits);
  const exps = Array.from(logits, (v) => (isDistribution ? v : Math.exp(v - peak)));
  const z = exps.reduce((a, b) => a + b, 0);
  return exps
    .map((e, index) => ({ index, probability: e / z }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 5);
}

/** Node times (µs, all runs) → milliseconds per run per layer, fused kernels on their conv (`profile-fusion.ts`). */
function layerTimes(model: ModelInfo, nodeTimes: Record<string, number>, runs: number): LayerTime[] {
  return attributeTimes(model.layers, nodeTimes, runs);
}

/** Time summed over a group of layers: one op, or one top-level block call. */
export interface TimeGroup {
  /** `conv`; `BasicBlock_2`, or NOT_IN_A_BLOCK for the network's own layers. */
  key: string;
  ms: number;
  layers: number;
  /** Of the total, from 0 to 1. */
  share: number;
}

export const NOT_IN_A_BLOCK = '(network)';

/** The top-level block call a layer sits in: `BasicBlock_2` of `BasicBlock_2.conv_1`. */
export function blockOf(layer: string): string {
  const dot = layer.indexOf('.');
  return dot < 0 ? NOT_IN_A_BLOCK : layer.slice(0, dot);
}

/** Time per layer summed per op and per top-level block, slowest first, each with its share of the total. */
export function layerTotals(layers: readonly { name: string; op: string; ms: number }[]): { total: number; byOp: TimeGroup[]; byBlock: TimeGroup[] } {
  const total = layers.reduce((a, l) => a + l.ms, 0);
  const group = (key: (l: { name: string; op: string }) => string): TimeGroup[] => {
    const groups = new Map<string, TimeGroup>();
    for (const l of layers) {
      const k = key(l);
      const g = groups.get(k) ?? { key: k, ms: 0, layers: 0, share: 0 };
      g.ms += l.ms;
      g.layers += 1;
      groups.set(k, g);
    }
    return [...groups.values()].map((g) => ({ ...g, share: total > 0 ? g.ms / total : 0 })).sort((a, b) => b.ms - a.ms);
  };
  return { total, byOp: group((l) => l.op), byBlock: group((l) => blockOf(l.name)) };
}

function percent(share: number): string {
  return `${(100 * share).toFixed(1)}%`;
}

function ms(v: number): string {
  return v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
}

/** `CPU, as requested`, `CPU: the CUDA execution provider is not available (…)`: the provider named once. */
export function providerText(r: Pick<RunReport, 'provider' | 'reason'>): string {
  const name = r.provider.toUpperCase();
  return r.reason === 'as requested' ? `${name}, as requested` : `${name}: ${r.reason}`;
}

export function runReportText(r: RunReport): string {
  const o = r.output;
  const lines = [
    `network ${r.network} on ${r.provider.toUpperCase()}`,
    `  provider  ${providerText(r)}`,
    `  input     ${r.input.source}, ${r.input.shape.join('×')}`,
    `  output    ${o.name} ${o.shape.join('×')}: min ${o.min.toPrecision(4)}, max ${o.max.toPrecision(4)}, mean ${o.mean.toPrecision(4)}, std ${o.std.toPrecision(4)}`,
  ];
  if (r.weights) lines.push(`  weights   ${r.weights}`);
  if (r.top5) lines.push(`  top-5     ${r.top5.map((t) => `#${t.index} ${(100 * t.probability).toFixed(1)}%`).join(', ')}`);
  const t = r.timings;
  lines.push(`  timing    session ${ms(t.sessionMs)} · first run ${ms(t.firstRunMs)} · p50 ${ms(t.p50Ms)} · p90 ${ms(t.p90Ms)} over ${formatCount(t.iterations)} runs · ${t.throughput.toFixed(1)} samples/s`);
  const estimated = r.sessionMemoryEstimate === undefined ? '' : ` (estimated ${formatBytes(r.sessionMemoryEstimate)})`;
  lines.push(`  memory    peak ${formatBytes(r.peakMemory)} (the ONNX Runtime process), ${formatBytes(r.sessionMemory)} of it added by the session${estimated}`);
  for (const c of r.captures ?? []) lines.push(`  captured  ${c.name} (line ${c.line}) ${c.shape.join('×')}: min ${c.min.toPrecision(4)}, max ${c.max.toPrecision(4)}, mean ${c.mean.toPrecision(4)}, std ${c.std.toPrecision(4)}`);
  if (r.written) lines.push(`  wrote     ${r.written.join(', ')}`);
  if (r.layers) {
    const { total, byOp, byBlock } = layerTotals(r.layers);
    const width = Math.max(...r.layers.map((l) => l.name.length));
    lines.push(`  time per layer (mean per run, ${ms(total)} in all, the optimised graph's kernels; p50 ${ms(t.p50Ms)} a run):`);
    for (const l of r.layers) {
      const time = l.fusedInto ? `in ${l.fusedInto}`.padStart(9) : `${ms(l.ms).padStart(9)}  ${percent(total > 0 ? l.ms / total : 0).padStart(6)}  ${'█'.repeat(Math.round((30 * l.ms) / (total || 1)))}`;
      const fused = l.fused ? `  (with ${l.fused.join(', ')})` : '';
      lines.push(`    ${l.name.padEnd(width)}  line ${String(l.line).padStart(4)}  ${time}${fused}`.trimEnd());
    }
    const groups = (gs: TimeGroup[]) => gs.map((g) => `${g.key} ${ms(g.ms)} (${percent(g.share)})`).join(', ');
    lines.push(`  time per op     ${groups(byOp)}`);
    if (byBlock.some((g) => g.key !== NOT_IN_A_BLOCK)) lines.push(`  time per block  ${groups(byBlock)}`);
  }
  return lines.join('\n') + '\n';
}
