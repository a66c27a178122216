import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyze, isConstant, type Analysis, type NetworkAnalysis, formatBytes, formatCount, LineIndex, OPTIMIZERS, PRECISIONS, type MemoryOptions, type Optimizer, type Precision } from '../language/index.js';
import { declaredWeights, ExportError, exportNetwork, pickNetwork, type ExportResult, type ModelFile } from '../runtime/export.js';
import { keptOrExported, modelCacheDir, runKept } from '../runtime/model-cache.js';
import { loadWeights, WeightsError } from '../runtime/weights-file.js';
import { inputFromFile } from '../runtime/input-file.js';
import { InputError } from '../runtime/input-error.js';
import { defaultOnnxPath, defaultPytorchPath } from '../runtime/onnx-path.js';
import { exportPytorch } from '../runtime/pytorch-export.js';
import { MAX_ITERATIONS, prestartRun, RunError, runModel, type Prestarted, type RunOptions } from '../runtime/run.js';
import { nchwcBlock } from '../runtime/cpu.js';
import { checkRunSize, RunSizeError } from '../runtime/run-size.js';
import { checkNotInput, writeFileAtomic, WriteError } from '../runtime/write-file.js';
import { encodeNpy } from '../runtime/npy-write.js';
import { ImportError, importOnnx, safetensors } from '../runtime/onnx-import.js';
import { IR_VERSION_OF_OPSET, OPSET } from '../runtime/onnx/proto.js';
import { runReport, runReportText, sessionEstimate } from '../runtime/run-report.js';
import { formatDiagnostic, summaryJson, summaryText } from '../language/views/report.js';
import { diffNetworks, diffText } from '../language/views/diff.js';
import { CUDA_PACKAGE, NUGET_INDEX, setupGpu } from '../runtime/gpu-setup.js';
import { proxyFromEnv } from '../runtime/gpu-download.js';
import { cliGpuHome, installedCuda } from '../runtime/gpu-install.js';

const USAGE = `usage: stride <command> [options]

commands:
  summary FILE   shapes, parameters, MACs, receptive fields and memory of every network in FILE
    --batch N          batch size (default 1)
    --dtype T          float32 | float16 | bfloat16 | float64 | mixed_float16 | mixed_bfloat16 (default
                       float32); mixed: 16-bit activations, float32 weights, gradients and optimizer state
    --optimizer O      sgd | momentum | rmsprop | adagrad | adam | adamw (default sgd)
    --budget GiB       GPU memory budget: warn when training does not fit, and give the largest batch
    --framework MiB    what the framework holds on the GPU before any tensor (default 282: the CUDA
                       context and cuBLAS's workspace); 0 for a CPU
    --json             machine-readable output on stdout

  export FILE    write the network as an ONNX model (NCHW, batch N symbolic, seeded weights)
    --format F         onnx (default) or pytorch: a .py file with an nn.Module per block and network, whose
                       state_dict() keys are the weight names (no weights are written)
    -o, --output F     where to write it (default: FILE with .onnx (.py), or FILE.NETWORK.onnx for one of
                       several; an existing file is replaced only when its path is given with -o)
    --network NAME     which network, when the file has several
    --seed N           seed for the weight initialisation (default 0)
    --weights F        weights by name from a .safetensors file or an .onnx model instead
    --opset N          ONNX opset to write, 17 to 21 (default 21), for older ONNX consumers
    --list-weights     print the tensors a weights file must hold (name, shape, dtype) and write nothing;
                       with --json, as JSON

  run FILE       export the network and run it on ONNX Runtime in a separate process; the model is kept in
                 $XDG_CACHE_HOME/stride/models and run again while the text, seed, captures and weights are
                 unchanged (STRIDE_MODEL_CACHE=DIR elsewhere, =0 none)
    --network NAME     which network, when the file has several
    --input SOURCE     random (default, seeded by --seed), an image (.png, .jpg: resized, grey/RGB
                       converted, scaled to [0, 1]) or a .npy array (CHW, NCHW, HWC or NHWC)
    --mean M,M,M       per-channel mean to subtract from an image (after scaling)
    --std S,S,S        per-channel standard deviation to divide an image by
    --batch N          batch size (default 1)
    --ep auto|cuda|cpu execution provider: auto tries CUDA and falls back to CPU, saying why (default auto)
    --weights F        weights from a .safetensors file or an .onnx model (default: seeded He initialisation)
    --iterations N     timed runs after the first (default 10, at most ${MAX_ITERATIONS})
    --capture L,L      also fetch these layers' outputs (feature maps) and report their statistics
    --output F.npy     write the network's output (N×…, float32) as a .npy file; with --capture, each
                       captured layer's output goes beside it as F.LAYER.npy
    --profile          time per layer of the optimised graph, mapped back to source lines (a fused kernel's
                       time on its conv, with the layers it ran)
    --json             machine-readable report on stdout

  import MODEL.onnx  write an ONNX model (NCHW, e.g. from torch.onnx.export) as a .stride network and its
                     weights as a .safetensors file beside it, named for the text
    -o, --output F     the .stride file (default: MODEL with .stride); the weights go to F with
                       .safetensors; an existing file is replaced only when its path is given with -o

  diff A B       what changed between two versions of a network: layers aligned by kind and order, each
                 added, removed, changed (output, params, MACs, receptive field, activation memory, the text)
                 or the same, and the totals with their deltas; exit 0 whatever the differences
    --rev REV          compare FILE with its version at git revision REV instead (stride diff FILE --rev HEAD)
    --network NAME     which network, when the files have several (else the one of the same name)
    --batch, --dtype, --optimizer   the memory figures' settings, as for summary
    --json             machine-readable output on stdout

  setup-gpu      set up ONNX Runtime's CUDA provider for \`stride run\`: check for the NVIDIA driver, a GPU
                 and the CUDA 12 and cuDNN 9 libraries, download the provider libraries of the bundled ONNX
                 Runtime (NuGet's ${CUDA_PACKAGE}, as onnxruntime-node's install script does) into
                 $XDG_CACHE_HOME/stride (default ~/.cache/stride), and check that a session loads on the GPU;
                 otherwise say what is missing and how to get it. A proxy comes from HTTPS_PROXY
    --feed URL         a NuGet v3 service index to download from (default ${NUGET_INDEX})
    --force            download again even when the libraries are there

exit status: 0 no errors, 1 the file has errors, 2 a usage or file problem, 3 an internal error`;

/** A problem with how Stride was called: printed with the usage, exit 2. */
class UsageError extends Error {}

/** Runs one command; `early` is `stride run`'s run process, started before this module loaded (early-run.ts). */
export async function main(argv: string[], early?: Prestarted): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'summary':
        return summary(rest);
      case 'export':
        return exportCommand(rest);
      case 'run':
        return await runCommand(rest, early);
      case 'import':
        return importCommand(rest);
      case 'diff':
        return diffCommand(rest);
      case 'setup-gpu':
        return await setupGpuCommand(rest);
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

/** A whole number written in digits, from `min` to `max` (by default the largest exact integer). */
function wholeNumber(flag: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${formatCount(max)}, not '${v}'`);
  return n;
}

function memoryOptions(v: { batch?: string; dtype?: string; optimizer?: string; budget?: string; framework?: string }): Partial<MemoryOptions> {
  const o: Partial<MemoryOptions> = {};
  if (v.batch !== undefined) o.batch = wholeNumber('batch', v.batch, 1);
  if (v.dtype !== undefined) {
    if (!(PRECISIONS as readonly string[]).includes(v.dtype)) throw new UsageError(`--dtype must be one of ${PRECISIONS.join(', ')}, not '${v.dtype}'`);
    o.dtype = v.dtype as Precision;
  }
  if (v.optimizer !== undefined) {
    if (!(v.optimizer in OPTIMIZERS)) throw new UsageError(`--optimizer must be one of ${Object.keys(OPTIMIZERS).join(', ')}, not '${v.optimizer}'`);
    o.optimizer = v.optimizer as Optimizer;
  }
  if (v.budget !== undefined) {
    const g = Number(v.budget);
    // 2^40 GiB (an exbibyte) is far past any machine, and keeps the bytes exact.
    if (!/^\s*[0-9.]+\s*$/.test(v.budget) || !Number.isFinite(g) || g <= 0 || g > 2 ** 40) throw new UsageError(`--budget is in GiB and must be a positive number up to ${2 ** 40}, not '${v.budget}'`);
    o.budget = Math.round(g * 1024 ** 3);
  }
  if (v.framework !== undefined) {
    const m = Number(v.framework);
    if (!/^\s*[0-9.]+\s*$/.test(v.framework) || !Number.isFinite(m) || m > 2 ** 30) throw new UsageError(`--framework is in MiB and must be a number from 0 up to ${2 ** 30}, not '${v.framework}'`);
    o.framework = Math.round(m * 1024 ** 2);
  }
  o.nchwcBlock = nchwcBlock();
  return o;
}

/**
 * A problem with the user's network, weights or input: reported as `file: error: …`, exit 1. Weights and
 * input errors already name their own file. Anything else is not the user's and is left to the caller.
 */
function userError(file: string, e: unknown): number | undefined {
  if (e instanceof WeightsError || e instanceof InputError) process.stderr.write(`error: ${e.message}\n`);
  else if (e instanceof ExportError || e instanceof RunError || e instanceof RunSizeError) process.stderr.write(`${file}: error: ${e.message}\n`);
  else if (e instanceof WriteError) {
    process.stderr.write(`stride: ${e.message}\n`);
    return 2;
  } else return undefined;
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
      framework: { type: 'string' },
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
    options: {
      output: { type: 'string', short: 'o' },
      network: { type: 'string' },
      seed: { type: 'string' },
      weights: { type: 'string' },
      opset: { type: 'string' },
      'list-weights': { type: 'boolean' },
      json: { type: 'boolean' },
      format: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'export needs a .stride file' : 'export takes one file');
  const format = values.format ?? 'onnx';
  if (format !== 'onnx' && format !== 'pytorch') throw new UsageError(`--format must be onnx or pytorch, not '${format}'`);
  if (format === 'pytorch') {
    const given = (['seed', 'weights', 'opset'] as const).filter((f) => values[f] !== undefined);
    if (given.length > 0) throw new UsageError(`--${given[0]} is for the ONNX export: a PyTorch export writes no weights (load them with load_state_dict)`);
  }
  const seed = values.seed === undefined ? 0 : wholeNumber('seed', values.seed, 0, 2 ** 32 - 1);
  const opset = values.opset === undefined ? OPSET : Number(values.opset);
  if (!(opset in IR_VERSION_OF_OPSET)) throw new UsageError(`--opset must be one of ${Object.keys(IR_VERSION_OF_OPSET).join(', ')}, not '${values.opset}'`);
  const file = positionals[0];
  const text = readSource(file);
  if (text === undefined) return 2;
  const a = analyze(text);
  try {
    const net = pickNetwork(a, values.network);
    if (values['list-weights']) return listWeights(a, net, values.json === true);
    const out = values.output ?? (format === 'pytorch' ? defaultPytorchPath : defaultOnnxPath)(file, a.networks.length > 1 ? net.name : undefined);
    checkNotInput(out, [{ path: file, what: 'source file' }, ...(values.weights ? [{ path: values.weights, what: 'weights file' }] : [])]);
    if (values.output === undefined && existsSync(out)) {
      // It may hold trained weights: replacing it with seeded ones must be asked for.
      process.stderr.write(`stride: ${out} already exists; to replace it, give its path with -o ${out} (or choose another path with -o)\n`);
      return 2;
    }
    if (format === 'pytorch') {
      const py = exportPytorch(a, net, file.split(/[\\/]/).pop());
      writeFileAtomic(out, new TextEncoder().encode(py));
      const layerCount = net.layers.filter((l) => !l.op.source).length;
      process.stdout.write(`wrote ${out}: network ${net.name} as PyTorch, ${layerCount} layers, ${formatCount(net.totals.params)} parameters\n`);
      return 0;
    }
    const weights = values.weights === undefined ? undefined : readWeights(values.weights, a, net, opset);
    if (weights === null) return 2;
    const model = exportNetwork(a, net, { seed, weights, opset });
    writeFileAtomic(out, model.bytes);
    const count = model.weights.reduce((n, w) => n + w.dims.reduce((x, d) => x * d, 1), 0);
    process.stdout.write(`wrote ${out}: network ${net.name}, opset ${opset}, input ${model.input.name} N×${model.input.shape.join('×')}, output ${model.output.name} N×${model.output.shape.join('×')}, ${model.layers.length} layers, ${formatCount(count)} weights, ${formatBytes(model.bytes.length)}\n`);
    return 0;
  } catch (e) {
    const failed = userError(file, e);
    if (failed !== undefined) return failed;
    throw e;
  }
}

function importCommand(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'import needs an .onnx file' : 'import takes one file');
  const file = positionals[0];
  const out = values.output ?? file.replace(/\.onnx$/i, '') + '.stride';
  const weightsOut = out.replace(/\.stride$/i, '') + '.safetensors';
  const bytes = readBytes(file);
  if (bytes === undefined) return 2;
  try {
    checkNotInput(out, [{ path: file, what: 'ONNX model' }]);
    checkNotInput(weightsOut, [{ path: file, what: 'ONNX model' }]);
    // The weights file is named from the text file: -o names both.
    for (const p of values.output === undefined ? [out, weightsOut] : []) {
      if (existsSync(p)) {
        process.stderr.write(`stride: ${p} already exists; to replace it, give the output's path with -o ${out} (or choose another path with -o)\n`);
        return 2;
      }
    }
    const r = importOnnx(bytes, file);
    writeFileAtomic(weightsOut, safetensors(r.weights));
    writeFileAtomic(out, new TextEncoder().encode(r.text));
    const count = r.weights.reduce((n, w) => n + w.data.length, 0);
    process.stdout.write(`wrote ${out}: network ${r.network}, ${r.nodes} ONNX nodes as ${r.layers} layers, ${r.blocks} block${r.blocks === 1 ? '' : 's'} (${r.calls} call${r.calls === 1 ? '' : 's'}); ${weightsOut}: ${r.weights.length} tensors, ${formatCount(count)} weights\n`);
    return 0;
  } catch (e) {
    if (e instanceof ImportError) {
      process.stderr.write(`${e.message}${e.problems.length ? ':' : ''}\n${e.problems.map((p) => `  ${file}: error: ${p}\n`).join('')}`);
      // A file that is not an ONNX model is a file problem (2); nodes Stride cannot express are errors (1).
      return e.problems.length > 0 ? 1 : /not an ONNX model/.test(e.message) ? 2 : 1;
    }
    const failed = userError(file, e);
    if (failed !== undefined) return failed;
    throw e;
  }
}

/** The tensors a weights file for this network holds, by name, in the order of the network. */
function listWeights(a: Analysis, net: NetworkAnalysis, json: boolean): number {
  // Constants Stride makes itself (resize scales, clip bounds) are not weights a user provides.
  const specs = declaredWeights(a, net).filter((w) => !isConstant(w.init));
  if (json) {
    process.stdout.write(JSON.stringify({ network: net.name, weights: specs.map((w) => ({ name: w.name, shape: w.dims, dtype: 'float32' })) }) + '\n');
    return 0;
  }
  const width = Math.max(4, ...specs.map((w) => w.name.length));
  const lines = [`network ${net.name}: ${specs.length} tensors, float32 (a .safetensors file may also hold F16, BF16 or F64)`];
  for (const w of specs) lines.push(`  ${w.name.padEnd(width)}  ${w.dims.join('×') || 'scalar'}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** A weights file checked against the network; null when it cannot be read (reported). */
function readWeights(file: string, a: Analysis, net: NetworkAnalysis, opset = OPSET): Map<string, Float32Array> | null {
  const bytes = readBytes(file);
  if (!bytes) return null;
  return loadWeights(bytes, file, declaredWeights(a, net, opset));
}

async function runCommand(args: string[], early: Prestarted | undefined): Promise<number> {
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
      output: { type: 'string' },
      profile: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'run needs a .stride file' : 'run takes one file');
  const batch = values.batch === undefined ? 1 : wholeNumber('batch', values.batch, 1);
  const iterations = values.iterations === undefined ? 10 : wholeNumber('iterations', values.iterations, 0, MAX_ITERATIONS);
  const seed = values.seed === undefined ? 0 : wholeNumber('seed', values.seed, 0, 2 ** 32 - 1);
  const ep = values.ep ?? 'auto';
  if (ep !== 'auto' && ep !== 'cuda' && ep !== 'cpu') throw new UsageError(`--ep must be auto, cuda or cpu, not '${ep}'`);
  const source = values.input ?? 'random';
  const mean = numbers('mean', values.mean);
  const std = numbers('std', values.std);
  if (std?.some((v) => v === 0)) throw new UsageError(`--std divides the input: its values cannot be 0 ('${values.std}')`);
  if ((mean || std) && !/\.(png|jpe?g)$/i.test(source)) throw new UsageError(`--mean and --std normalise an image input; ${source === 'random' ? 'the input is random' : `${source} is not an image`}, so they would be ignored`);
  if (values.output !== undefined && !/\.npy$/i.test(values.output)) throw new UsageError(`--output writes a .npy file, not '${values.output}'`);
  const file = positionals[0];
  const text = readSource(file);
  if (text === undefined) return 2;
  // The run process loads ONNX Runtime while this one analyses and exports.
  const cuda = ep === 'cpu' ? undefined : installedCuda(cliGpuHome());
  const prestarted = early ?? prestartRun(ep, cuda);
  const a = analyze(text);
  try {
    const net = pickNetwork(a, values.network);
    const captures = values.capture ? values.capture.split(',').map((c) => c.trim()).filter(Boolean) : [];
    const outputs = values.output === undefined ? [] : outputFiles(values.output, captures);
    const readFiles = [{ path: file, what: 'source file' }, ...(values.weights ? [{ path: values.weights, what: 'weights file' }] : []), ...(source !== 'random' ? [{ path: source, what: 'input file' }] : [])];
    for (const o of outputs) checkNotInput(o, readFiles);
    if (source === 'random') checkRunSize(net, batch, iterations);
    const model = runnableModel(text, a, net, { seed, captures, weightsFile: values.weights });
    if (model === null) return 2;
    const given = source === 'random' ? undefined : readInput(source, model.input.shape, batch, { mean, std });
    if (given === null) return 2;
    if (given) checkRunSize(net, given.batch, iterations, true);
    const dims = given ? [given.batch, ...model.input.shape] : [batch, ...model.input.shape];
    const shown = progressLine(iterations);
    const input = given ? { dims, data: given.data } : { dims, seed };
    const options: RunOptions = { provider: ep, iterations, profile: values.profile, captures, onProgress: shown.update, cuda, prestarted };
    const result = await runKept(
      model,
      (m) => runModel(m, input, options),
      () => runnableModel(text, a, net, { seed, captures, weightsFile: values.weights, reuse: false }),
      (e) => (e instanceof RunError ? e.message : ''),
    ).finally(shown.done);
    result.outputs.forEach((o, i) => {
      if (outputs[i]) writeFileAtomic(outputs[i], encodeNpy(o.dims, o.data));
    });
    const described = captures.length === 0 && !values.profile;
    const report = runReport(net.name, model, result, given ? source : `random (seed ${seed})`, described ? sessionEstimate(net, dims[0], iterations) : undefined);
    if (outputs.length > 0) report.written = outputs;
    if (values.weights) report.weights = values.weights;
    process.stdout.write(values.json ? JSON.stringify(report) + '\n' : runReportText(report));
    return 0;
  } catch (e) {
    const failed = userError(file, e);
    if (failed !== undefined) return failed;
    throw e;
  } finally {
    prestarted.dispose();
  }
}

/**
 * The model a run runs: the one exported for the same text, seed, captures and weights file before
 * (model-cache.ts), or exported now and kept; null when the weights file cannot be read (reported).
 */
function runnableModel(text: string, a: Analysis, net: NetworkAnalysis, o: { seed: number; captures: string[]; weightsFile?: string; reuse?: boolean }): ExportResult | ModelFile | null {
  const parts = { text, network: net.name, seed: o.seed, captures: o.captures, weightsFile: o.weightsFile };
  return keptOrExported(modelCacheDir(cliGpuHome()), parts, () => {
    const weights = o.weightsFile === undefined ? undefined : readWeights(o.weightsFile, a, net);
    return weights === null ? null : exportNetwork(a, net, { seed: o.seed, weights, captures: o.captures });
  }, o.reuse);
}

/** `--mean 0.5,0.5,0.5`: numbers separated by commas, none left out. */
function numbers(flag: string, v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',');
  // Number('') is 0: a gap must not become a silent zero.
  if (parts.some((p) => p.trim() === '' || !Number.isFinite(Number(p)))) throw new UsageError(`--${flag} takes numbers separated by commas (e.g. 0.485,0.456,0.406), not '${v}'`);
  return parts.map(Number);
}

/** The network's output to `F.npy`, and each captured layer beside it as `F.LAYER.npy`. */
function outputFiles(output: string, captures: readonly string[]): string[] {
  const base = output.replace(/\.npy$/i, '');
  return [output, ...captures.map((c) => `${base}.${c.replace(/[^\w.-]/g, '_')}.npy`)];
}

/** Progress on stderr for a run that takes more than a couple of seconds; silent for short ones. */
function progressLine(total: number): { update: (done: number, total: number) => void; done: () => void } {
  const started = performance.now();
  const tty = process.stderr.isTTY === true;
  let shownAt = -Infinity;
  let shown = false;
  return {
    update: (done, all) => {
      const now = performance.now();
      if (now - started < 2000 || (!tty && now - shownAt < 5000)) return;
      shownAt = now;
      shown = true;
      const eta = done > 0 ? ((now - started) / done) * (all - done) : 0;
      const line = `stride: run ${formatCount(done)}/${formatCount(total)} (${((now - started) / 1000).toFixed(0)} s, about ${(eta / 1000).toFixed(0)} s left)`;
      process.stderr.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
    },
    done: () => {
      if (shown && tty) process.stderr.write('\r\u001b[K');
    },
  };
}

/** An image or a .npy array as the network's input; null when the file cannot be read (reported). */
function readInput(file: string, shape: number[], batch: number, norm: { mean?: number[]; std?: number[] }): { batch: number; data: Float32Array } | null {
  const bytes = readBytes(file);
  if (!bytes) return null;
  return inputFromFile(bytes, file, shape, batch, norm);
}

/** `stride setup-gpu`: each step on stdout as it starts; what is missing on stderr, exit 1. */
async function setupGpuCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { feed: { type: 'string' }, force: { type: 'boolean' } } });
  if (positionals.length > 0) throw new UsageError(`setup-gpu takes no file ('${positionals[0]}')`);
  const feed = values.feed ?? NUGET_INDEX;
  if (!/^https?:\/\//.test(feed)) throw new UsageError(`--feed must be an http(s) URL of a NuGet v3 service index, not '${feed}'`);
  const tty = process.stdout.isTTY === true;
  let shownAt = -Infinity;
  const r = await setupGpu({
    home: cliGpuHome(),
    feed,
    force: values.force === true,
    net: { proxy: proxyFromEnv(feed) },
    onStep: (message, fraction) => {
      // The download's progress rewrites one line on a terminal, and is a line every few seconds in a log.
      if (fraction !== undefined && fraction > 0 && fraction < 1) {
        const now = performance.now();
        if (tty) process.stdout.write(`\r${message}\u001b[K`);
        else if (now - shownAt > 5000) process.stdout.write(`${message}\n`);
        shownAt = now;
        return;
      }
      process.stdout.write(`${tty && fraction === 1 ? '\r\u001b[K' : ''}${message}\n`);
    },
  });
  if (!r.ok) {
    process.stderr.write(`stride: setup-gpu: ${r.message}\n`);
    return 1;
  }
  process.stdout.write(`${r.message}\n  libraries  ${r.install.dir}${r.install.libDirs.length ? `\n  LD_LIBRARY_PATH for the run process: ${r.install.libDirs.join(':')}` : ''}\n`);
  return 0;
}

/** A file's text at a git revision, from the repository the file is in, or undefined after saying why not. */
function readRevision(file: string, rev: string): string | undefined {
  const r = spawnSync('git', ['show', `${rev}:./${basename(file)}`], { cwd: dirname(resolve(file)), encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) {
    process.stderr.write(`stride: cannot run git to read ${file} at ${rev}: ${r.error.message}\n`);
    return undefined;
  }
  if (r.status !== 0) {
    process.stderr.write(`stride: cannot read ${file} at ${rev}: ${r.stderr.trim().split('\n').pop()}\n`);
    return undefined;
  }
  return r.stdout;
}

/** The network to compare in each file: the one named, else the only one, else the one of the same name. */
function comparedNetworks(a: Analysis, b: Analysis, name: string | undefined, names: { a: string; b: string }): [NetworkAnalysis, NetworkAnalysis] {
  const find = (x: Analysis, file: string, n: string) => {
    const net = x.networks.find((k) => k.name === n);
    if (!net) throw new UsageError(`${file} has no network named ${n} (it has ${x.networks.map((k) => k.name).join(', ') || 'none'})`);
    return net;
  };
  if (name !== undefined) return [find(a, names.a, name), find(b, names.b, name)];
  if (a.networks.length === 0 || b.networks.length === 0) throw new UsageError(`${a.networks.length === 0 ? names.a : names.b} has no network`);
  if (a.networks.length === 1 && b.networks.length === 1) return [a.networks[0], b.networks[0]];
  const both = a.networks.filter((n) => b.networks.some((m) => m.name === n.name));
  if (both.length === 1) return [both[0], find(b, names.b, both[0].name)];
  throw new UsageError(`the files have several networks (${a.networks.map((n) => n.name).join(', ')}): choose one with --network`);
}

function diffCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { rev: { type: 'string' }, network: { type: 'string' }, batch: { type: 'string' }, dtype: { type: 'string' }, optimizer: { type: 'string' }, json: { type: 'boolean' } },
  });
  const rev = values.rev;
  if (rev !== undefined ? positionals.length !== 1 : positionals.length !== 2) throw new UsageError(rev !== undefined ? 'diff --rev REV takes one file' : 'diff needs two .stride files (or one with --rev REV)');
  const opts = memoryOptions(values);
  const names = rev !== undefined ? { a: `${positionals[0]}@${rev}`, b: positionals[0] } : { a: positionals[0], b: positionals[1] };
  const before = rev !== undefined ? readRevision(positionals[0], rev) : readSource(positionals[0]);
  if (before === undefined) return 2;
  const after = readSource(rev !== undefined ? positionals[0] : positionals[1]);
  if (after === undefined) return 2;
  const a = analyze(before, opts);
  const b = analyze(after, opts);
  const [netA, netB] = comparedNetworks(a, b, values.network, names);
  const d = diffNetworks(a, netA, b, netB);
  process.stdout.write(values.json ? JSON.stringify({ a: { file: names.a, network: netA.name }, b: { file: names.b, network: netB.name }, ...d }) + '\n' : diffText(d, names));
  return 0;
}
