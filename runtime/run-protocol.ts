/** The messages between `runNetwork` and the child process that holds the ONNX Runtime session. */

export type ProviderChoice = 'auto' | 'cuda' | 'cpu';

/** A run of a network given as text: the child analyses and exports it too, off the caller's thread. */
export interface SourceRunRequest {
  type: 'run-source';
  text: string;
  network?: string;
  seed: number;
  provider: ProviderChoice;
  iterations: number;
  profile: boolean;
  /** Capture the outputs of these ops' layers (the first sample, at most `maxChannels` channels each). */
  captureOps: string[];
  maxChannels: number;
  timeoutMs: number;
  /** Samples per run (default 1); an input array brings its own. */
  batch?: number;
  /** An image or a .npy array instead of the seeded random input. */
  inputFile?: string;
  /** A .safetensors file or an .onnx model whose weights replace the seeded initialisation. */
  weightsFile?: string;
  /** Where exported models are kept between runs (model-cache.ts); none are kept without it. */
  cacheDir?: string;
}

/** Export a network given as text to an .onnx file, in the child. */
export interface SourceExportRequest {
  type: 'export-source';
  text: string;
  network?: string;
  seed: number;
  path: string;
  /** The .stride file the text came from: never written over. */
  source?: string;
  timeoutMs: number;
}

export interface SourceExportResult {
  type: 'export-result';
  network: string;
  path: string;
  bytes: number;
  layers: number;
}

export interface FeatureMap {
  layer: string;
  line: number;
  /** Channels shown, each height×width, scaled to 0–255 per channel. */
  channels: number;
  height: number;
  width: number;
  pixels: Uint8Array;
}

export interface SourceRunResult {
  type: 'source-result';
  /** The report as `stride run --json` gives it. */
  report: RunReport;
  featureMaps: FeatureMap[];
}

export interface RunRequest {
  type: 'run';
  /** The model's bytes, or the path of its file. */
  model: Uint8Array | string;
  /** The input's values, or the seed of a random input (`randomInput`), made in the run process. */
  input: { name: string; dims: number[] } & ({ data: Float32Array } | { seed: number });
  /** The outputs to fetch: the network's output first, then any captured layers. */
  outputs: string[];
  provider: ProviderChoice;
  iterations: number;
  profile: boolean;
  /** The run process ends itself this long after it starts, in case its parent cannot. */
  timeoutMs: number;
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
  /** Why CUDA did not load, where `auto` fell back to the CPU. */
  cudaProblem?: string;
  outputs: { name: string; dims: number[]; data: Float32Array }[];
  timings: RunTimings;
  /** Peak resident memory of the session's process, in bytes. */
  peakRss: number;
  /** Its resident memory just before the session was created (the input, and model bytes sent as such, already in), in bytes. */
  rssBeforeSession: number;
  /** With profiling: total kernel time per node name, in microseconds, over all runs. */
  nodeTimes?: Record<string, number>;
}

export interface RunFailure {
  type: 'error';
  message: string;
  /** The whole message, for explaining it with the network at hand (an out-of-memory names the node). */
  detail?: string;
  /** CUDA was asked for and did not load: why (the set-up is the next step). */
  cudaProblem?: string;
}

/** Timed runs done so far, sent while a long run goes on. */
export interface RunProgress {
  type: 'progress';
  done: number;
  total: number;
}

export type WorkerRequest = RunRequest | SourceRunRequest | SourceExportRequest;

export type WorkerMessage = RunResult | SourceRunResult | SourceExportResult | RunFailure | RunProgress;

/** What sets the CUDA provider up, in the editor and in the CLI (`gpu-setup.ts`). */
export const CUDA_SETUP_HINT = 'run "Stride: Set Up GPU (CUDA)" in VS Code, or `stride setup-gpu`';

/** What a run tells a person (or, as JSON, a tool): provider and why, output, top classes, timings, memory. */
export interface RunReport {
  network: string;
  provider: 'cuda' | 'cpu';
  /** Why that provider, without its name: `as requested`, or why CUDA was not used. */
  reason: string;
  /** Why CUDA did not load, where it was tried and the run fell back to the CPU. */
  cudaProblem?: string;
  input: { source: string; shape: number[] };
  /** The weights file the run used; absent: the seeded initialisation (random weights). */
  weights?: string;
  output: { name: string; shape: number[]; min: number; max: number; mean: number; std: number };
  /** For a classifier (a flat output): the five largest, as probabilities. */
  top5?: { index: number; probability: number }[];
  timings: { sessionMs: number; firstRunMs: number; p50Ms: number; p90Ms: number; iterations: number; throughput: number };
  peakMemory: number;
  /** Resident memory of the run process just before the session was created. */
  rssBeforeSession: number;
  /** What the session added to the run process's peak: `peakMemory - rssBeforeSession`. */
  sessionMemory: number;
  /**
   * Stride's estimate of `sessionMemory` (the analysis's inference memory), for the runs its rule describes:
   * on the CPU, the graph optimised, no layer captured.
   */
  sessionMemoryEstimate?: number;
  /** Captured layer outputs (feature maps): shape and statistics over the batch. */
  captures?: { name: string; line: number; shape: number[]; min: number; max: number; mean: number; std: number }[];
  /**
   * With --profile: time per layer (mean per run) of the optimised graph, mapped back to its source line; a
   * kernel's time is on its conv (or dense) layer, `fused` naming the layers it ran too, each with `fusedInto`.
   */
  layers?: { name: string; line: number; op: string; ms: number; fused?: string[]; fusedInto?: string }[];
  /** With --output: the .npy files written, the network's output first, then each captured layer. */
  written?: string[];
}
