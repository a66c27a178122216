/** The messages between `runNetwork` and the child process that holds the ONNX Runtime session. */

export type ProviderChoice = 'auto' | 'cuda' | 'cpu';

export interface RunRequest {
  type: 'run';
  model: Uint8Array;
  input: { name: string; dims: number[]; data: Float32Array };
  /** The outputs to fetch: the network's output first, then any captured layers. */
  outputs: string[];
  provider: ProviderChoice;
  iterations: number;
  profile: boolean;
}

export interface RunTimings {
  sessionMs: number;
  firstRunMs: number;
  /** Per run, after the first. */
  runsMs: number[];
}

export interface RunResult {
  type: 'result';
  provider: 'cuda' | 'cpu';
  /** Why this provider: what was asked, and for `auto` why CUDA was or was not used. */
  reason: string;
  outputs: { name: string; dims: number[]; data: Float32Array }[];
  timings: RunTimings;
  /** Peak resident memory of the session's process, in bytes. */
  peakRss: number;
  /** With profiling: total kernel time per node name, in microseconds, over all runs. */
  nodeTimes?: Record<string, number>;
}

export interface RunFailure {
  type: 'error';
  message: string;
}

export type WorkerMessage = RunResult | RunFailure;

/** The command that adds the CUDA provider libraries to onnxruntime-node, from the project folder. */
export const CUDA_INSTALL_COMMAND = 'node node_modules/onnxruntime-node/script/install --onnxruntime-node-install=cuda12';
