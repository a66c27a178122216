import { totalmem } from 'node:os';
import { formatBytes, formatCount, inferenceMemory, type NetworkAnalysis } from '../language/index.js';
import { nchwcBlock } from './cpu.js';

/**
 * Whether a run's tensors can exist at all on this machine, checked before anything is allocated: the
 * input must fit one typed array, and the run must fit the machine's memory: the model's bytes, the input
 * (in the run process, and in this one where it was read here), and what the ONNX Runtime session adds (the
 * inference estimate: copies of the weights, its plan's activations, the outputs).
 */

export class RunSizeError extends Error {}

/** The most float32 values one typed array holds in Node.js. */
const MAX_ELEMENTS = 2 ** 32;

/** Memory this process may use: the machine's, or less under a cgroup limit. */
export function availableMemory(): number {
  const limit = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return limit > 0 && limit < totalmem() ? limit : totalmem();
}

/**
 * `net` is analysed at batch 1 with float32, as ONNX Runtime runs it. `inputHere`: the input is read in this
 * process and sent to the run process, so it exists twice (a seeded random input is made there).
 */
export function checkRunSize(net: NetworkAnalysis, batch: number, iterations = 10, inputHere = false, available = availableMemory()): void {
  const copies = inputHere ? 2 : 1;
  const inputBytes = net.memory.input;
  const at = (b: number) => {
    const s = inferenceMemory(net.layers, net.output, { batch: b, block: nchwcBlock(), iterations });
    return { ...s, needed: s.weights + s.session + copies * inputBytes * b };
  };
  const m = at(batch);
  // The need grows by about the same with each sample: the batch that fits, from batches 1 and 2.
  const one = at(1);
  const perSample = Math.max(1, at(2).needed - one.needed);
  const byMemory = Math.max(0, Math.floor((available - (one.needed - perSample)) / perSample));
  const byArray = Math.floor(MAX_ELEMENTS / (inputBytes / 4));
  const fits = Math.min(byMemory, byArray);
  const advice = fits >= 1 ? `use --batch ${formatCount(Math.min(fits, batch - 1))} or less` : 'even batch 1 does not fit: reduce the input size or the width of the network';
  if (m.needed > available)
    throw new RunSizeError(`batch ${formatCount(batch)} needs about ${formatBytes(m.needed)} (${formatBytes(m.weights)} of weights, ${formatBytes(m.fixed + m.weightCopies)} more that ONNX Runtime holds with them, ${inputHere ? `2 × ${formatBytes(inputBytes * batch)} of input (here and in the run process)` : `${formatBytes(inputBytes * batch)} of input (in the run process)`}, ${formatBytes(m.session - m.fixed - m.weights - m.weightCopies)} of activations and outputs while it runs) and this machine has ${formatBytes(available)}; ${advice}`);
  const inputElements = (inputBytes / 4) * batch;
  if (inputElements > MAX_ELEMENTS)
    throw new RunSizeError(`batch ${formatCount(batch)} makes an input of ${formatCount(inputElements)} values (${formatBytes(inputBytes * batch)}), more than one array can hold (${formatCount(MAX_ELEMENTS)} values); ${advice}`);
}
