import { InputError } from './input-error.js';

/**
 * NumPy .npy arrays as network inputs: the file format (versions 1.0, 2.0, 3.0) and fitting an array to a
 * network input of shape [C, H, W] or [F] (the batch dimension excluded).
 *
 * Format: the magic "\x93NUMPY", a major and a minor version byte, the header length (uint16 little-endian
 * in version 1, uint32 in 2 and 3), then the header — a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` (latin-1 in 1 and 2, UTF-8 in 3) — then
 * the raw values.
 */

export interface NpyArray {
  shape: number[];
  /** The values in C (row-major) order, converted to float32. */
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Whether the bytes start with the .npy magic. */
export function isNpy(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

// ---- header: a small reader for the Python literals np.save writes ----

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

class HeaderSyntaxError extends Error {}

/**
 * Headers longer than this are refused, as NumPy (1.24 and later) refuses them unless told otherwise
 * (np.load's max_header_size). np.save writes well under 1,000 bytes for any array Stride reads.
 */
export const MAX_HEADER_SIZE = 10_000;

/** Brackets nested deeper than this are refused (np.save's headers nest 2 deep; structured dtypes a few more). */
const MAX_DEPTH = 32;

const WORD = /True|False|None|-?\d+L?/y;

function parseLiteral(text: string): PyValue {
  let i = 0;
  let depth = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const fail = (what: string): never => {
    throw new HeaderSyntaxError(`${what} at character ${i + 1}`);
  };
  const value = (): PyValue => {
    ws();
    const ch = text[i];
    if (ch === undefined) return fail('unexpected end');
    if (ch === '{' || ch === '(' || ch === '[') {
      if (++depth > MAX_DEPTH) fail(`brackets nested more than ${MAX_DEPTH} deep`);
      const v = ch === '{' ? dict() : list(ch === '(' ? ')' : ']');
      depth--;
      return v;
    }
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(text);
    if (!word) return fail('unexpected text');
    i += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace(/L$/, '')); // Python 2 headers wrote longs as 3L
  };
  const dict = (): PyValue => {
    i++;
    const d: { [key: string]: PyValue } = {};
    for (;;) {
      ws();
      if (text[i] === '}') {
        i++;
        return d;
      }
      const key = value();
      if (typeof key !== 'string') fail('a dict key that is not a string');
      ws();
      if (text[i] !== ':') fail("expected ':'");
      i++;
      d[key as string] = value();
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== '}') fail("expected ',' or '}'");
    }
  };
  const list = (close: string): PyValue => {
    i++;
    const items: PyValue[] = [];
    for (;;) {
      ws();
      if (text[i] === close) {
        i++;
        return items;
      }
      items.push(value());
      ws();
      if (text[i] === ',') i++;
      else if (text[i] !== close) fail(`expected ',' or '${close}'`);
    }
  };
  const v = value();
  ws();
  if (i < text.length) fail('unexpected text after the dict');
  return v;
}

// ---- dtypes ----

interface DType {
  size: number;
  read: (view: DataView, offset: number) => number;
}

const DTYPES: Record<string, DType> = {
  f2: { size: 2, read: (v, o) => halfToFloat(v.getUint16(o, true)) },
  f4: { size: 4, read: (v, o) => v.getFloat32(o, true) },
  f8: { size: 8, read: (v, o) => v.getFloat64(o, true) },
  i1: { size: 1, read: (v, o) => v.getInt8(o) },
  u1: { size: 1, read: (v, o) => v.getUint8(o) },
  b1: { size: 1, read: (v, o) => (v.getUint8(o) !== 0 ? 1 : 0) },
  i2: { size: 2, read: (v, o) => v.getInt16(o, true) },
  u2: { size: 2, read: (v, o) => v.getUint16(o, true) },
  i4: { size: 4, read: (v, o) => v.getInt32(o, true) },
  u4: { size: 4, read: (v, o) => v.getUint32(o, true) },
  i8: { size: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  u8: { size: 8, read: (v, o) => Number(v.getBigUint64(o, true)) },
};

const KIND_NAMES: Record<string, string> = {
  c: 'complex',
  U: 'unicode string',
  S: 'byte string',
  a: 'byte string',
  O: 'Python object',
  V: 'void/structured',
  M: 'datetime',
  m: 'timedelta',
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const CONVERT = 'save it as float32: np.save(path, arr.astype(np.float32))';

function dtypeOf(descr: PyValue, file: string): DType {
  if (typeof descr !== 'string') {
    throw new InputError(`${file}: structured arrays (a record dtype) are not supported; ${CONVERT}`);
  }
  const m = /^([<>|=]?)([a-zA-Z?])(\d*)(.*)$/.exec(descr);
  const order = m?.[1] ?? '';
  const kind = m?.[2] === '?' ? 'b' : (m?.[2] ?? '');
  const size = m?.[3] || (kind === 'b' ? '1' : '');
  const dtype = m && !m[4] ? DTYPES[kind + size] : undefined;
  if (!dtype) {
    const name = KIND_NAMES[kind];
    throw new InputError(`${file}: unsupported dtype '${descr}'${name ? ` (${name})` : ''}; ${CONVERT}`);
  }
  if (order === '>' && dtype.size > 1) {
    throw new InputError(
      `${file}: dtype '${descr}' is big-endian; only little-endian arrays are read: ` +
        `np.save(path, arr.astype('<${kind}${size}'))`,
    );
  }
  return dtype;
}

// ---- reading ----

/** A shape as NumPy prints it: (2, 3), (5,), (). */
export function formatShape(shape: readonly (number | string)[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Parses a .npy file into its shape and its values as float32 in C order. Fortran-ordered arrays are
 * transposed to C order. Every problem throws an InputError naming the file.
 */
export function readNpy(bytes: Uint8Array, file: string): NpyArray {
  if (!isNpy(bytes)) {
    if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
      throw new InputError(`${file}: a .npz archive, not a .npy array; save one array with np.save(path, arr)`);
    }
    const image =
      bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47
        ? ' (it is a PNG image)'
        : bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff
          ? ' (it is a JPEG image)'
          : ' (it does not start with the magic "\\x93NUMPY")';
    throw new InputError(`${file}: not a NumPy .npy file${image}`);
  }
  if (bytes.length < 10) throw new InputError(`${file}: truncated .npy file (it ends inside the header)`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) {
    throw new InputError(`${file}: unsupported .npy format version ${major}.${minor} (1.0, 2.0 and 3.0 are read)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) throw new InputError(`${file}: truncated .npy file (it ends inside the header)`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_SIZE) {
    throw new InputError(
      `${file}: bad .npy header: it is ${headerLength} bytes long, and at most ${MAX_HEADER_SIZE} are read ` +
        `(NumPy's own limit, max_header_size); np.save writes short headers: save the array again with np.save`,
    );
  }
  const dataStart = prefix + headerLength;
  if (bytes.length < dataStart) throw new InputError(`${file}: truncated .npy file (it ends inside the header)`);

  const headerBytes = bytes.subarray(prefix, dataStart);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw new InputError(`${file}: bad .npy header (not valid UTF-8)`);
    }
  } else {
    headerText = Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString('latin1');
  }
  let header: PyValue;
  try {
    header = parseLiteral(headerText.replace(/\0+$/, ''));
  } catch (e) {
    const why = e instanceof HeaderSyntaxError ? e.message : String(e);
    throw new InputError(`${file}: bad .npy header (${why}): ${JSON.stringify(headerText.trim().slice(0, 120))}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new InputError(`${file}: bad .npy header (not a dict)`);
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in header)) throw new InputError(`${file}: bad .npy header (no '${key}' key)`);
  }
  const dtype = dtypeOf(header.descr!, file);
  const fortran = header.fortran_order;
  if (typeof fortran !== 'boolean') throw new InputError(`${file}: bad .npy header ('fortran_order' is not True or False)`);
  const rawShape = header.shape;
  if (
    !Array.isArray(rawShape) ||
    !rawShape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw new InputError(`${file}: bad .npy header ('shape' is not a tuple of non-negative integers)`);
  }
  const shape = rawShape as number[];
  // Exact even when a corrupt shape claims more values than any file holds.
  const needed = shape.reduce((a, d) => a * BigInt(d), 1n) * BigInt(dtype.size);
  const available = bytes.length - dataStart;
  if (BigInt(available) < needed) {
    throw new InputError(
      `${file}: truncated .npy file: shape ${formatShape(shape)} of '${header.descr}' needs ${needed} bytes of data, ` +
        `the file has ${available}`,
    );
  }
  if (BigInt(available) > needed) {
    throw new InputError(
      `${file}: .npy data size does not match the shape: shape ${formatShape(shape)} of '${header.descr}' needs ` +
        `${needed} bytes of data, the file has ${available}`,
    );
  }

  const n = count(shape);
  let data: Float32Array;
  try {
    if (dtype === DTYPES.f4 && LITTLE_ENDIAN_HOST && (bytes.byteOffset + dataStart) % 4 === 0) {
      data = new Float32Array(bytes.buffer, bytes.byteOffset + dataStart, n).slice();
    } else {
      data = new Float32Array(n);
      for (let i = 0, o = dataStart; i < n; i++, o += dtype.size) data[i] = dtype.read(view, o);
    }
    if (fortran && shape.length > 1) data = fortranToC(data, shape);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new InputError(`${file}: the array is too large to read (${n} values do not fit in memory as float32)`);
  }
  return { shape, data };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reorders column-major values into row-major order. */
function fortranToC(src: Float32Array, shape: readonly number[]): Float32Array {
  const k = shape.length;
  const stride = new Array<number>(k);
  for (let d = 0, s = 1; d < k; d++) {
    stride[d] = s;
    s *= shape[d]!;
  }
  const out = new Float32Array(src.length);
  const index = new Array<number>(k).fill(0);
  let offset = 0; // the Fortran offset of index
  for (let i = 0; i < out.length; i++) {
    out[i] = src[offset]!;
    // advance the C-order odometer (last axis fastest), keeping the Fortran offset in step
    for (let d = k - 1; d >= 0; d--) {
      index[d]!++;
      offset += stride[d]!;
      if (index[d]! < shape[d]!) break;
      offset -= index[d]! * stride[d]!;
      index[d] = 0;
    }
  }
  return out;
}

// ---- fitting an array to the network input ----

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Channels-last [..., H, W, C] values to channels-first [..., C, H, W], for `batch` images. */
function hwcToChw(src: Float32Array, batch: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  const plane = h * w;
  const image = plane * c;
  for (let n = 0; n < batch; n++) {
    const base = n * image;
    for (let p = 0; p < plane; p++) {
      for (let ch = 0; ch < c; ch++) out[base + ch * plane + p] = src[base + p * c + ch]!;
    }
  }
  return out;
}

/**
 * Fits an array to a network input whose shape without the batch dimension is `expected` ([C, H, W] or [F];
 * any other rank is taken as it is). Accepted: the shape itself (a batch of 1) or [N, ...shape]; for images
 * also channels-last [H, W, C] and [N, H, W, C] (transposed to C×H×W), and for one channel [H, W] and
 * [N, H, W]. Where a shape reads both ways (C = H = W), channels-first wins. Returns the batch size and the
 * values in N×C×H×W (or N×F) order.
 */
export function matchShape(arr: NpyArray, expected: readonly number[], file: string): { batch: number; data: Float32Array } {
  const shape = arr.shape;
  if (arr.data.length !== count(shape)) {
    throw new InputError(`${file}: ${arr.data.length} values do not fill shape ${formatShape(shape)}`);
  }
  const fit = (batch: number, data: Float32Array) => {
    if (batch === 0) throw new InputError(`${file}: the array of shape ${formatShape(shape)} holds no samples`);
    return { batch, data };
  };

  if (same(shape, expected)) return fit(1, arr.data);
  if (shape.length === expected.length + 1 && same(shape.slice(1), expected)) return fit(shape[0]!, arr.data);

  if (expected.length === 3) {
    const [c, h, w] = expected as [number, number, number];
    if (same(shape, [h, w, c])) return fit(1, hwcToChw(arr.data, 1, c, h, w));
    if (shape.length === 4 && same(shape.slice(1), [h, w, c])) {
      return fit(shape[0]!, hwcToChw(arr.data, shape[0]!, c, h, w));
    }
    if (c === 1 && same(shape, [h, w])) return fit(1, arr.data);
    if (c === 1 && shape.length === 3 && same(shape.slice(1), [h, w])) return fit(shape[0]!, arr.data);
  }

  throw new InputError(`${file}: ${describeMismatch(shape, expected)}`);
}

function describeMismatch(shape: readonly number[], expected: readonly number[]): string {
  const found = `the array has shape ${formatShape(shape)}`;
  let want: string;
  if (expected.length === 3) {
    const [c, h, w] = expected as [number, number, number];
    want =
      `the network takes ${c}×${h}×${w} (C×H×W) images: give shape ${formatShape([c, h, w])} or ` +
      `${formatShape(['N', c, h, w])} (NCHW), or ${formatShape([h, w, c])} or ${formatShape(['N', h, w, c])} (H×W×C)`;
    if (c === 1) want += `, or ${formatShape([h, w])} or ${formatShape(['N', h, w])}`;
  } else if (expected.length === 1) {
    want = `the network takes ${expected[0]} features: give shape ${formatShape(expected)} or ${formatShape(['N', ...expected])}`;
  } else {
    want = `the network takes shape ${formatShape(expected)}: give ${formatShape(expected)} or ${formatShape(['N', ...expected])}`;
  }
  const per = count(expected);
  const total = count(shape);
  let hint = '';
  if (total === per && per > 0) {
    hint = ` (it holds ${per} values, as one sample needs: reshape it to ${formatShape(expected)})`;
  } else if (shape.length >= 2 && count(shape.slice(1)) === per && per > 0) {
    hint = ` (each of its ${shape[0]} rows holds ${per} values: reshape it to ${formatShape([shape[0]!, ...expected])})`;
  }
  return `${found}; ${want}${hint}`;
}
