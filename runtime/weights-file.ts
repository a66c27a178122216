import { isConstant } from '../language/index.js';
import { ModelProto } from './onnx/proto.js';
import type { WeightSpec } from './export.js';

/**
 * Weights by name from a `.safetensors` file or an existing `.onnx` model's initializers, checked against
 * the tensors the network declares: every missing, extra or wrongly shaped tensor is named.
 */

export class WeightsError extends Error {}

interface Loaded {
  dims: number[];
  data: Float32Array;
}

const WIDTH: Readonly<Record<string, number>> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/** The safetensors header's length, when the bytes have the format's structure: 8 bytes, then `{`. */
function safetensorsHeaderSize(bytes: Uint8Array): number | undefined {
  if (bytes.length < 10) return undefined;
  const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (size < 2n || size > BigInt(bytes.length - 8)) return undefined;
  return bytes[8] === 0x7b ? Number(size) : undefined;
}

/**
 * safetensors (github.com/huggingface/safetensors): an 8-byte little-endian header size, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the tensors' bytes, with
 * offsets relative to the end of the header.
 */
function readSafetensors(bytes: Uint8Array, file: string): Map<string, Loaded> {
  const bad = (why: string) => new WeightsError(`${file}: not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad(`it has only ${bytes.length} bytes`);
  const declared = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) throw bad(`its header size ${declared} does not fit in the file's ${bytes.length} bytes (truncated?)`);
  const size = Number(declared);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + size)));
  } catch {
    throw bad('its header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('its header is not a JSON object');
  const body = bytes.subarray(8 + size);
  const out = new Map<string, Loaded>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const t = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof t !== 'object' || t === null) throw bad(`the entry of tensor ${name} is not an object`);
    const { dtype, shape, data_offsets: offsets } = t;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`tensor ${name} has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) throw bad(`tensor ${name} has no valid data_offsets`);
    if (typeof dtype !== 'string') throw bad(`tensor ${name} has no dtype`);
    const width = WIDTH[dtype];
    if (!width) throw new WeightsError(`${file}: tensor ${name} is ${dtype}; Stride reads F32, F64, F16 and BF16 (convert it, e.g. tensor.float())`);
    const [start, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, d) => a * d, 1);
    if (end < start || end - start !== count * width) throw bad(`tensor ${name} (${dtype}, ${(shape as number[]).join('×') || 'scalar'}) needs ${count * width} bytes, its offsets give ${end - start}`);
    if (end > body.length) throw bad(`tensor ${name} ends at byte ${end} of the data, which has ${body.length} (truncated?)`);
    out.set(name, { dims: shape as number[], data: decode(body.subarray(start, end), dtype, count) });
  }
  return out;
}

/** Little-endian values of one dtype → float32; the bytes are copied first, as they may sit at any alignment. */
function decode(raw: Uint8Array, dtype: string, count: number): Float32Array {
  if (dtype === 'F32') {
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(raw);
    return data;
  }
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const data = new Float32Array(count);
  if (dtype === 'F64') for (let i = 0; i < count; i++) data[i] = dv.getFloat64(8 * i, true);
  else if (dtype === 'BF16') {
    const bits = new Uint32Array(data.buffer);
    for (let i = 0; i < count; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
  } else for (let i = 0; i < count; i++) data[i] = half(dv.getUint16(2 * i, true));
  return data;
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function readOnnx(bytes: Uint8Array, file: string): Map<string, Loaded> {
  let model: { graph?: { initializer?: { name?: string; dims?: (number | { toNumber(): number })[]; data_type?: number; raw_data?: Uint8Array; float_data?: number[] }[] } };
  try {
    model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as typeof model;
  } catch (e) {
    throw new WeightsError(`${file}: not an ONNX model (${(e as Error).message})`);
  }
  const out = new Map<string, Loaded>();
  for (const t of model.graph?.initializer ?? []) {
    if (!t.name) continue;
    const dims = (t.dims ?? []).map(Number);
    if (t.data_type !== 1) throw new WeightsError(`${file}: initializer ${t.name} is not float32 (ONNX type ${t.data_type})`);
    const count = dims.reduce((a, d) => a * d, 1);
    // A copy: decoded bytes may be a view into a shared buffer, at any alignment.
    const raw = t.raw_data && t.raw_data.length > 0 ? new Uint8Array(t.raw_data) : undefined;
    if (raw && raw.length % 4 !== 0) throw new WeightsError(`${file}: initializer ${t.name} has ${raw.length} bytes, not whole float32 values`);
    const data = raw ? new Float32Array(raw.buffer, 0, raw.length / 4) : Float32Array.from(t.float_data ?? []);
    if (data.length !== count) throw new WeightsError(`${file}: initializer ${t.name} holds ${data.length} values for shape ${dims.join('×')}`);
    out.set(t.name, { dims, data });
  }
  return out;
}

/**
 * The tensors of a weights file, its format told by its extension, else by its structure (a safetensors
 * header is a length and a JSON object; anything else is tried as ONNX protobuf) — never by one byte.
 */
function readWeightsFile(bytes: Uint8Array, file: string): Map<string, Loaded> {
  if (/\.onnx$/i.test(file)) return readOnnx(bytes, file);
  if (/\.safetensors$/i.test(file) || safetensorsHeaderSize(bytes) !== undefined) return readSafetensors(bytes, file);
  try {
    return readOnnx(bytes, file);
  } catch {
    throw new WeightsError(`${file}: neither a safetensors file nor an ONNX model; Stride reads weights from .safetensors and .onnx files`);
  }
}

/** Reads a weights file and checks it against the network's weights; returns them by name. */
export function loadWeights(bytes: Uint8Array, file: string, expected: readonly WeightSpec[]): Map<string, Float32Array> {
  const loaded = readWeightsFile(bytes, file);
  const problems: string[] = [];
  const out = new Map<string, Float32Array>();
  const wanted = new Set(expected.map((w) => w.name));
  for (const w of expected) {
    const t = loaded.get(w.name);
    if (!t) {
      // Constants Stride makes itself (clip bounds, resize scales, pooling matrices) need not be in the file.
      if (isConstant(w.init)) continue;
      problems.push(`missing ${w.name} (${w.dims.join('×') || 'scalar'})`);
    } else if (t.dims.join('×') !== w.dims.join('×')) problems.push(`${w.name} is ${t.dims.join('×')}, the network needs ${w.dims.join('×')}`);
    else out.set(w.name, t.data);
  }
  const unmatched = expected.filter((w) => !loaded.has(w.name) && !isConstant(w.init));
  for (const [name, t] of loaded) {
    if (wanted.has(name)) continue;
    // Only the problems shown get a suggestion: matching every name of a large state_dict costs time.
    const near = problems.length < SHOWN ? closest(name, t.dims, unmatched) : undefined;
    problems.push(`extra ${name}: no layer has a weight of that name${near ? `; the closest expected is ${near.name} (${near.dims.join('×') || 'scalar'})` : ''}`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, SHOWN).join('; ');
    const hint = loaded.size > 0 && out.size === 0 ? '. See the names the network expects with `stride export FILE --list-weights`' : '';
    throw new WeightsError(`${file}: ${problems.length} problem${problems.length > 1 ? 's' : ''} with the weights: ${shown}${problems.length > SHOWN ? '; …' : ''}${hint}`);
  }
  return out;
}

const SHOWN = 8;

/** The expected tensor most like a file's tensor: the same shape first, then the nearest name. */
function closest(name: string, dims: number[], candidates: readonly WeightSpec[]): WeightSpec | undefined {
  const shape = dims.join('×');
  let best: WeightSpec | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = editDistance(name, c.name) + (c.dims.join('×') === shape ? 0 : 1000);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
