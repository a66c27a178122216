import { GraphProto, ModelProto } from './proto.js';

/**
 * A model's bytes with its initializers written straight into the output: protobufjs encodes the small part
 * (nodes, inputs, outputs, metadata), and each initializer's TensorProto is a header written here followed
 * by its raw data, which the caller fills in place. ResNet-50's 100 MB of weights are written once, with no
 * object or intermediate buffer per tensor.
 *
 * Protobuf fields may come in any order and a message may be split: the graph is written as its encoded
 * fields without initializers, then the initializers (GraphProto field 5), in one length-delimited field 7
 * of ModelProto after the model's other fields.
 */

export interface Initializer {
  name: string;
  dims: readonly number[];
  /** TensorProto.DataType. */
  dataType: number;
  byteLength: number;
  /** Writes the tensor's raw little-endian bytes into `out` (exactly byteLength of them). */
  fill(out: Uint8Array): void;
}

const LEN = 2;
const VARINT = 0;
const tag = (field: number, wire: number) => (field << 3) | wire;

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}

/** A TensorProto's fields before raw_data, and raw_data's tag and length: dims, data_type, name. */
function header(t: Initializer, name: Uint8Array): { size: number; write(out: Uint8Array, at: number): number } {
  let size = 0;
  for (const d of t.dims) size += 1 + varintSize(d);
  size += 1 + varintSize(t.dataType);
  size += 1 + varintSize(name.length) + name.length;
  size += 1 + varintSize(t.byteLength);
  return {
    size,
    write(out, at) {
      for (const d of t.dims) {
        out[at++] = tag(1, VARINT);
        at = writeVarint(out, at, d);
      }
      out[at++] = tag(2, VARINT);
      at = writeVarint(out, at, t.dataType);
      out[at++] = tag(8, LEN);
      at = writeVarint(out, at, name.length);
      out.set(name, at);
      at += name.length;
      out[at++] = tag(9, LEN);
      return writeVarint(out, at, t.byteLength);
    },
  };
}

/** `model` as protobufjs takes it, without `graph`; `graph` without `initializer`. */
/** `allocate` gives the zeroed output buffer (weights.ts's `weightBuffer`, where tensors are drawn in place). */
export function modelBytes(model: Record<string, unknown>, graph: Record<string, unknown>, initializers: readonly Initializer[], allocate: (byteLength: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array {
  const rest = ModelProto.encode(ModelProto.fromObject(model)).finish();
  const graphFields = GraphProto.encode(GraphProto.fromObject(graph)).finish();
  const encoder = new TextEncoder();
  const heads = initializers.map((t) => header(t, encoder.encode(t.name)));
  let graphSize = graphFields.length;
  const tensorSizes = initializers.map((t, i) => heads[i].size + t.byteLength);
  for (const s of tensorSizes) graphSize += 1 + varintSize(s) + s;
  const total = rest.length + 1 + varintSize(graphSize) + graphSize;
  const out = allocate(total);
  out.set(rest, 0);
  let at = rest.length;
  out[at++] = tag(7, LEN);
  at = writeVarint(out, at, graphSize);
  out.set(graphFields, at);
  at += graphFields.length;
  initializers.forEach((t, i) => {
    out[at++] = tag(5, LEN);
    at = writeVarint(out, at, tensorSizes[i]);
    at = heads[i].write(out, at);
    t.fill(out.subarray(at, at + t.byteLength));
    at += t.byteLength;
  });
  if (at !== total) throw new Error(`model bytes: wrote ${at} of ${total}`);
  return out;
}
