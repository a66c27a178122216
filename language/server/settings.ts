import { OPTIMIZERS, PRECISIONS, type MemoryOptions, type Optimizer, type Precision } from '../index.js';

/** The `stride.*` settings the server reads, checked: a bad value falls back to its default. */
export interface Settings {
  memory: MemoryOptions;
  inlayHints: { enabled: boolean; unchangedShapes: boolean };
}

export const DEFAULT_SETTINGS: Settings = { memory: { batch: 1, dtype: 'float32', optimizer: 'sgd' }, inlayHints: { enabled: true, unchangedShapes: false } };

/** What the client says of the machine it runs on (initialization options), which no setting holds. */
export interface Machine {
  /** Channels per NCHWc block of ONNX Runtime's CPU kernels there. */
  nchwcBlock?: number;
}

/** The client's `machine` initialization option, checked: an unknown value is left out. */
export function readMachine(raw: unknown): Machine {
  const m = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return m.nchwcBlock === 8 || m.nchwcBlock === 16 ? { nchwcBlock: m.nchwcBlock } : {};
}

/** From the `stride` section of the client's configuration (camelCase keys as in package.json). */
export function readSettings(raw: unknown, machine: Machine = {}): Settings {
  const s = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const batch = Number.isInteger(s.batchSize) && (s.batchSize as number) >= 1 ? (s.batchSize as number) : 1;
  const dtype = typeof s.dtype === 'string' && (PRECISIONS as readonly string[]).includes(s.dtype) ? (s.dtype as Precision) : 'float32';
  const optimizer = typeof s.optimizer === 'string' && s.optimizer in OPTIMIZERS ? (s.optimizer as Optimizer) : 'sgd';
  const gib = typeof s.memoryBudgetGiB === 'number' && s.memoryBudgetGiB > 0 ? s.memoryBudgetGiB : undefined;
  const fw = typeof s.frameworkMemoryMiB === 'number' && s.frameworkMemoryMiB >= 0 && s.frameworkMemoryMiB <= 2 ** 30 ? s.frameworkMemoryMiB : undefined;
  const hints = (s.inlayHints && typeof s.inlayHints === 'object' ? s.inlayHints : {}) as Record<string, unknown>;
  return {
    memory: { batch, dtype, optimizer, ...(gib !== undefined ? { budget: Math.round(gib * 1024 ** 3) } : {}), ...(fw !== undefined ? { framework: Math.round(fw * 1024 ** 2) } : {}), ...machine },
    inlayHints: { enabled: hints.enabled !== false, unchangedShapes: hints.unchangedShapes === true },
  };
}
