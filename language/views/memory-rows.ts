import type { Layer } from '../analysis/layer.js';
import { TRAINING_TERMS, type Memory, type MemoryOptions } from '../analysis/memory.js';
import { formatBytes, formatCount } from '../base/format.js';

/** The memory breakdown as the summary and the network hover both show it: one list, two layouts. */
export interface MemoryRow {
  label: string;
  bytes: number;
  /** What the figure is, for a reader who wonders. */
  note?: string;
  /** The largest term at the peak, or the total. */
  mark?: 'largest' | 'total';
}

const LABELS: Record<(typeof TRAINING_TERMS)[number], string> = {
  parameters: 'parameters',
  gradients: 'gradients',
  optimizer: 'optimizer state',
  optimizerTemporaries: 'step temporaries',
  kept: 'kept for backward',
  liveActivations: 'live activations',
  activationGradients: 'activation grads',
  scratch: 'backward scratch',
  input: 'input batch',
};

/** Where a train step's memory peaks: `in backward at conv_3`. */
export function peakText(m: Memory, layers: readonly Layer[]): string {
  if (m.peak.phase === 'step') return "in the optimizer's step";
  const at = m.peak.layer !== undefined ? layers[m.peak.layer] : undefined;
  return `in ${m.peak.phase}${at ? ` at ${at.name}` : ''}`;
}

export function memoryHeading(o: MemoryOptions): string {
  return `batch ${formatCount(o.batch)}, ${o.dtype}, ${o.optimizer}`;
}

export function trainingRows(m: Memory): MemoryRow[] {
  const rows: MemoryRow[] = TRAINING_TERMS.map((k) => ({ label: LABELS[k], bytes: m[k], ...(k === m.dominant ? { mark: 'largest' as const } : {}) }));
  rows.push({ label: 'train step peak', bytes: m.trainingPeak, note: 'all tensors at the peak, as PyTorch allocates them' });
  rows.push({ label: 'framework', bytes: m.framework, note: 'CUDA context and cuBLAS workspace on a GPU (stride.frameworkMemoryMiB, --framework)' });
  rows.push({ label: 'training', bytes: m.training, mark: 'total' });
  return rows;
}

/** What the inference figure is made of: an ONNX Runtime session's terms at its peak. */
export function inferenceNote(m: Memory): string {
  const i = m.inferenceTerms;
  const held = `${formatBytes(i.weights)} weights + ${formatBytes(i.weightCopies)} of copies + ${formatBytes(i.fixed)} runtime`;
  if (i.create > i.run) return `ONNX Runtime on the CPU, peak while the session is made: ${held} + ${formatBytes(i.creating)} for a big weight's reorder`;
  const outputs = i.run - i.fixed - i.weights - i.weightCopies - 2 * i.activations;
  return `ONNX Runtime on the CPU, float32: ${held} + 2 × ${formatBytes(i.activations)} activations + ${formatBytes(outputs)} outputs`;
}

/** The notes' rule beside the estimate, and why they differ. */
export function notesRuleText(m: Memory): string {
  const ratio = m.trainingPeak > 0 ? m.notesRule / m.trainingPeak : 1;
  return `The notes' rule of thumb (every layer's output and its gradient, all kept at once) gives ${formatBytes(m.notesRule)}, ${ratio >= 1 ? `${ratio.toFixed(1)}×` : `${(ratio * 100).toFixed(0)}% of`} this peak: autograd keeps only what each op's backward reads (each tensor once, in-place ReLU sharing its input's), frees it as the backward walk passes, and holds an activation's gradient only until its producer has used it.`;
}

export function budgetText(m: Memory): string | undefined {
  if (m.budget === undefined) return undefined;
  const verdict = m.training <= m.budget ? 'fits' : 'does not fit';
  return `training ${verdict} the ${formatBytes(m.budget)} budget; the largest batch that fits is ${formatCount(m.maxBatch ?? 0)}`;
}
