import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyze, type Analysis, type NetworkAnalysis, DTYPES, formatBytes, formatCount, LineIndex, OPTIMIZERS, type Dtype, type MemoryOptions, type Optimizer } from '../language/index.js';
import { declaredWeights, ExportError, exportNetwork, pickNetwork } from '../runtime/export.js';
import { loadWeights, WeightsError } from '../runtime/weights-file.js';
import { readImage } from '../runtime/image.js';
import { InputError } from '../runtime/input-error.js';
import { isNpy, matchShape, readNpy } from '../runtime/npy.js';
import { defaultOnnxPath } from '../runtime/onnx-path.js';
import { mulberry32 } from '../runtime/random.js';
import { RunError, runModel } from '../runtime/run.js';
import { runReport, runReportText } from '../runtime/run-report.js';
import { formatDiagnostic, summaryJson, summaryText } from '../language/report.js';

const USAGE = `usage: stride <command> [options]

commands:
  summary FILE   shapes, parameters, MACs, receptive fields and memory of every network in FILE
    --batch N          batch size (default 1)
    --dtype T          float32 | float16 | bfloat16 | float64 (default float32)
    --optimizer O      sgd | momentum | rmsprop | adagrad | adam | adamw (default sgd)
    --budget GiB       GPU memory budget: warn when training does not fit, and give the largest batch
    --json             machine-readable output on stdout

  export FILE    write the network as an ONNX model (NCHW, batch N symbolic, seeded weights)
    -o, --output F     where to write it (default: FILE with .onnx, or FILE.NETWORK.onnx for one of several)
    --network NAME     which network, when the file has several
    --seed N           seed for the weight initialisation (default 0)
    --weights F        weights by name from a .safetensors file or an .onnx model instead

  run FILE       export the network and run it on ONNX Runtime in a separate process
    --network NAME     which network, when the file has several
    --input SOURCE     random (default, seeded by --seed), an image (.png, .jpg: resized, grey/RGB
                       converted, scaled to [0, 1]) or a .npy array (CHW, NCHW, HWC or NHWC)
    --mean M,M,M       per-channel mean to subtract from an image (after scaling)
    --std S,S,S        per-channel standard deviation to divide an image by
    --batch N          batch size (default 1)
    --ep auto|cuda|cpu execution provider: auto tries CUDA and falls back to CPU, saying why (default auto)
    --weights F        weights from a .safetensors file or an .onnx model (default: seeded He initialisation)
    --iterations N     timed runs after the first (default 10)
    --capture L,L      also fetch these layers' outputs (feature maps) and report their statistics
    --profile          time per layer, mapped back to source lines
    --json             machine-readable report on stdout

exit status: 0 no errors, 1 the file has errors, 2 a usage or file problem, 3 an internal error`;

/** A problem with how Stride was called: printed with the usage, exit 2. */
class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'summary':
        return summary(rest);
      case 'export':
        return exportCommand(rest);
      case 'run':
        return await runCommand(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE + '\n');
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`stride: ${(e as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    // A bug in Stride: say so in one line; the stack is only for someone debugging (STRIDE_DEBUG=1).
    process.stderr.write(`stride: internal error: ${(e as Error).message ?? e}. Please report it with the file that caused it.\n`);
    if (process.env.STRIDE_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 3;
  }
}

function memoryOptions(v: { batch?: string; dtype?: string; optimizer?: string; budget?: string }): Partial<MemoryOptions> {
  const o: Partial<MemoryOptions> = {};
  if (v.batch !== undefined) {
    const n = Number(v.batch);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--batch must be a whole number ≥ 1, not '${v.batch}'`);
    o.batch = n;
  }
  if (v.dtype !== undefined) {
    if (!(v.dtype in DTYPES)) throw new UsageError(`--dtype must be one of ${Object.keys(DTYPES).join(', ')}, not '${v.dtype}'`);
    o.dtype = v.dtype as Dtype;
  }
  if (v.optimizer !== undefined) {
    if (!(v.optimizer in OPTIMIZERS)) throw new UsageError(`--optimizer must be one of ${Object.keys(OPTIMIZERS).join(', ')}, not '${v.optimizer}'`);
    o.optimizer = v.optimizer as Optimizer;
  }
  if (v.budget !== undefined) {
    const g = Number(v.budget);
    if (!Number.isFinite(g) || g <= 0) throw new UsageError(`--budget is in GiB and must be a positive number, not '${v.budget}'`);
    o.budget = Math.round(g * 1024 ** 3);
  }
  return o;
}

/**
 * A problem with the user's network, weights or input: reported as `file: error: …`, exit 1. Weights and
 * input errors already name their own file. Anything else is not the user's and is left to the caller.
 */
function userError(file: string, e: unknown): number | undefined {
  if (e instanceof WeightsError || e instanceof InputError) process.stderr.write(`error: ${e.message}\n`);
  else if (e instanceof ExportError || e instanceof RunError) process.stderr.write(`${file}: error: ${e.message}\n`);
  else return undefined;
  return 1;
}

/** A file's bytes, or undefined after saying why it cannot be read. */
function readBytes(file: string): Uint8Array | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    process.stderr.write(`stride: cannot read ${file}: ${why}\n`);
    return undefined;
  }
}

function readSource(file: string): string | undefined {
  const bytes = readBytes(file);
  return bytes && new TextDecoder().decode(bytes);
}

function summary(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      batch: { type: 'string' },
      dtype: { type: 'string' },
      optimizer: { type: 'string' },
      budget: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'summary needs a .stride file' : 'summary takes one file');
  const opts = memoryOptions(values);
  const file = positionals[0];
  const text = readSource(file);
  if (text === undefined) return 2;
  const a = analyze(text, opts);
  const hasErrors = a.diagnostics.some((d) => d.severity === 'error');
  if (values.json) {
    process.stdout.write(JSON.stringify(summaryJson(a)) + '\n');
  } else {
    const lines = new LineIndex(text);
    for (const d of a.diagnostics) process.stderr.write(formatDiagnostic(file, d, lines) + '\n');
    process.stdout.write(summaryText(a));
  }
  return hasErrors ? 1 : 0;
}

function exportCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, network: { type: 'string' }, seed: { type: 'string' }, weights: { type: 'string' } },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'export needs a .stride file' : 'export takes one file');
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number ≥ 0, not '${values.seed}'`);
  const file = positionals[0];
  const text = readSource(file);
  if (text === undefined) return 2;
  const a = analyze(text);
  try {
    const net = pickNetwork(a, values.network);
    const weights = values.weights === undefined ? undefined : readWeights(values.weights, a, net);
    if (weights === null) return 2;
    const model = exportNetwork(a, net, { seed, weights });
    const out = values.output ?? defaultOnnxPath(file, a.networks.length > 1 ? net.name : undefined);
    writeFileSync(out, model.bytes);
    const count = model.weights.reduce((n, w) => n + w.dims.reduce((x, d) => x * d, 1), 0);
    process.stdout.write(`wrote ${out}: network ${net.name}, input ${model.input.name} N×${model.input.shape.join('×')}, output ${model.output.name} N×${model.output.shape.join('×')}, ${model.layers.length} layers, ${formatCount(count)} weights, ${formatBytes(model.bytes.length)}\n`);
    return 0;
  } catch (e) {
    const failed = userError(file, e);
    if (failed !== undefined) return failed;
    const code = (e as NodeJS.ErrnoException).code;
    if (code) {
      process.stderr.write(`stride: cannot write ${values.output}: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

/** A weights file checked against the network; null when it cannot be read (reported). */
function readWeights(file: string, a: Analysis, net: NetworkAnalysis): Map<string, Float32Array> | null {
  const bytes = readBytes(file);
  if (!bytes) return null;
  return loadWeights(bytes, file, declaredWeights(a, net));
}

async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      network: { type: 'string' },
      input: { type: 'string' },
      batch: { type: 'string' },
      ep: { type: 'string' },
      iterations: { type: 'string' },
      seed: { type: 'string' },
      weights: { type: 'string' },
      mean: { type: 'string' },
      std: { type: 'string' },
      capture: { type: 'string' },
      profile: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'run needs a .stride file' : 'run takes one file');
  const whole = (flag: string, v: string | undefined, dflt: number, min: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be a whole number ≥ ${min}, not '${v}'`);
    return n;
  };
  const batch = whole('batch', values.batch, 1, 1);
  const iterations = whole('iterations', values.iterations, 10, 0);
  const seed = whole('seed', values.seed, 0, 0);
  const ep = values.ep ?? 'auto';
  if (ep !== 'auto' && ep !== 'cuda' && ep !== 'cpu') throw new UsageError(`--ep must be auto, cuda or cpu, not '${ep}'`);
  const source = values.input ?? 'random';
  const numbers = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const list = v.split(',').map(Number);
    if (list.some((n) => !Number.isFinite(n))) throw new UsageError(`--${flag} takes numbers separated by commas, not '${v}'`);
    return list;
  };
  const mean = numbers('mean', values.mean);
  const std = numbers('std', values.std);
  const file = positionals[0];
  const text = readSource(file);
  if (text === undefined) return 2;
  const a = analyze(text);
  try {
    const net = pickNetwork(a, values.network);
    const weights = values.weights === undefined ? undefined : readWeights(values.weights, a, net);
    if (weights === null) return 2;
    const captures = values.capture ? values.capture.split(',').map((c) => c.trim()).filter(Boolean) : [];
    const model = exportNetwork(a, net, { seed, weights, captures });
    const given = source === 'random' ? undefined : readInput(source, model.input.shape, batch, { mean, std });
    if (given === null) return 2;
    const dims = given ? [given.batch, ...model.input.shape] : [batch, ...model.input.shape];
    const data = given ? given.data : randomInput(dims.reduce((x, d) => x * d, 1), seed);
    const result = await runModel(model, { dims, data }, { provider: ep, iterations, profile: values.profile, captures });
    const report = runReport(net.name, model, result, given ? source : `random (seed ${seed})`);
    process.stdout.write(values.json ? JSON.stringify(report) + '\n' : runReportText(report));
    return 0;
  } catch (e) {
    const failed = userError(file, e);
    if (failed !== undefined) return failed;
    throw e;
  }
}

/**
 * An image or a .npy array as the network's input (NCHW float32); null when the file cannot be read
 * (reported). An image is one sample, repeated to fill the batch.
 */
function readInput(file: string, shape: number[], batch: number, norm: { mean?: number[]; std?: number[] }): { batch: number; data: Float32Array } | null {
  const bytes = readBytes(file);
  if (!bytes) return null;
  if (isNpy(bytes)) return matchShape(readNpy(bytes, file), shape, file);
  if (shape.length !== 3) throw new InputError(`${file}: the network takes ${shape[0]} features, not an image; give a .npy array`);
  const image = readImage(bytes, file, { channels: shape[0], height: shape[1], width: shape[2] }, norm);
  const data = new Float32Array(image.length * batch);
  for (let i = 0; i < batch; i++) data.set(image, i * image.length);
  return { batch, data };
}

/** Uniform values in [0, 1), like a scaled image, from a seed. */
function randomInput(count: number, seed: number): Float32Array {
  const next = mulberry32((seed ^ 0x5eed) >>> 0);
  return Float32Array.from({ length: count }, next);
}
