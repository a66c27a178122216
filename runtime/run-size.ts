import { totalmem } from 'node:os';
import { formatBytes, formatCount, type NetworkAnalysis } from '../language/index.js';

/**
 * Whether a run's tensors can exist at all on this machine, checked before anything is allocated: the
 * input must fit one typed array, and the inference estimate (weights, input, and the live activations at
 * the widest point of the network) must fit the machine's memory.
 */

export class RunSizeError extends Error {}

/** The most float32 values one typed array holds in Node.js. */
const MAX_ELEMENTS = 2 ** 32;

/** Memory this process may use: the machine's, or less under a cgroup limit. */
export function availableMemory(): number {
  const limit = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return limit > 0 && limit < totalmem() ? limit : totalmem();
}

/** `net` is analysed at batch 1 with float32, as ONNX Runtime runs it. */
export function checkRunSize(net: NetworkAnalysis, batch: number, available = availableMemory()): void {
  const m = net.memory;
  const perSample = m.input + m.activationsInference;
  const needed = m.parameters + perSample * batch;
  const inputElements = (m.input / 4) * batch;
  const byMemory = Math.max(0, Math.floor((available - m.parameters) / perSample));
  const byArray = Math.floor(MAX_ELEMENTS / (m.input / 4));
  const fits = Math.min(byMemory, byArray);
  const advice = fits >= 1 ? `use --batch ${formatCount(Math.min(fits, batch - 1))} or less` : 'even batch 1 does not fit: reduce the input size or the width of the network';
  if (needed > available)
    throw new RunSizeError(`batch ${formatCount(batch)} needs about ${formatBytes(needed)} (${formatBytes(m.parameters)} of weights, ${formatBytes(m.input * batch)} of input, ${formatBytes(m.activationsInference * batch)} of live activations) and this machine has ${formatBytes(available)}; ${advice}`);
  if (inputElements > MAX_ELEMENTS)
    throw new RunSizeError(`batch ${formatCount(batch)} makes an input of ${formatCount(inputElements)} values (${formatBytes(m.input * batch)}), more than one array can hold (${formatCount(MAX_ELEMENTS)} values); ${advice}`);
}
