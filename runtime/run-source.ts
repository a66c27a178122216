import { readFileSync } from 'node:fs';
import { analyze } from '../language/index.js';
import { declaredWeights, exportNetwork, pickNetwork, type ExportResult, type ModelFile } from './export.js';
import { keptOrExported, runKept } from './model-cache.js';
import { inputFromFile, readRunFile } from './input-file.js';
import { loadWeights } from './weights-file.js';
import { checkRunSize } from './run-size.js';
import type { FeatureMap, RunRequest, RunResult, SourceExportRequest, SourceExportResult, SourceRunRequest, SourceRunResult } from './run-protocol.js';
import { randomInput } from './random.js';
import { runReport, sessionEstimate } from './run-report.js';
import { explainRunFailure } from './run-errors.js';
import { checkNotInput, writeFileAtomic } from './write-file.js';

/**
 * The run process's requests that bring a network's text (the editor's run panel and exports): analysed and
 * exported here, run by the process's session (run-worker.ts). Its own bundle, loaded on the first such
 * request, so that a run of an exported model does not wait for the language to load.
 */

/** What the run process lends: its session runner and how it reads ONNX Runtime's errors. */
export interface Session {
  run(req: RunRequest): Promise<RunResult>;
  /** CUDA was asked for and did not load: passed on as it is, for the caller to offer the set-up. */
  isCudaError(e: unknown): boolean;
  plain(e: unknown): string;
  firstLine(e: unknown): string;
}

/** Analyse, export and run a network given as text; capture feature maps of the chosen layers. */
export async function runSource(req: SourceRunRequest, session: Session): Promise<SourceRunResult> {
  const a = analyze(req.text);
  const net = pickNetwork(a, req.network);
  const captured = net.layers.filter((l) => req.captureOps.includes(l.op.name) && l.facts?.shape.length === 3);
  const captures = captured.map((l) => l.name);
  const parts = { text: req.text, network: net.name, seed: req.seed, captures, weightsFile: req.weightsFile };
  const exportNow = () => {
    const weights = req.weightsFile ? loadWeights(readRunFile(readFileSync, req.weightsFile, 'weights file'), req.weightsFile, declaredWeights(a, net)) : undefined;
    return exportNetwork(a, net, { seed: req.seed, weights, captures });
  };
  const model = keptOrExported(req.cacheDir, parts, exportNow)!;
  const batch = req.batch ?? 1;
  const given = req.inputFile ? inputFromFile(readRunFile(readFileSync, req.inputFile, 'input file'), req.inputFile, model.input.shape, batch) : undefined;
  checkRunSize(net, given?.batch ?? batch, req.iterations);
  const dims = [given?.batch ?? batch, ...model.input.shape];
  const data = given?.data ?? randomInput(dims.reduce((x, d) => x * d, 1), req.seed);
  const request = (m: ExportResult | ModelFile): RunRequest => ({ type: 'run', model: 'path' in m ? m.path : m.bytes, input: { name: m.input.name, dims, data }, outputs: [m.output.name, ...captures], provider: req.provider, iterations: req.iterations, profile: req.profile, timeoutMs: req.timeoutMs });
  let result: RunResult;
  try {
    result = await runKept(model, (m) => session.run(request(m)), () => keptOrExported(req.cacheDir, parts, exportNow, false), session.plain);
  } catch (e) {
    if (session.isCudaError(e)) throw e;
    // An out-of-memory names an ONNX node: say which layer, on which line.
    throw new Error(explainRunFailure(session.plain(e), model.layers, dims[0]) ?? session.firstLine(e));
  }
  const report = runReport(net.name, model, result, req.inputFile ?? `random (seed ${req.seed})`, captured.length === 0 && !req.profile ? sessionEstimate(net, dims[0], req.iterations) : undefined);
  if (req.weightsFile) report.weights = req.weightsFile;
  const lines = new Map(model.layers.map((l) => [l.name, l.line]));
  const featureMaps = result.outputs.slice(1).map((o) => featureMap(o, lines.get(o.name) ?? 0, req.maxChannels));
  return { type: 'source-result', report, featureMaps };
}

/** The first sample's first channels, each scaled to 0–255 by its own range. */
function featureMap(o: { name: string; dims: number[]; data: Float32Array }, line: number, maxChannels: number): FeatureMap {
  const [, c, h, w] = o.dims;
  const channels = Math.min(c, maxChannels);
  const pixels = new Uint8Array(channels * h * w);
  for (let k = 0; k < channels; k++) {
    const plane = o.data.subarray(k * h * w, (k + 1) * h * w);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of plane) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo || 1;
    for (let i = 0; i < plane.length; i++) pixels[k * h * w + i] = Math.round((255 * (plane[i] - lo)) / span);
  }
  return { layer: o.name, line, channels, height: h, width: w, pixels };
}

export async function exportSource(req: SourceExportRequest): Promise<SourceExportResult> {
  const a = analyze(req.text);
  const net = pickNetwork(a, req.network);
  if (req.source) checkNotInput(req.path, [{ path: req.source, what: 'source file' }]);
  const model = exportNetwork(a, net, { seed: req.seed });
  writeFileAtomic(req.path, model.bytes);
  return { type: 'export-result', network: net.name, path: req.path, bytes: model.bytes.length, layers: model.layers.length };
}
