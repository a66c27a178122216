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

/** safetensors: an 8-byte little-endian header size, a JSON header, then the tensors' bytes. */
function readSafetensors(bytes: Uint8Array, file: string): Map<string, Loaded> {
  if (bytes.length < 8) throw new WeightsError(`${file}: not a safetensors file (too short)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = Number(view.getBigUint64(0, true));
  if (size <= 0 || 8 + size > bytes.length) throw new WeightsError(`${file}: not a safetensors file (header size ${size} does not fit in ${bytes.length} bytes)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + size)));
  } catch {
    throw new WeightsError(`${file}: corrupt safetensors header (not JSON)`);
  }
  const body = bytes.subarray(8 + size);
  const out = new Map<string, Loaded>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = t.data_offsets ?? [];
    const count = (t.shape ?? []).reduce((a, d) => a * d, 1);
    const width = { F32: 4, F16: 2, F64: 8, BF16: 2 }[t.dtype];
    if (!width) throw new WeightsError(`${file}: tensor ${name} is ${t.dtype}; Stride reads F32, F64, F16 and BF16`);
    if (!(end - start === count * width && end <= body.length && start >= 0)) throw new WeightsError(`${file}: tensor ${name} is truncated or its offsets are wrong`);
    const raw = body.slice(start, end);
    const dv = new DataView(raw.buffer);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      if (t.dtype === 'F32') data[i] = dv.getFloat32(4 * i, true);
      else if (t.dtype === 'F64') data[i] = dv.getFloat64(8 * i, true);
      else if (t.dtype === 'BF16') data[i] = new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0];
      else data[i] = half(dv.getUint16(2 * i, true));
    }
    out.set(name, { dims: t.shape, data });
  }
  return out;
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

/** Reads a weights file and checks it against the network's weights; returns them by name. */
export function loadWeights(bytes: Uint8Array, file: string, expected: readonly WeightSpec[]): Map<string, Float32Array> {
  const onnx = bytes.length > 0 && bytes[0] === 0x08;
  const loaded = /\.onnx$/i.test(file) || onnx ? readOnnx(bytes, file) : readSafetensors(bytes, file);
  const problems: string[] = [];
  const out = new Map<string, Float32Array>();
  const wanted = new Set(expected.map((w) => w.name));
  for (const w of expected) {
    const t = loaded.get(w.name);
    if (!t) {
      // Constants Stride makes itself (clip bounds, resize scales, pooling matrices) need not be in the file.
      if (typeof w.init === 'object' && 'values' in w.init) continue;
      problems.push(`missing ${w.name} (${w.dims.join('×') || 'scalar'})`);
    } else if (t.dims.join('×') !== w.dims.join('×')) problems.push(`${w.name} is ${t.dims.join('×')}, the network needs ${w.dims.join('×')}`);
    else out.set(w.name, t.data);
  }
  for (const name of loaded.keys()) if (!wanted.has(name)) problems.push(`extra ${name}: no layer has a weight of that name`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 8).join('; ');
    throw new WeightsError(`${file}: ${problems.length} problem${problems.length > 1 ? 's' : ''} with the weights: ${shown}${problems.length > 8 ? '; …' : ''}`);
  }
  return out;
}
