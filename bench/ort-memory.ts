/**
 * What an ONNX Runtime session adds to the run process's memory, measured as `stride run` runs it (the
 * child process, onnxruntime-node on the CPU, default session options) against a rule that predicts it
 * from the network's layers.
 *
 *   node --import tsx bench/ort-memory.ts [--all] [--batch 1,32] [--iterations N] [FILE[:NETWORK]…]
 *   node --import tsx bench/run.ts ort-memory [--all]
 *
 * By default ResNet-18 and VGG-16 at batch 1 and 32; `--all` every network of every example at batch 1
 * and 8. The figure is `sessionMemory` = the run process's peak resident memory (VmHWM) at the end less
 * its resident memory just before `InferenceSession.create` (the model bytes and the input are resident
 * by then, so neither is in it). Needs `npm run build` first (the run worker is dist/run-worker.js).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyze, type NetworkAnalysis } from '../language/index.js';
import { exportNetwork, type ExportResult } from '../runtime/export.js';
import { randomInput } from '../runtime/random.js';
import { runModel } from '../runtime/run.js';
import { figure, note } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MiB = 2 ** 20;

// ---------------------------------------------------------------------------------------------- the rule

/**
 * The terms of the rule, in bytes. ONNX Runtime 1.30, CPU provider, graph optimisation level `all`
 * (NCHWc layout, block of 16 channels on AVX-512, 8 on AVX2), CPU arena and memory pattern on, glibc.
 */
export interface OrtMemoryTerms {
  /** All initializers, fp32. */
  params: number;
  /** Conv weights and biases, tensors up to BIG_TENSOR each: CONV_COPIES of them stay resident. */
  convSmall: number;
  /** Gemm and ConvTranspose weights and biases up to BIG_TENSOR each: PACKED_COPIES stay resident. */
  packedSmall: number;
  /** The largest conv weight over BIG_TENSOR: its NCHWc reorder makes BIG_CONV_EXTRA passing copies. */
  convBig: number;
  /** The largest Gemm or ConvTranspose weight over BIG_TENSOR: prepacked while the original is held. */
  packedBig: number;
  /** Resident once the session is made: ORT's fixed cost, the weights, the copies glibc keeps. */
  retained: number;
  /** Peak while the session is made: `retained` plus the largest passing copy. */
  create: number;
  /** Peak of live activations in ORT's plan (`ortActivations`). */
  activations: number;
  /** The largest single activation in ORT's plan. */
  largestActivation: number;
  /** The network's output, plain NCHW. */
  output: number;
  /** Peak while running: `retained` + ACTIVATION_COPIES × `activations` + the outputs. */
  run: number;
  /** The prediction: the larger of `create` and `run`. */
  sessionMemory: number;
}

/**
 * The run process's resident cost for any session, however small: ONNX Runtime's code pages, environment
 * and thread pools (26 MiB), and what the JavaScript side adds while it runs (about 8 MiB).
 */
export const ORT_FIXED = 34 * MiB;
/** glibc serves larger blocks with mmap (its threshold rises to at most 32 MiB) and gives them back when freed. */
export const BIG_TENSOR = 32 * MiB;
/**
 * Resident copies of a small conv weight once the session is made: the parsed proto, the initializer, the
 * NCHWc reorder; freed ones stay in glibc's heap. About 2 on networks of many mixed small convs (GoogLeNet,
 * MobileNetV2, ResNet-50), 3 to 4 on few or uniform ones (VGG, ResNet-18, UNet).
 */
export const CONV_COPIES = 3;
/** Resident copies of a small Gemm or ConvTranspose weight: the parsed proto, and the prepacked copy that replaces the original. */
export const PACKED_COPIES = 2;
/** Passing copies of a big conv weight during its NCHWc reorder, on top of the one kept. */
export const BIG_CONV_EXTRA = 4;
/**
 * Activation memory while running, in units of the plan's peak: the first run takes tensor by tensor from
 * the arena; from the second, the memory pattern takes one block of the peak's size, mostly new memory.
 */
export const ACTIVATION_COPIES = 2;
/** JavaScript garbage of earlier runs' outputs that the collector has not yet reclaimed, at most. */
export const OUTPUT_GARBAGE = 32 * MiB;

/** The NCHWc block: 16 channels where MLAS uses AVX-512, 8 with AVX2. */
export function nchwcBlock(): number {
  try {
    return /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8')) ? 16 : 8;
  } catch {
    return 8;
  }
}

const ACTIVATIONS = new Set(['relu', 'relu6', 'leakyrelu', 'sigmoid', 'tanh']);
const POOLS = new Set(['maxpool', 'avgpool', 'adaptiveavgpool', 'globalavgpool', 'globalmaxpool']);

function count(shape: readonly number[]): number {
  return shape.reduce((x, d) => x * d, 1);
}

/** One allocation or free of ORT's plan, in order; the graph's output is never freed. */
export interface ArenaEvent {
  alloc: boolean;
  id: string;
  bytes: number;
}

/** How ORT runs a layer: fused into the node before it, sharing its input's buffer, or a node of its own. */
type Kind = 'source' | 'fused' | 'alias' | 'node';

interface Plan {
  kind: Kind;
  /** Its value is in the NCHWc layout. */
  blocked: boolean;
  /** For each input, whether this layer reads it blocked. */
  reads: boolean[];
  /** For a conv that ORT fuses an add into: the add's other operand, which the conv may write over. */
  sum?: number;
}

/**
 * Peak of live activations when ONNX Runtime runs the network: each node's output is allocated when it
 * runs and freed after its last reader, in the network's order. What ORT does to the graph first:
 * batchnorm after a conv is folded into it; an activation after a conv or a dense is fused into it; an
 * add of a conv's output (its only reader) is fused into that conv, which writes over the add's other
 * operand when nothing reads that later; dropout and flatten cost nothing; an elementwise node reuses an
 * input that nothing reads later. Convs, pools and concats of whole blocks run in NCHWc, channels rounded
 * up to the block; a value read in the other layout (by LRN, ConvTranspose, a flatten, the graph's output,
 * a pool or concat of channels off the block, or a plain input read blocked) gets a reorder copy right
 * after it is made. ConvTranspose also holds its column buffer for one image, LRN a scale buffer of its
 * size. The network's input is not counted: it is the caller's buffer.
 */
export function ortActivations(net: NetworkAnalysis, model: ExportResult, batch: number, block = nchwcBlock()): { peak: number; largest: number; output: number; events: ArenaEvent[] } {
  const layers = net.layers;
  const outputIndex = net.output ?? layers.length - 1;
  const weightDims = new Map(model.weights.map((w) => [w.name, w.dims]));
  const readers: number[][] = layers.map(() => []);
  for (const l of layers) for (const i of l.inputs) readers[i].push(l.index);
  const sole = (i: number) => (readers[i].length === 1 && i !== outputIndex ? layers[readers[i][0]] : undefined);
  const channels = (i: number) => (layers[i].facts?.shape.length === 3 ? layers[i].facts!.shape[2] : 0);
  const whole = (i: number) => channels(i) > 0 && channels(i) % block === 0;

  // Fusions: conv [→ batchnorm] [→ add] [→ activation], dense [→ activation].
  const fusedInto = new Map<number, number>();
  for (const l of layers) {
    if (l.op.name !== 'conv' && l.op.name !== 'dense') continue;
    let end = l.index;
    if (l.op.name === 'conv' && sole(end)?.op.name === 'batchnorm') fusedInto.set((end = sole(end)!.index), l.index);
    const next = sole(end);
    if (next && ACTIVATIONS.has(next.op.name)) fusedInto.set(next.index, l.index);
  }
  const sumOf = new Map<number, number>();
  for (const l of layers) {
    if (l.op.name !== 'add' || l.inputs.length !== 2) continue;
    // The conv ORT fuses the add into: of the operands made by a conv (or conv and batchnorm) that only
    // the add reads, the one made last, so that the other operand exists when it runs.
    const conv = (i: number) => (layers[i].op.name === 'conv' ? i : fusedInto.get(i) !== undefined && layers[i].op.name === 'batchnorm' ? fusedInto.get(i)! : undefined);
    const candidates = l.inputs.filter((i) => sole(i)?.index === l.index && conv(i) !== undefined).sort((a, b) => b - a);
    if (candidates.length === 0) continue;
    const operand = candidates[0];
    const other = l.inputs.find((i) => i !== operand) ?? operand;
    if (other === operand) continue;
    const c = conv(operand)!;
    fusedInto.set(l.index, c);
    sumOf.set(c, other);
    const next = sole(l.index);
    if (next && ACTIVATIONS.has(next.op.name)) fusedInto.set(next.index, c);
  }

  // Layouts, in order: each layer's from its inputs'. A fused add needs its other operand blocked too:
  // where it is not, ORT leaves the add alone, and the layouts are worked out again.
  let plans: Plan[] = [];
  for (;;) {
    plans = layouts();
    const wrong = [...sumOf].filter(([, other]) => !plans[other].blocked);
    if (wrong.length === 0) break;
    for (const [c, other] of wrong) {
      sumOf.delete(c);
      for (const [f, into] of [...fusedInto]) if (into === c && layers[f].inputs.includes(other)) {
        fusedInto.delete(f);
        const next = sole(f);
        if (next && fusedInto.get(next.index) === c) fusedInto.delete(next.index);
      }
    }
  }
  function layouts(): Plan[] {
    const plans: Plan[] = [];
    for (const l of layers) {
      const name = l.op.name;
      const ins = l.inputs;
      const inBlocked = (i: number) => plans[i].blocked;
      let plan: Plan;
      if (l.op.source) plan = { kind: 'source', blocked: false, reads: [] };
      else if (fusedInto.has(l.index)) {
        const c = fusedInto.get(l.index)!;
        plan = { kind: 'fused', blocked: plans[c].blocked, reads: ins.map(() => plans[c].blocked) };
      } else if (name === 'conv') {
        const groups = ins.length > 0 && channels(ins[0]) > 0 ? channels(ins[0]) / ((weightDims.get(`${l.name}.weight`) ?? [0, channels(ins[0])])[1] || 1) : 1;
        const nchwc = groups === 1 || (whole(ins[0]) && whole(l.index));
        plan = { kind: 'node', blocked: nchwc, reads: [nchwc && whole(ins[0])] };
      } else if (POOLS.has(name)) {
        const b = whole(ins[0]);
        plan = { kind: 'node', blocked: b, reads: [b] };
      } else if (name === 'concat') {
        const b = ins.every((i) => inBlocked(i) && whole(i));
        plan = { kind: 'node', blocked: b, reads: ins.map(() => b) };
      } else if (name === 'add' || ACTIVATIONS.has(name) || name === 'upsample') {
        const b = ins.every(inBlocked);
        plan = { kind: 'node', blocked: b, reads: ins.map(() => b) };
      } else if (name === 'dropout' || name === 'flatten' || name === 'reshape') {
        const b = name === 'dropout' && inBlocked(ins[0]);
        plan = { kind: 'alias', blocked: b, reads: [b] };
      } else plan = { kind: 'node', blocked: false, reads: ins.map(() => false) };
      if (sumOf.has(l.index)) plan.sum = sumOf.get(l.index);
      plans.push(plan);
    }
    return plans;
  }

  // Simulation: buffers with the readers they still have.
  const live = new Map<string, { bytes: number; readers: number }>();
  let current = 0;
  let peak = 0;
  let largest = 0;
  const bytesOf = (i: number, blocked: boolean) => {
    const shape = layers[i].facts!.shape;
    if (!blocked || shape.length !== 3) return 4 * batch * count(shape);
    return 4 * batch * shape[0] * shape[1] * Math.ceil(shape[2] / block) * block;
  };
  const events: ArenaEvent[] = [];
  const alloc = (id: string, bytes: number, readerCount: number) => {
    live.set(id, { bytes, readers: readerCount });
    current += bytes;
    largest = Math.max(largest, bytes);
    peak = Math.max(peak, current);
    events.push({ alloc: true, id, bytes });
  };
  const free = (id: string) => {
    current -= live.get(id)!.bytes;
    live.delete(id);
    events.push({ alloc: false, id, bytes: 0 });
  };
  const release = (id: string | undefined) => {
    const b = id === undefined ? undefined : live.get(id);
    if (!b || --b.readers > 0) return;
    free(id!);
  };
  /** Which buffer holds each layer's value, by layout. */
  const bufferOf = new Map<string, string>();
  /** Readers of `i` that read it in `blocked` layout; the graph's output is read plain, once. */
  const wanting = (i: number, blocked: boolean) => readers[i].filter((r) => plans[r].reads[layers[r].inputs.indexOf(i)] === blocked).length + (i === outputIndex && !blocked ? 1 : 0);
  /** After `i` is made (its own layout in `bufferOf`): a reorder copy for its readers of the other layout. */
  const reorder = (i: number) => {
    const own = plans[i].blocked;
    const other = wanting(i, !own);
    if (other === 0) return;
    const id = `r${i}`;
    alloc(id, bytesOf(i, !own), other);
    bufferOf.set(`${i}:${!own}`, id);
    // The value in its own layout goes once the copy is made, if only readers of the copy were left.
    const mine = bufferOf.get(`${i}:${own}`);
    const b = mine === undefined ? undefined : live.get(mine);
    if (b && b.readers <= 0) free(mine!);
  };
  /** After `i` is made: its reorder copy, then its buffer freed if nothing reads it. */
  const made = (i: number, id: string) => {
    reorder(i);
    const b = live.get(id);
    if (b && b.readers <= 0) free(id);
  };

  let deferred: (string | undefined)[] = [];
  for (const l of layers) {
    if (!l.facts) continue;
    const p = plans[l.index];
    const i = l.index;
    const readCount = wanting(i, p.blocked);
    if (p.kind === 'source') {
      bufferOf.set(`${i}:false`, 'input');
      made(i, 'input');
      continue;
    }
    const sources = l.inputs.map((j, k) => bufferOf.get(`${j}:${p.reads[k]}`));
    if (p.kind === 'fused') {
      // Done by the conv or dense before it: its buffer, now read by this layer's readers.
      const c = fusedInto.get(i)!;
      const producer = l.inputs.find((j) => j === c || fusedInto.get(j) === c)!;
      const id = bufferOf.get(`${producer}:${p.blocked}`)!;
      bufferOf.set(`${i}:${p.blocked}`, id);
      const b = live.get(id);
      if (b) b.readers = readCount;
      if (l.op.name === 'add') {
        const k = l.inputs.indexOf(plans[c].sum!);
        if (sources[k] !== id) release(sources[k]);
      }
      made(i, id);
      continue;
    }
    if (p.kind === 'alias') {
      const id = sources[0]!;
      bufferOf.set(`${i}:${p.blocked}`, id);
      const b = live.get(id);
      if (b) b.readers += readCount - 1;
      made(i, id);
      continue;
    }
    const out = bytesOf(i, p.blocked);
    const id = `b${i}`;
    // In place: a fused add's other operand, or an elementwise node's input, that nothing reads later.
    let into: string | undefined;
    if (p.sum !== undefined) {
      const s = bufferOf.get(`${p.sum}:${p.blocked}`);
      if (s && live.get(s)?.readers === 1 && live.get(s)!.bytes === out) into = s;
    } else if (l.op.name === 'add' || ACTIVATIONS.has(l.op.name)) {
      into = sources.find((s) => s !== undefined && live.get(s)?.readers === 1 && live.get(s)!.bytes === out);
    }
    if (into !== undefined) {
      bufferOf.set(`${i}:${p.blocked}`, into);
      for (const s of sources) if (s !== into) release(s);
      live.get(into)!.readers = readCount;
      made(i, into);
      continue;
    }
    let scratch = 0;
    if (l.op.name === 'convtranspose') {
      const w = weightDims.get(`${l.name}.weight`);
      const [h, wd] = layers[l.inputs[0]].facts!.shape;
      if (w) scratch = 4 * w[1] * w[2] * w[3] * h * wd;
    } else if (l.op.name === 'lrn') scratch = out;
    alloc(id, out, readCount);
    if (scratch > 0) {
      peak = Math.max(peak, current + scratch);
      events.push({ alloc: true, id: `s${i}`, bytes: scratch }, { alloc: false, id: `s${i}`, bytes: 0 });
    }
    bufferOf.set(`${i}:${p.blocked}`, id);
    const late = deferred;
    deferred = [];
    // ORT frees a concat's inputs only after the node that follows it.
    if (l.op.name === 'concat') deferred = sources;
    else for (const s of sources) release(s);
    for (const s of late) release(s);
    made(i, id);
  }
  for (const s of deferred) release(s);
  return { peak, largest, output: bytesOf(outputIndex, false), events };
}

/**
 * The rule's terms for a network at a batch size, for a run of `iterations` timed runs after the first:
 *
 *   retained  = ORT_FIXED + params + (CONV_COPIES - 1) × convSmall + (PACKED_COPIES - 1) × packedSmall
 *   create    = retained + max(BIG_CONV_EXTRA × convBig, packedBig)
 *   run       = retained + ACTIVATION_COPIES × activations + 2 × output + min(OUTPUT_GARBAGE, iterations × output)
 *   predicted = max(create, run)
 *
 * The outputs: ORT's (allocated outside the memory pattern, in a new place from the second run) and its
 * copy in JavaScript, then earlier runs' copies not yet collected.
 */
export function ortMemoryTerms(net: NetworkAnalysis, model: ExportResult, batch: number, iterations = 10, block = nchwcBlock()): OrtMemoryTerms {
  const layerOp = new Map(net.layers.map((l) => [l.name, l.op.name]));
  let params = 0;
  let convSmall = 0;
  let packedSmall = 0;
  let convBig = 0;
  let packedBig = 0;
  for (const w of model.weights) {
    const bytes = 4 * count(w.dims);
    params += bytes;
    const op = layerOp.get(w.name.slice(0, w.name.lastIndexOf('.')));
    const packed = op === 'dense' || op === 'convtranspose';
    if (bytes > BIG_TENSOR) {
      if (op === 'conv') convBig = Math.max(convBig, bytes);
      else if (packed) packedBig = Math.max(packedBig, bytes);
    } else if (op === 'conv') convSmall += bytes;
    else if (packed) packedSmall += bytes;
  }
  const retained = ORT_FIXED + params + (CONV_COPIES - 1) * convSmall + (PACKED_COPIES - 1) * packedSmall;
  const create = retained + Math.max(BIG_CONV_EXTRA * convBig, packedBig);
  const a = ortActivations(net, model, batch, block);
  const run = retained + ACTIVATION_COPIES * a.peak + 2 * a.output + Math.min(OUTPUT_GARBAGE, iterations * a.output);
  return { params, convSmall, packedSmall, convBig, packedBig, retained, create, activations: a.peak, largestActivation: a.largest, output: a.output, run, sessionMemory: Math.max(create, run) };
}

// ---------------------------------------------------------------------------------------------- measuring

export interface OrtMemoryCase {
  file: string;
  network?: string;
  batch: number;
}

export interface OrtMemoryMeasurement {
  network: string;
  batch: number;
  peakRss: number;
  rssBeforeSession: number;
  sessionMemory: number;
  p50Ms: number;
  terms: OrtMemoryTerms;
}

/** Runs one case the way `stride run --ep cpu` does: exported with seeded weights, a random input. */
export async function measure(c: OrtMemoryCase, iterations: number): Promise<OrtMemoryMeasurement> {
  const a = analyze(readFileSync(c.file, 'utf8'));
  const net = c.network ? a.networks.find((n) => n.name === c.network) : a.networks[0];
  if (!net) throw new Error(`no network ${c.network ?? ''} in ${c.file}`);
  const model = exportNetwork(a, net, { seed: 0 });
  const dims = [c.batch, ...model.input.shape];
  const data = randomInput(count(dims), 0);
  const r = await runModel(model, { dims, data }, { provider: 'cpu', iterations });
  const runs = [...r.timings.runsMs].sort((x, y) => x - y);
  return {
    network: net.name,
    batch: c.batch,
    peakRss: r.peakRss,
    rssBeforeSession: r.rssBeforeSession,
    sessionMemory: r.peakRss - r.rssBeforeSession,
    p50Ms: runs.length > 0 ? runs[runs.length >> 1] : r.timings.firstRunMs,
    terms: ortMemoryTerms(net, model, c.batch, iterations),
  };
}

const DEFAULT_NETWORKS = ['resnet18.stride', 'vgg16.stride'];

/** Every network of every example (or the named ones), at each batch. */
function cases(all: boolean, batches: number[], named: string[]): OrtMemoryCase[] {
  const dir = join(ROOT, 'examples');
  const targets = named.length > 0 ? named : (all ? readdirSync(dir).filter((f) => f.endsWith('.stride')).sort() : DEFAULT_NETWORKS).map((f) => join(dir, f));
  const out: OrtMemoryCase[] = [];
  for (const batch of batches) {
    for (const t of targets) {
      const [file, network] = t.includes(':') ? [t.slice(0, t.lastIndexOf(':')), t.slice(t.lastIndexOf(':') + 1)] : [t, undefined];
      const names = network ? [network] : analyze(readFileSync(file, 'utf8')).networks.filter((n) => n.layers.length > 1).map((n) => n.name);
      for (const n of named.length > 0 || all ? names : names.slice(0, 1)) out.push({ file, network: n, batch });
    }
  }
  return out;
}

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** Measures every case, each in a fresh run process; prints a table (notes) and figures. */
export async function ortMemory(all = process.argv.includes('--all'), argv = process.argv.slice(2)): Promise<OrtMemoryMeasurement[]> {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const batches = (flag('--batch') ?? (all ? '1,8' : '1,32')).split(',').map(Number);
  const iterations = Number(flag('--iterations') ?? 10);
  const valued = new Set([flag('--batch'), flag('--iterations')]);
  const named = argv.filter((x) => !x.startsWith('-') && !valued.has(x) && /\.stride(:|$)/.test(x));
  const list = cases(all, batches, named);
  note(`ONNX Runtime session memory, CPU, ${iterations} timed runs after the first; NCHWc block ${nchwcBlock()}; MiB`);
  note('network            batch   params  sessionMem   peakRss  rssBefore  largestAct  planAct  predicted  error');
  const results: OrtMemoryMeasurement[] = [];
  for (const c of list) {
    let m: OrtMemoryMeasurement;
    try {
      m = await measure(c, iterations);
    } catch (e) {
      note(`${basename(c.file)} ${c.network ?? ''} batch ${c.batch}: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
      continue;
    }
    results.push(m);
    const t = m.terms;
    const error = (100 * (t.sessionMemory - m.sessionMemory)) / m.sessionMemory;
    note(
      `${m.network.padEnd(18)} ${String(m.batch).padStart(5)} ${mib(t.params).padStart(8)} ${mib(m.sessionMemory).padStart(11)} ${mib(m.peakRss).padStart(9)} ${mib(m.rssBeforeSession).padStart(10)} ${mib(t.largestActivation).padStart(11)} ${mib(t.activations).padStart(8)} ${mib(t.sessionMemory).padStart(10)} ${(error >= 0 ? '+' : '') + error.toFixed(1).padStart(5)}%`,
    );
    const key = `ort-${slug(m.network)}-b${m.batch}`;
    figure(`${key}-session-memory`, m.sessionMemory / MiB, 'MiB');
    figure(`${key}-predicted`, t.sessionMemory / MiB, 'MiB');
    figure(`${key}-error`, error, '%');
  }
  return results;
}

export const ortMemoryBenchmarks = [{ name: 'ort-memory', run: () => ortMemory().then(() => undefined) }];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ortMemory().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  });
}
