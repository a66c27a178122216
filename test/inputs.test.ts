import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDeflate, deflateSync } from 'node:zlib';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage, MAX_DECODED_BYTES, MAX_JPEG_PASSES, MAX_PIXELS, readImage, resizeBilinear } from '../runtime/image.js';
import { InputError } from '../runtime/input-error.js';
import { MAX_HEADER_SIZE, matchShape, readNpy } from '../runtime/npy.js';

// ---- helpers: images and .npy files built here ----

type Layout = 'grey' | 'rgb' | 'rgba';
const COLOR_TYPE = { grey: 0, rgb: 2, rgba: 6 } as const;

/** A PNG of `layout` samples, row-major; 16-bit when `depth` is 16. */
function png(width: number, height: number, layout: Layout, samples: number[], depth: 8 | 16 = 8): Uint8Array {
  const image = new PNG({ width, height });
  image.data = depth === 8 ? Buffer.from(samples) : Buffer.from(new Uint16Array(samples).buffer);
  const colorType = COLOR_TYPE[layout];
  return PNG.sync.write(image, { colorType, inputColorType: colorType, inputHasAlpha: layout === 'rgba', bitDepth: depth });
}

function jpg(width: number, height: number, rgba: number[], quality = 95): Uint8Array {
  return jpeg.encode({ width, height, data: Buffer.from(rgba) }, quality).data;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Inserts a chunk right after IHDR. */
function withChunk(file: Uint8Array, type: string, data: number[]): Uint8Array {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), 8 + data.length);
  const afterIhdr = 8 + 25;
  return Buffer.concat([file.subarray(0, afterIhdr), chunk, file.subarray(afterIhdr)]);
}

/** A .npy file: the header padded as np.save pads it (to a multiple of 64, ending in a newline). */
function npy(descr: string, shape: string, data: Uint8Array, opts: { version?: 1 | 2 | 3; fortran?: boolean; header?: string } = {}): Uint8Array {
  const version = opts.version ?? 1;
  const dict = opts.header ?? `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
  const prefix = version === 1 ? 10 : 12;
  const text = Buffer.from(dict, version === 3 ? 'utf8' : 'latin1');
  const padded = Math.ceil((prefix + text.length + 1) / 64) * 64 - prefix;
  const header = Buffer.alloc(padded, 0x20);
  text.copy(header);
  header[padded - 1] = 0x0a;
  const pre = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(pre);
  if (version === 1) pre.writeUInt16LE(padded, 8);
  else pre.writeUInt32LE(padded, 8);
  return Buffer.concat([pre, header, data]);
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const f32 = (values: number[]) => npy('<f4', `(${values.length},)`, bytesOf(new Float32Array(values)));

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `[${i}]: ${actual[i]} is not ${expected[i]} ± ${tolerance}`);
  }
}

/** Asserts that `fn` throws an InputError whose message starts with the file name and matches `pattern`. */
function rejects(fn: () => unknown, file: string, pattern: RegExp): string {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof InputError, `expected an InputError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  assert.ok(error.message.startsWith(`${file}: `), `message does not start with the file name: ${error.message}`);
  assert.match(error.message, pattern);
  return error.message;
}

const rgb = { channels: 3, height: 2, width: 2 };

// ---- images ----

describe('readImage: PNG', () => {
  test('same size: the pixels scaled to [0, 1], CHW', () => {
    const out = readImage(png(2, 1, 'rgb', [255, 0, 51, 0, 102, 255]), 'a.png', { channels: 3, height: 1, width: 2 });
    close(out, [1, 0, 0, 0.4, 0.2, 1]);
  });

  test('halving by bilinear (half-pixel centres) averages each 2×2 block', () => {
    // prettier-ignore
    const grey = [
      0, 10, 100, 110,
      20, 30, 120, 130,
      200, 210, 40, 50,
      220, 230, 60, 70,
    ];
    const out = readImage(png(4, 4, 'grey', grey), 'g.png', { channels: 1, height: 2, width: 2 });
    close(out, [15 / 255, 115 / 255, 215 / 255, 55 / 255]);
  });

  test('doubling by bilinear gives the ¾/¼ weights and clamps at the edges', () => {
    const out = readImage(png(2, 2, 'grey', [0, 100, 200, 40]), 'g.png', { channels: 1, height: 4, width: 4 });
    // prettier-ignore
    const expected = [
      0, 25, 75, 100,
      50, 58.75, 76.25, 85,
      150, 126.25, 78.75, 55,
      200, 160, 80, 40,
    ].map((v) => v / 255);
    close(out, expected);
  });

  test('non-square resize: 4×2 → 2×4 (width halves, height doubles)', () => {
    const out = readImage(png(4, 2, 'grey', [0, 40, 80, 120, 200, 160, 120, 80]), 'g.png', { channels: 1, height: 4, width: 2 });
    const row0 = [20, 100];
    const row1 = [180, 100];
    const mix = (a: number, b: number) => row0.map((v, i) => a * v + b * row1[i]!);
    close(out, [...row0, ...mix(0.75, 0.25), ...mix(0.25, 0.75), ...row1].map((v) => v / 255), 1e-5);
  });

  test('grey → 3 channels replicates the grey plane', () => {
    const out = readImage(png(2, 2, 'grey', [0, 64, 128, 255]), 'g.png', rgb);
    const plane = [0, 64, 128, 255].map((v) => v / 255);
    close(out, [...plane, ...plane, ...plane]);
  });

  test('RGB → 1 channel is the BT.601 luma; grey pixels keep their value exactly', () => {
    const out = readImage(png(2, 2, 'rgb', [255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 200, 200]), 'c.png', { channels: 1, height: 2, width: 2 });
    close(out, [0.299, 0.587, 0.114, 200 / 255]);
    assert.equal(out[3], Math.fround(200 / 255));
  });

  test('RGBA: alpha is dropped, transparent pixels keep their colour', () => {
    const out = readImage(png(2, 1, 'rgba', [10, 20, 30, 0, 40, 50, 60, 128]), 'a.png', { channels: 3, height: 1, width: 2 });
    close(out, [10, 40, 20, 50, 30, 60].map((v) => v / 255));
    const luma = readImage(png(1, 1, 'rgba', [10, 20, 30, 0]), 'a.png', { channels: 1, height: 1, width: 1 });
    close(luma, [(0.299 * 10 + 0.587 * 20 + 0.114 * 30) / 255]);
  });

  test('a tRNS transparent colour keeps its colour (alpha dropped)', () => {
    const file = withChunk(png(2, 1, 'rgb', [10, 20, 30, 40, 50, 60]), 'tRNS', [0, 10, 0, 20, 0, 30]);
    const out = readImage(file, 't.png', { channels: 3, height: 1, width: 2 });
    close(out, [10, 40, 20, 50, 30, 60].map((v) => v / 255));
  });

  test('16-bit PNGs scale by 65535', () => {
    const out = readImage(png(2, 1, 'grey', [65535, 32768], 16), 'd.png', { channels: 1, height: 1, width: 2 });
    close(out, [1, 32768 / 65535]);
  });

  test('mean/std normalise each channel after scaling', () => {
    const file = png(1, 1, 'rgb', [255, 51, 0]);
    const out = readImage(file, 'n.png', { channels: 3, height: 1, width: 1 }, { mean: [0.5, 0.2, 0], std: [0.25, 0.5, 2] });
    close(out, [(1 - 0.5) / 0.25, (0.2 - 0.2) / 0.5, (0 - 0) / 2]);
    const meanOnly = readImage(file, 'n.png', { channels: 3, height: 1, width: 1 }, { mean: [1, 1, 1] });
    close(meanOnly, [0, -0.8, -1]);
  });

  test('the format comes from the bytes, not the name', () => {
    const out = readImage(png(1, 1, 'grey', [51]), 'really-a-png.jpg', { channels: 1, height: 1, width: 1 });
    close(out, [0.2]);
  });
});

describe('readImage: JPEG', () => {
  const w = 16;
  const h = 16;
  const rgba: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgba.push(x * 16, y * 16, 128, 255);

  test('decodes to the source within compression error', () => {
    const out = readImage(jpg(w, h, rgba), 'photo.jpg', { channels: 3, height: h, width: w });
    const expected: number[] = [];
    for (let c = 0; c < 3; c++) for (let i = 0; i < w * h; i++) expected.push(rgba[i * 4 + c]! / 255);
    close(out, expected, 0.06);
    const mean = out.reduce((a, v, i) => a + Math.abs(v - expected[i]!), 0) / out.length;
    assert.ok(mean < 0.01, `mean error ${mean}`);
  });

  test('1 channel is the luma; resizing works on JPEGs too', () => {
    const out = readImage(jpg(w, h, rgba), 'photo.png', { channels: 1, height: 8, width: 8 });
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const r = (2 * x + 0.5) * 16;
        const g = (2 * y + 0.5) * 16;
        const expected = (0.299 * r + 0.587 * g + 0.114 * 128) / 255;
        assert.ok(Math.abs(out[y * 8 + x]! - expected) < 0.04, `(${x}, ${y}): ${out[y * 8 + x]} vs ${expected}`);
      }
    }
  });

  test('a grey JPEG replicates to 3 channels', () => {
    const grey: number[] = [];
    for (let i = 0; i < 64; i++) grey.push(i * 4, i * 4, i * 4, 255);
    const out = readImage(jpg(8, 8, grey), 'g.jpg', { channels: 3, height: 8, width: 8 });
    for (let i = 0; i < 64; i++) {
      assert.ok(Math.abs(out[i]! - (i * 4) / 255) < 0.05);
      assert.ok(Math.abs(out[64 + i]! - out[i]!) < 0.02 && Math.abs(out[128 + i]! - out[i]!) < 0.02);
    }
  });
});

describe('readImage: errors', () => {
  const good = png(4, 4, 'rgb', Array.from({ length: 48 }, (_, i) => i * 5));

  test('unknown formats', () => {
    rejects(() => readImage(new Uint8Array(), 'empty.png', rgb), 'empty.png', /^empty\.png: not a PNG or JPEG image$/);
    rejects(() => readImage(Buffer.from('hello, world'), 'x.png', rgb), 'x.png', /not a PNG or JPEG image$/);
    rejects(() => readImage(Buffer.from('GIF89a\x01\x00\x01\x00'), 'x.gif', rgb), 'x.gif', /not a PNG or JPEG image \(it is a GIF file\)/);
    rejects(() => readImage(f32([1]), 'x.npy', rgb), 'x.npy', /not a PNG or JPEG image \(it is a NumPy \.npy array file\)/);
  });

  test('truncated PNGs, at every length', () => {
    for (let cut = 8; cut < good.length; cut++) {
      rejects(() => readImage(good.subarray(0, cut), 'cut.png', rgb), 'cut.png', /^cut\.png: corrupt PNG: /);
    }
    const idat = Buffer.from(good).indexOf('IDAT');
    rejects(() => readImage(good.subarray(0, idat + 10), 'cut.png', rgb), 'cut.png', /truncated \(the file ends inside the "IDAT" chunk\)/);
    rejects(() => readImage(good.subarray(0, good.length - 4), 'cut.png', rgb), 'cut.png', /truncated \(the file ends inside the "IEND" chunk\)/);
  });

  test('corrupt PNG data', () => {
    const idat = Buffer.from(good).indexOf('IDAT');
    for (const at of [idat + 6, idat + 12, 16, 20]) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x5a;
      rejects(() => readImage(bad, 'bad.png', rgb), 'bad.png', /^bad\.png: corrupt PNG: /);
    }
    rejects(() => readImage(good.subarray(0, 8), 'sig.png', rgb), 'sig.png', /corrupt PNG: truncated/);
    const wide = Buffer.from(good);
    wide[16] = 0x7f; // the width, without fixing the CRC
    rejects(() => readImage(wide, 'wide.png', rgb), 'wide.png', /^wide\.png: corrupt PNG: bad checksum \(CRC\) in the IHDR header chunk$/);
  });

  test('truncated and corrupt JPEGs', () => {
    const rgba = Array.from({ length: 8 * 8 * 4 }, (_, i) => (i * 37) % 256);
    const file = jpg(8, 8, rgba);
    for (let cut = 3; cut < file.length - 1; cut += 7) {
      rejects(() => readImage(file.subarray(0, cut), 'cut.jpg', rgb), 'cut.jpg', /^cut\.jpg: corrupt JPEG: /);
    }
    rejects(() => readImage(file.subarray(0, file.length - 2), 'cut.jpg', rgb), 'cut.jpg', /^cut\.jpg: corrupt JPEG: truncated \(the file ends before the end-of-image marker\)$/);
    const junk = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(40, 0x11), Buffer.from([0xff, 0xda, 1, 2, 0xff, 0xd9])]);
    rejects(() => readImage(junk, 'junk.jpg', rgb), 'junk.jpg', /^junk\.jpg: corrupt JPEG: /);
  });

  test('bytes after the JPEG end-of-image marker are ignored', () => {
    const rgba = Array.from({ length: 8 * 8 * 4 }, (_, i) => (i * 37) % 256);
    const file = jpg(8, 8, rgba);
    const appended = Buffer.concat([file, Buffer.from([0xff, 0xda, 0x00, 0x10, 0xff, 0xc0, 1, 2, 3])]);
    assert.deepEqual(readImage(appended, 'motion.jpg', rgb), readImage(file, 'photo.jpg', rgb));
  });

  test('images too large to read are refused before decoding', () => {
    const big = Buffer.from(good);
    big.writeUInt32BE(20000, 16);
    big.writeUInt32BE(20000, 20);
    big.writeUInt32BE(crc32(big.subarray(12, 29)), 29);
    rejects(() => readImage(big, 'big.png', rgb), 'big.png', /^big\.png: the image is too large to read \(20000×20000 pixels; at most 100 megapixels\); resize it first$/);
  });

  test('channel counts an image cannot give', () => {
    for (const channels of [2, 4]) {
      rejects(
        () => readImage(good, 'c.png', { channels, height: 4, width: 4 }),
        'c.png',
        new RegExp(`the network takes ${channels} input channels, and an image gives 1 \\(grey\\) or 3 \\(RGB\\)`),
      );
    }
  });

  test('mean/std lengths must match the channels', () => {
    rejects(() => readImage(good, 'm.png', rgb, { mean: [0.5] }), 'm.png', /mean has 1 value but the network takes 3 channels/);
    rejects(() => readImage(good, 'm.png', { channels: 1, height: 4, width: 4 }, { std: [1, 2, 3] }), 'm.png', /std has 3 values but the network takes 1 channel;/);
    rejects(() => readImage(good, 'm.png', rgb, { std: [1, 0, 1] }), 'm.png', /std has a zero value/);
  });
});

test('mutated and cut images and arrays give InputErrors, never other exceptions', () => {
  let seed = 7;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const rgba = Array.from({ length: 9 * 7 * 4 }, (_, i) => (i * 13) % 256);
  const bases: [string, Uint8Array][] = [
    ['png', png(9, 7, 'rgba', rgba)],
    ['png', png(9, 7, 'grey', rgba.slice(0, 63))],
    ['jpg', jpg(9, 7, rgba, 80)],
    ['npy', npy('<f4', '(2, 3, 4)', new Uint8Array(96))],
  ];
  for (let i = 0; i < 1600; i++) {
    const [kind, base] = bases[i % bases.length]!;
    const bytes = Buffer.from(base);
    for (let m = Math.floor(random() * 4); m >= 0; m--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    const input = random() < 0.3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
    try {
      if (kind === 'npy') matchShape(readNpy(input, 'f.npy'), [2, 3, 4], 'f.npy');
      else readImage(input, `f.${kind}`, { channels: i % 2 ? 1 : 3, height: 5, width: 5 });
    } catch (e) {
      assert.ok(e instanceof InputError, `iteration ${i} (${kind}): ${e instanceof Error ? e.stack : String(e)}`);
      assert.match(e.message, /^f\.(png|jpg|npy): /);
    }
  }
});

// ---- .npy ----

describe('readNpy', () => {
  test('dtypes convert to float32', () => {
    const cases: [string, ArrayBufferView, number[]][] = [
      ['<f4', new Float32Array([1.5, -2, 3.25]), [1.5, -2, 3.25]],
      ['<f8', new Float64Array([0.1, -1e10, 7]), [0.1, -1e10, 7]],
      ['<i4', new Int32Array([-7, 0, 123456]), [-7, 0, 123456]],
      ['<i8', new BigInt64Array([-5n, 0n, 1n << 40n]), [-5, 0, 2 ** 40]],
      ['|u1', new Uint8Array([0, 128, 255]), [0, 128, 255]],
      ['|i1', new Int8Array([-128, 0, 127]), [-128, 0, 127]],
      ['<i2', new Int16Array([-300, 1, 32767]), [-300, 1, 32767]],
      ['<u2', new Uint16Array([0, 40000, 65535]), [0, 40000, 65535]],
      ['|b1', new Uint8Array([1, 0, 1]), [1, 0, 1]],
      ['<f2', new Uint16Array([0x3c00, 0xc000, 0x3555]), [1, -2, 0.333251953125]],
    ];
    for (const [descr, values, expected] of cases) {
      const arr = readNpy(npy(descr, '(3,)', bytesOf(values)), `${descr}.npy`);
      assert.deepEqual(arr.shape, [3], descr);
      close(arr.data, expected.map(Math.fround), 0);
    }
  });

  test('shapes, scalars, v2 and v3 headers, unaligned buffers', () => {
    const values = new Float32Array([1, 2, 3, 4, 5, 6]);
    for (const version of [1, 2, 3] as const) {
      const arr = readNpy(npy('<f4', '(2, 3)', bytesOf(values), { version }), 'v.npy');
      assert.deepEqual(arr.shape, [2, 3]);
      close(arr.data, values, 0);
    }
    const file = npy('<f4', '(2, 3)', bytesOf(values));
    const unaligned = new Uint8Array(file.length + 1).subarray(1);
    unaligned.set(file);
    close(readNpy(unaligned, 'u.npy').data, values, 0);
    const scalar = readNpy(npy('<f8', '()', bytesOf(new Float64Array([2.5]))), 's.npy');
    assert.deepEqual(scalar.shape, []);
    close(scalar.data, [2.5], 0);
    const py2 = readNpy(npy('', '', bytesOf(values), { header: `{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L)}` }), 'p.npy');
    assert.deepEqual(py2.shape, [2, 3]);
  });

  test('Fortran order is transposed to C order', () => {
    // C order [[1, 2, 3], [4, 5, 6]] is stored column by column as 1 4 2 5 3 6.
    const arr = readNpy(npy('<f4', '(2, 3)', bytesOf(new Float32Array([1, 4, 2, 5, 3, 6])), { fortran: true }), 'f.npy');
    assert.deepEqual(arr.shape, [2, 3]);
    close(arr.data, [1, 2, 3, 4, 5, 6], 0);
    // 3-d: element (i, j, k) = 100i + 10j + k; Fortran offset i + 2j + 6k.
    const shape = [2, 3, 4];
    const fortran = new Float32Array(24);
    const c: number[] = [];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        for (let k = 0; k < 4; k++) {
          fortran[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
          c.push(100 * i + 10 * j + k);
        }
      }
    }
    const arr3 = readNpy(npy('<i4', '(2, 3, 4)', bytesOf(new Int32Array(fortran)), { fortran: true }), 'f3.npy');
    assert.deepEqual(arr3.shape, shape);
    close(arr3.data, c, 0);
  });

  test('errors name the file and the problem', () => {
    const good = f32([1, 2, 3]);
    rejects(() => readNpy(Buffer.from('not numpy at all'), 'a.npy'), 'a.npy', /^a\.npy: not a NumPy \.npy file \(it does not start with the magic "\\x93NUMPY"\)$/);
    rejects(() => readNpy(png(1, 1, 'grey', [0]), 'img.npy'), 'img.npy', /not a NumPy \.npy file/);
    rejects(() => readNpy(Buffer.from('PK\x03\x04rest'), 'z.npz'), 'z.npz', /a \.npz archive, not a \.npy array/);
    rejects(() => readNpy(good.subarray(0, 8), 't.npy'), 't.npy', /truncated \.npy file \(it ends inside the header\)/);
    rejects(() => readNpy(good.subarray(0, 40), 't.npy'), 't.npy', /truncated \.npy file \(it ends inside the header\)/);
    rejects(() => readNpy(good.subarray(0, good.length - 1), 't.npy'), 't.npy', /truncated \.npy file: shape \(3,\) of '<f4' needs 12 bytes of data, the file has 11$/);
    rejects(() => readNpy(Buffer.concat([good, Buffer.alloc(4)]), 'x.npy'), 'x.npy', /data size does not match the shape: shape \(3,\) of '<f4' needs 12 bytes of data, the file has 16$/);
    const v4 = Buffer.from(good);
    v4[6] = 4;
    rejects(() => readNpy(v4, 'v.npy'), 'v.npy', /unsupported \.npy format version 4\.0/);
    const data = new Uint8Array(24);
    rejects(() => readNpy(npy('<c8', '(3,)', data), 'c.npy'), 'c.npy', /unsupported dtype '<c8' \(complex\); save it as float32/);
    rejects(() => readNpy(npy('>f4', '(3,)', data.subarray(0, 12)), 'b.npy'), 'b.npy', /dtype '>f4' is big-endian/);
    rejects(() => readNpy(npy('|O', '(3,)', data), 'o.npy'), 'o.npy', /unsupported dtype '\|O' \(Python object\)/);
    rejects(() => readNpy(npy('<U3', '(2,)', data), 'u.npy'), 'u.npy', /unsupported dtype '<U3' \(unicode string\)/);
    rejects(
      () => readNpy(npy('', '', data, { header: `{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }` }), 's.npy'),
      's.npy',
      /structured arrays/,
    );
    rejects(() => readNpy(npy('', '', data, { header: `{'descr': '<f4', 'shape': (3,)}` }), 'k.npy'), 'k.npy', /bad \.npy header \(no 'fortran_order' key\)/);
    rejects(() => readNpy(npy('', '', data, { header: `{'descr': '<f4', 'fortran_order': False, 'shape': (3,` }), 'h.npy'), 'h.npy', /bad \.npy header \(unexpected end/);
    rejects(() => readNpy(npy('<f4', '(3, -1)', data), 'n.npy'), 'n.npy', /'shape' is not a tuple of non-negative integers/);
  });
});

describe('matchShape', () => {
  const seq = (n: number) => new Float32Array(Array.from({ length: n }, (_, i) => i));

  test('CHW, NCHW, F and NF pass through', () => {
    assert.deepEqual(matchShape({ shape: [3, 2, 2], data: seq(12) }, [3, 2, 2], 'a.npy'), { batch: 1, data: seq(12) });
    assert.deepEqual(matchShape({ shape: [5, 3, 2, 2], data: seq(60) }, [3, 2, 2], 'a.npy'), { batch: 5, data: seq(60) });
    assert.deepEqual(matchShape({ shape: [10], data: seq(10) }, [10], 'a.npy'), { batch: 1, data: seq(10) });
    assert.deepEqual(matchShape({ shape: [4, 10], data: seq(40) }, [10], 'a.npy'), { batch: 4, data: seq(40) });
    assert.deepEqual(matchShape({ shape: [7, 1, 5, 5], data: seq(175) }, [1, 5, 5], 'a.npy').batch, 7);
    assert.deepEqual(matchShape({ shape: [5, 5], data: seq(25) }, [1, 5, 5], 'a.npy'), { batch: 1, data: seq(25) });
    assert.deepEqual(matchShape({ shape: [6, 5, 5], data: seq(150) }, [1, 5, 5], 'a.npy'), { batch: 6, data: seq(150) });
  });

  test('HWC and NHWC are transposed to CHW', () => {
    // H=2, W=3, C=2: value at (y, x, c) = 100c + 10y + x
    const hwc: number[] = [];
    const chw: number[] = [];
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 2; c++) hwc.push(100 * c + 10 * y + x);
    for (let c = 0; c < 2; c++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) chw.push(100 * c + 10 * y + x);
    const one = matchShape({ shape: [2, 3, 2], data: new Float32Array(hwc) }, [2, 2, 3], 'h.npy');
    assert.equal(one.batch, 1);
    close(one.data, chw, 0);
    const two = matchShape({ shape: [2, 2, 3, 2], data: new Float32Array([...hwc, ...hwc.map((v) => v + 1000)]) }, [2, 2, 3], 'h.npy');
    assert.equal(two.batch, 2);
    close(two.data, [...chw, ...chw.map((v) => v + 1000)], 0);
  });

  test('C = H = W reads as channels-first', () => {
    const data = seq(27);
    assert.deepEqual(matchShape({ shape: [3, 3, 3], data }, [3, 3, 3], 'q.npy'), { batch: 1, data });
  });

  test('mismatches say what was expected in both layouts and what was found', () => {
    const image = rejects(() => matchShape({ shape: [3, 28, 28], data: seq(3 * 784) }, [3, 32, 32], 'm.npy'), 'm.npy', /.*/);
    assert.equal(
      image,
      'm.npy: the array has shape (3, 28, 28); the network takes 3×32×32 (C×H×W) images: give shape (3, 32, 32) or ' +
        '(N, 3, 32, 32) (NCHW), or (32, 32, 3) or (N, 32, 32, 3) (H×W×C)',
    );
    const grey = rejects(() => matchShape({ shape: [10, 784], data: seq(7840) }, [1, 28, 28], 'g.npy'), 'g.npy', /.*/);
    assert.equal(
      grey,
      'g.npy: the array has shape (10, 784); the network takes 1×28×28 (C×H×W) images: give shape (1, 28, 28) or ' +
        '(N, 1, 28, 28) (NCHW), or (28, 28, 1) or (N, 28, 28, 1) (H×W×C), or (28, 28) or (N, 28, 28) ' +
        '(each of its 10 rows holds 784 values: reshape it to (10, 1, 28, 28))',
    );
    const features = rejects(() => matchShape({ shape: [2, 3, 4], data: seq(24) }, [10], 'f.npy'), 'f.npy', /.*/);
    assert.equal(features, 'f.npy: the array has shape (2, 3, 4); the network takes 10 features: give shape (10,) or (N, 10)');
    rejects(() => matchShape({ shape: [2, 5], data: seq(10) }, [10], 'f.npy'), 'f.npy', /\(it holds 10 values, as one sample needs: reshape it to \(10,\)\)$/);
    rejects(() => matchShape({ shape: [0, 10], data: seq(0) }, [10], 'e.npy'), 'e.npy', /^e\.npy: the array of shape \(0, 10\) holds no samples$/);
  });

  test('readNpy then matchShape', () => {
    const file = npy('|u1', '(2, 2, 2, 3)', new Uint8Array(seq(24)));
    const { batch, data } = matchShape(readNpy(file, 'b.npy'), [3, 2, 2], 'b.npy');
    assert.equal(batch, 2);
    close(data.subarray(0, 12), [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11], 0);
  });
});

// ---- PNGs of every kind, written here ----

const SAMPLES_PER_PIXEL = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
type ColorType = keyof typeof SAMPLES_PER_PIXEL;
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function pngChunk(type: string, data: Uint8Array | number[]): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
  const out = Buffer.alloc(8 + body.length);
  out.writeUInt32BE(body.length - 4, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 4 + body.length);
  return out;
}

function ihdr(width: number, height: number, depth: number, colorType: number, interlace = 0): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data.set([depth, colorType, 0, 0, interlace], 8);
  return pngChunk('IHDR', data);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface PngSpec {
  width: number;
  height: number;
  colorType: ColorType;
  depth: 1 | 2 | 4 | 8 | 16;
  /** The file's samples, row-major (palette indices for colour type 3). */
  samples: number[];
  palette?: number[];
  interlace?: boolean;
  /** The filter type of each row of each pass (by default all five in turn). */
  filter?: (row: number, pass: number) => number;
  /** Chunks to write before IDAT. */
  extra?: Buffer[];
}

function paeth(a: number, b: number, c: number): number {
  const pa = Math.abs(b - c);
  const pb = Math.abs(a - c);
  const pc = Math.abs(a + b - 2 * c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** A PNG encoder of its own, for what pngjs cannot write: palettes, 1/2/4 bits, Adam7, every filter type. */
function encodePng(spec: PngSpec): Buffer {
  const { width, height, colorType, depth } = spec;
  const spp = SAMPLES_PER_PIXEL[colorType];
  const bitsPerPixel = spp * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = spec.interlace ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const raw: number[] = [];
  passes.forEach(([x0, y0, dx, dy], pass) => {
    const pw = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const ph = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    if (!pw || !ph) return;
    const rowBytes = Math.ceil((pw * bitsPerPixel) / 8);
    let prev = new Array<number>(rowBytes).fill(0);
    for (let r = 0; r < ph; r++) {
      const y = y0 + r * dy;
      const row = new Array<number>(rowBytes).fill(0);
      for (let i = 0; i < pw; i++) {
        const x = x0 + i * dx;
        for (let c = 0; c < spp; c++) {
          const v = spec.samples[(y * width + x) * spp + c]!;
          const k = i * spp + c;
          if (depth === 16) {
            row[2 * k] = v >> 8;
            row[2 * k + 1] = v & 255;
          } else if (depth === 8) {
            row[k] = v;
          } else {
            const bit = k * depth;
            row[bit >> 3]! |= v << (8 - depth - (bit & 7));
          }
        }
      }
      const filter = spec.filter ? spec.filter(r, pass) : (r + pass) % 5;
      const out = row.map((v, i) => {
        const a = i >= bpp ? row[i - bpp]! : 0;
        const b = r > 0 ? prev[i]! : 0;
        const c = r > 0 && i >= bpp ? prev[i - bpp]! : 0;
        const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter] ?? 0;
        return (v - predictor) & 255;
      });
      raw.push(filter, ...out);
      prev = row;
    }
  });
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height, depth, colorType, spec.interlace ? 1 : 0),
    ...(spec.palette ? [pngChunk('PLTE', spec.palette)] : []),
    ...(spec.extra ?? []),
    pngChunk('IDAT', deflateSync(Buffer.from(raw))),
    pngChunk('IEND', []),
  ]);
}

/**
 * The same JPEG with only its first `keep` components in its frame and its scan. The scan data is left as it
 * is: for a one-block image the first component's block still comes first.
 */
function jpegComponents(file: Buffer, keep: number): Buffer {
  const sof = file.indexOf(Buffer.from([0xff, 0xc0]));
  const sofLength = file.readUInt16BE(sof + 2);
  const sos = file.indexOf(Buffer.from([0xff, 0xda]));
  const sosEnd = sos + 2 + file.readUInt16BE(sos + 2);
  const frame = Buffer.concat([Buffer.from([0xff, 0xc0, 0, 8 + 3 * keep]), file.subarray(sof + 4, sof + 9), Buffer.from([keep]), file.subarray(sof + 10, sof + 10 + 3 * keep)]);
  const scan = Buffer.concat([Buffer.from([0xff, 0xda, 0, 6 + 2 * keep, keep]), file.subarray(sos + 5, sos + 5 + 2 * keep), file.subarray(sosEnd - 3, sosEnd)]);
  return Buffer.concat([file.subarray(0, sof), frame, file.subarray(sof + 2 + sofLength, sos), scan, file.subarray(sosEnd)]);
}

function seededRandom(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

/** Asserts that `fn` refuses with an InputError within `ms` milliseconds, and returns the message. */
function refusesFast(fn: () => unknown, file: string, pattern: RegExp, ms = 2000): string {
  const t0 = performance.now();
  const message = rejects(fn, file, pattern);
  const took = performance.now() - t0;
  assert.ok(took < ms, `took ${took.toFixed(0)} ms: ${message}`);
  return message;
}

describe('decodeImage: PNGs of every colour type, bit depth, filter and interlacing', () => {
  const random = seededRandom(11);
  const cases: [ColorType, PngSpec['depth']][] = [
    [0, 1], [0, 2], [0, 4], [0, 8], [0, 16],
    [2, 8], [2, 16],
    [3, 1], [3, 2], [3, 4], [3, 8],
    [4, 8], [4, 16],
    [6, 8], [6, 16],
  ];
  for (const [colorType, depth] of cases) {
    for (const interlace of [false, true]) {
      test(`colour type ${colorType}, ${depth}-bit${interlace ? ', Adam7' : ''}`, () => {
        for (const [width, height] of [[13, 11], [1, 1], [3, 2], [9, 1], [1, 9], [17, 16]] as const) {
          const spp = SAMPLES_PER_PIXEL[colorType];
          const colours = colorType === 3 ? Math.min(2 ** depth, 7) : 2 ** depth;
          const samples = Array.from({ length: width * height * spp }, () => Math.floor(random() * colours));
          const palette = colorType === 3 ? Array.from({ length: colours * 3 }, () => Math.floor(random() * 256)) : undefined;
          const file = encodePng({ width, height, colorType, depth, samples, palette, interlace });
          const image = decodeImage(file, 'k.png');
          const channels = colorType === 3 ? 3 : spp;
          assert.deepEqual([image.width, image.height, image.channels, image.bitDepth], [width, height, channels, depth === 16 ? 16 : 8]);
          let expected: number[];
          if (colorType === 3) expected = samples.flatMap((i) => palette!.slice(3 * i, 3 * i + 3));
          else if (depth < 8) expected = samples.map((v) => (v * 255) / (2 ** depth - 1));
          else expected = samples;
          assert.deepEqual(Array.from(image.data), expected, `${width}×${height}`);
        }
      });
    }
  }

  test('readImage gives the same values as resizing whole [0, 1] planes, interlaced or not', () => {
    const width = 23;
    const height = 17;
    const samples = Array.from({ length: width * height * 4 }, () => Math.floor(random() * 65536));
    for (const interlace of [false, true]) {
      const file = encodePng({ width, height, colorType: 6, depth: 16, samples, interlace });
      for (const [h, w] of [[height, width], [5, 7], [40, 31], [1, 1], [17, 3]] as const) {
        const out = readImage(file, 'r.png', { channels: 3, height: h, width: w });
        const expected = [0, 1, 2].flatMap((c) => {
          const plane = Float32Array.from({ length: width * height }, (_, i) => samples[i * 4 + c]! / 65535);
          return Array.from(resizeBilinear(plane, width, height, w, h));
        });
        assert.deepEqual(out, Float32Array.from(expected), `${h}×${w}`);
      }
    }
  });

  test('a palette index past the palette reads as black; tRNS only adds alpha, which is dropped', () => {
    const file = encodePng({ width: 3, height: 1, colorType: 3, depth: 8, samples: [0, 1, 9], palette: [10, 20, 30, 40, 50, 60] });
    assert.deepEqual(Array.from(decodeImage(file, 'p.png').data), [10, 20, 30, 40, 50, 60, 0, 0, 0]);
    const trns = encodePng({ width: 2, height: 1, colorType: 3, depth: 8, samples: [0, 1], palette: [10, 20, 30, 40, 50, 60], extra: [pngChunk('tRNS', [0, 128])] });
    assert.deepEqual(Array.from(decodeImage(trns, 't.png').data), [10, 20, 30, 40, 50, 60]);
  });

  test('JPEGs decode to grey (1 channel) or RGB (3)', () => {
    const greys = Array.from({ length: 64 }, (_, i) => 40 + 2 * i);
    const greyFile = jpegComponents(Buffer.from(jpg(8, 8, greys.flatMap((v) => [v, v, v, 255]))), 1);
    const grey = decodeImage(greyFile, 'g.jpg');
    assert.deepEqual([grey.width, grey.height, grey.channels, grey.bitDepth], [8, 8, 1, 8]);
    grey.data.forEach((v, i) => assert.ok(Math.abs(v - greys[i]!) <= 3, `${i}: ${v} vs ${greys[i]}`));
    const out = readImage(greyFile, 'g.jpg', { channels: 3, height: 8, width: 8 });
    assert.deepEqual(out.subarray(0, 64), Float32Array.from(grey.data, (v) => v / 255));
    assert.deepEqual(out.subarray(64, 128), out.subarray(0, 64));
    assert.deepEqual(out.subarray(128), out.subarray(0, 64));
    const colour = decodeImage(jpg(16, 8, Array.from({ length: 512 }, (_, i) => (i * 7) % 256)), 'c.jpg');
    assert.deepEqual([colour.width, colour.height, colour.channels, colour.bitDepth, colour.data.length], [16, 8, 3, 8, 16 * 8 * 3]);
  });
});

// ---- PNGs written by Pillow: test/fixtures/images/ (NAME.png and NAME.npy, its pixels as Pillow decodes them) ----

const IMAGES = fileURLToPath(new URL('./fixtures/images/', import.meta.url));

interface FixtureInfo {
  mode: string;
  size_wh: [number, number];
  dtype: 'uint8' | 'uint16';
  shape: [number, number, number];
}

describe('PNGs written by Pillow', () => {
  const manifest = JSON.parse(readFileSync(join(IMAGES, 'manifest.json'), 'utf8')) as { files: Record<string, FixtureInfo> };
  const entries = Object.entries(manifest.files);

  test('the fixtures are there: grey, 16-bit grey, palette, RGB and RGBA', () => {
    assert.deepEqual(entries.map(([, f]) => f.mode).sort(), ['I;16', 'L', 'P', 'RGB', 'RGBA']);
  });

  for (const [name, info] of entries) {
    const npyName = name.replace(/\.png$/, '.npy');
    const [h, w, c] = info.shape;
    const max = info.dtype === 'uint16' ? 65535 : 255;
    const load = () => ({
      bytes: readFileSync(join(IMAGES, name)),
      pillow: readNpy(readFileSync(join(IMAGES, npyName)), npyName),
    });

    test(`${name} (${info.mode}): decodeImage gives exactly Pillow's pixels`, () => {
      const { bytes, pillow } = load();
      assert.deepEqual(pillow.shape, info.shape);
      assert.deepEqual(info.size_wh, [w, h]);
      const image = decodeImage(bytes, name);
      assert.deepEqual([image.height, image.width, image.channels], [h, w, c]);
      assert.equal(image.bitDepth, info.dtype === 'uint16' ? 16 : 8);
      assert.ok(image.data instanceof (info.dtype === 'uint16' ? Uint16Array : Uint8Array));
      assert.deepEqual(Array.from(image.data), Array.from(pillow.data));
    });

    test(`${name}: readImage at its own size gives Pillow's pixels / ${max}`, () => {
      const { bytes, pillow } = load();
      const px = (y: number, x: number, ch: number) => pillow.data[(y * w + x) * c + ch]!;
      const rgbOut = readImage(bytes, name, { channels: 3, height: h, width: w });
      const rgbWant: number[] = [];
      for (let ch = 0; ch < 3; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgbWant.push(px(y, x, c >= 3 ? ch : 0) / max);
      assert.deepEqual(rgbOut, Float32Array.from(rgbWant));
      const greyOut = readImage(bytes, name, { channels: 1, height: h, width: w });
      const greyWant: number[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const [r, g, b] = c >= 3 ? [px(y, x, 0), px(y, x, 1), px(y, x, 2)] : [px(y, x, 0), px(y, x, 0), px(y, x, 0)];
          greyWant.push((r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b) / max);
        }
      }
      assert.deepEqual(greyOut, Float32Array.from(greyWant));
    });

    test(`${name}: resized, as Pillow's pixels resized as [0, 1] planes`, () => {
      const { bytes, pillow } = load();
      for (const [th, tw] of [[7, 5], [2 * h + 1, 3 * w]] as const) {
        const out = readImage(bytes, name, { channels: 3, height: th, width: tw }, { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.5] });
        const want = [0, 1, 2].flatMap((ch) => {
          const plane = Float32Array.from({ length: w * h }, (_, i) => pillow.data[i * c + (c >= 3 ? ch : 0)]! / max);
          return Array.from(resizeBilinear(plane, w, h, tw, th), (v) => (v - [0.5, 0.4, 0.3][ch]!) / [0.2, 0.25, 0.5][ch]!);
        });
        assert.deepEqual(out, Float32Array.from(want), `${th}×${tw}`);
      }
    });
  }
});

// ---- size limits ----

/** A constant-colour PNG, compressed as it is made (filter Up after the first row), so that it never is in memory whole. */
async function constantPng(width: number, height: number, depth: 8 | 16, colorType: 2 | 6, pixel: number[]): Promise<Buffer> {
  const bytesPerPixel = pixel.length;
  const first = Buffer.alloc(1 + width * bytesPerPixel);
  for (let x = 0; x < width; x++) first.set(pixel, 1 + x * bytesPerPixel);
  const rest = Buffer.alloc(first.length);
  rest[0] = 2; // Up: every byte as in the row above
  const deflate = createDeflate({ level: 6 });
  const parts: Buffer[] = [];
  deflate.on('data', (b: Buffer) => parts.push(b));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const rows = 64;
  const block = Buffer.concat(new Array<Buffer>(rows).fill(rest));
  deflate.write(first);
  for (let y = 1; y < height; y += rows) {
    const piece = y + rows <= height ? block : block.subarray(0, (height - y) * rest.length);
    if (!deflate.write(piece)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, depth, colorType), pngChunk('IDAT', Buffer.concat(parts)), pngChunk('IEND', [])]);
}

/** Runs fn, returning how long it took and how far it raised the process's peak resident memory. */
function measure<T>(fn: () => T): { ms: number; peakMiB: number; result: T | undefined; error: unknown } {
  const before = process.resourceUsage().maxRSS;
  const t0 = performance.now();
  let result: T | undefined;
  let error: unknown;
  try {
    result = fn();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  return { ms, peakMiB: (process.resourceUsage().maxRSS - before) / 1024, result, error };
}

describe('size limits', () => {
  test('a 10000×10000 16-bit RGBA PNG (under 1 MB) is refused from its header: fast, in bounded memory', async () => {
    const file = await constantPng(10_000, 10_000, 16, 6, [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xff, 0xff]);
    assert.ok(file.length < 1_000_000, `${file.length} bytes`);
    const { ms, peakMiB, error } = measure(() => readImage(file, 'huge.png', { channels: 3, height: 224, width: 224 }));
    assert.ok(error instanceof InputError, String(error));
    assert.equal(
      error.message,
      'huge.png: the image is too large to read (10000×10000 pixels of 16-bit RGBA decode to 763 MiB; at most 512 MiB); ' +
        'resize it first, or save it with 8 bits a sample',
    );
    assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
    assert.ok(peakMiB < 64, `peak memory rose by ${peakMiB.toFixed(0)} MiB`);
    rejects(() => decodeImage(file, 'huge.png'), 'huge.png', /too large to read/);
  });

  test('an 8000×6000 RGB PNG is read, holding its inflated data and a few rows, not a full-size float copy', async () => {
    const file = await constantPng(8000, 6000, 8, 2, [200, 100, 50]);
    const { ms, peakMiB, result, error } = measure(() => readImage(file, 'photo.png', { channels: 3, height: 224, width: 224 }));
    assert.equal(error, undefined);
    const out = result!;
    assert.equal(out.length, 3 * 224 * 224);
    for (const [c, v] of [200, 100, 50].entries()) {
      assert.ok(out.subarray(c * 224 * 224, (c + 1) * 224 * 224).every((x) => x === Math.fround(v / 255)));
    }
    // 144 MB of inflated rows; the float planes of the whole image alone would be 576 MB.
    assert.ok(peakMiB < 300, `peak memory rose by ${peakMiB.toFixed(0)} MiB`);
    assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
  });

  test('the limits: pixels, and decoded bytes by channels and bit depth', () => {
    const header = (w: number, h: number, depth: number, colorType: number) =>
      Buffer.concat([PNG_SIGNATURE, ihdr(w, h, depth, colorType), pngChunk('IDAT', deflateSync(Buffer.alloc(0))), pngChunk('IEND', [])]);
    assert.equal(MAX_PIXELS, 100_000_000);
    assert.equal(MAX_DECODED_BYTES, 512 * 2 ** 20);
    // Up to the limits, the header is accepted and the (missing) data is what is wrong.
    for (const [w, h, depth, colorType] of [
      [10_000, 10_000, 8, 0], // 100 megapixels of grey
      [8000, 6000, 16, 6], // 384 MB
      [8192, 8192, 16, 6], // 512 MiB exactly
      [10_000, 10_000, 8, 6], // 8-bit images are limited by their pixels only: 400 MB
      [10_000, 10_000, 1, 0], // grey counts a byte a pixel
      [10_000, 10_000, 8, 3], // a palette counts three
    ] as const) {
      rejects(() => readImage(header(w, h, depth, colorType), 'ok.png', rgb), 'ok.png', /corrupt PNG: (the image data is cut short|a palette image without a palette)/);
    }
    for (const [w, h, depth, colorType, pattern] of [
      [10_001, 10_000, 8, 0, /\(10001×10000 pixels; at most 100 megapixels\); resize it first$/],
      [8192, 8193, 16, 6, /\(8192×8193 pixels of 16-bit RGBA decode to 513 MiB; at most 512 MiB\); resize it first, or save it with 8 bits a sample$/],
      [9000, 9000, 16, 6, /\(9000×9000 pixels of 16-bit RGBA decode to 618 MiB; at most 512 MiB\); resize it first, or save it with 8 bits a sample$/],
      [10_000, 10_000, 16, 2, /\(10000×10000 pixels of 16-bit RGB decode to 573 MiB; at most 512 MiB\); resize it first, or save it with 8 bits a sample$/],
      [0x7fffffff, 0x7fffffff, 8, 2, /at most 100 megapixels/],
    ] as const) {
      refusesFast(() => readImage(header(w, h, depth, colorType), 'big.png', rgb), 'big.png', pattern, 1000);
    }
  });

  test('a JPEG whose frame header claims 10000×10000 is refused before decoding', () => {
    const file = Buffer.from(jpg(8, 8, Array.from({ length: 256 }, (_, i) => i)));
    const sof = file.indexOf(Buffer.from([0xff, 0xc0]));
    file.writeUInt16BE(10_000, sof + 5);
    file.writeUInt16BE(10_000, sof + 7);
    const { ms, peakMiB, error } = measure(() => readImage(file, 'huge.jpg', rgb));
    assert.ok(error instanceof InputError, String(error));
    assert.match(error.message, /^huge\.jpg: the image is too large to read \(10000×10000 pixels; decoding this JPEG takes \d+ MiB, at most 1024 MiB\); resize it first$/);
    assert.ok(ms < 2000 && peakMiB < 64, `${ms.toFixed(0)} ms, ${peakMiB.toFixed(0)} MiB`);
    file.writeUInt16BE(20_000, sof + 5);
    rejects(() => readImage(file, 'huge.jpg', rgb), 'huge.jpg', /\(10000×20000 pixels; at most 100 megapixels\)/);
  });

  test('image data that inflates past the header\'s size stops at once', async () => {
    // The data of a 10000×10000 image under a header that says 10×10.
    const big = await constantPng(10_000, 10_000, 8, 2, [1, 2, 3]);
    const bomb = Buffer.concat([big.subarray(0, 8), ihdr(10, 10, 8, 2), big.subarray(33)]);
    const { ms, peakMiB, error } = measure(() => readImage(bomb, 'bomb.png', rgb));
    assert.ok(error instanceof InputError && /^bomb\.png: corrupt PNG: the image data holds more than its 10×10 pixels$/.test(error.message), String(error));
    assert.ok(ms < 1000 && peakMiB < 64, `${ms.toFixed(0)} ms, ${peakMiB.toFixed(0)} MiB`);
  });
});

// ---- hostile inputs ----

describe('hostile images: one clear message, fast', () => {
  const good = encodePng({ width: 4, height: 4, colorType: 2, depth: 8, samples: Array.from({ length: 48 }, (_, i) => i * 5) });
  const withIhdr = (w: number, h: number, depth: number, colorType: number, interlace = 0) => Buffer.concat([good.subarray(0, 8), ihdr(w, h, depth, colorType, interlace), good.subarray(33)]);
  const colourJpeg = () => Buffer.from(jpg(8, 8, Array.from({ length: 256 }, (_, i) => (i * 37) % 256)));

  test('files of other formats, whatever their name', () => {
    const others: [string, string, RegExp][] = [
      ['GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'a.png', /not a PNG or JPEG image \(it is a GIF file\)$/],
      ['BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00', 'a.png', /\(it is a BMP file\)$/],
      ['RIFF\x24\x00\x00\x00WEBPVP8 ', 'a.jpg', /\(it is a WebP file\)$/],
      ['II*\x00\x08\x00\x00\x00', 'a.png', /\(it is a TIFF file\)$/],
      ['MM\x00*\x00\x00\x00\x08', 'a.jpeg', /\(it is a TIFF file\)$/],
      ['\x00\x00\x00\x1cftypheic\x00\x00\x00\x00', 'a.jpg', /\(it is an HEIF\/AVIF \(or MP4\) file\)$/],
      ['%PDF-1.7\n', 'a.png', /\(it is a PDF file\)$/],
      ['PK\x03\x04\x14\x00', 'a.png', /\(it is a ZIP \(or \.npz\) file\)$/],
      ['<svg xmlns="http://www.w3.org/2000/svg"/>', 'a.png', /^a\.png: not a PNG or JPEG image$/],
    ];
    for (const [text, name, pattern] of others) refusesFast(() => readImage(Buffer.from(text, 'latin1'), name, rgb), name, pattern, 1000);
    // A JPEG named .png and a PNG named .jpg are read for what they are.
    assert.equal(readImage(colourJpeg(), 'photo.png', rgb).length, 12);
    assert.equal(readImage(good, 'image.jpg', rgb).length, 12);
    rejects(() => readNpy(colourJpeg(), 'photo.npy'), 'photo.npy', /^photo\.npy: not a NumPy \.npy file \(it is a JPEG image\)$/);
    rejects(() => readNpy(good, 'image.npy'), 'image.npy', /^image\.npy: not a NumPy \.npy file \(it is a PNG image\)$/);
  });

  test('binary garbage, with and without an image signature', () => {
    const random = seededRandom(99);
    for (let i = 0; i < 50; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 5000) }, () => Math.floor(random() * 256)));
      refusesFast(() => readImage(junk, 'junk.png', rgb), 'junk.png', /^junk\.png: not a PNG or JPEG image/, 1000);
      refusesFast(() => readImage(Buffer.concat([PNG_SIGNATURE, junk]), 'junk.png', rgb), 'junk.png', /^junk\.png: corrupt PNG: /, 1000);
      refusesFast(() => readImage(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), junk]), 'junk.jpg', rgb), 'junk.jpg', /^junk\.jpg: (corrupt|unsupported) JPEG: /, 1000);
    }
  });

  test('zero-size images', () => {
    rejects(() => readImage(withIhdr(0, 4, 8, 2), 'zero.png', rgb), 'zero.png', /^zero\.png: the image is empty \(0×4 pixels\)$/);
    rejects(() => readImage(withIhdr(4, 0, 8, 2), 'zero.png', rgb), 'zero.png', /^zero\.png: the image is empty \(4×0 pixels\)$/);
    rejects(() => decodeImage(withIhdr(0, 0, 8, 2), 'zero.png'), 'zero.png', /the image is empty \(0×0 pixels\)$/);
    const file = colourJpeg();
    const sof = file.indexOf(Buffer.from([0xff, 0xc0]));
    const width0 = Buffer.from(file);
    width0.writeUInt16BE(0, sof + 7);
    rejects(() => readImage(width0, 'zero.jpg', rgb), 'zero.jpg', /^zero\.jpg: the image is empty \(0×8 pixels\)$/);
    const height0 = Buffer.from(file);
    height0.writeUInt16BE(0, sof + 5);
    rejects(() => readImage(height0, 'dnl.jpg', rgb), 'dnl.jpg', /^dnl\.jpg: unsupported JPEG: its height is given after the image data \(a DNL marker\)$/);
  });

  test('PNG headers and data a decoder must not trust', () => {
    const cases: [Buffer, RegExp][] = [
      [withIhdr(4, 4, 3, 2), /corrupt PNG: bit depth 3 is not valid for RGB images$/],
      [withIhdr(4, 4, 16, 3), /corrupt PNG: bit depth 16 is not valid for palette images$/],
      [withIhdr(4, 4, 8, 5), /corrupt PNG: unknown colour type 5 in the IHDR header chunk$/],
      [withIhdr(4, 4, 8, 2, 2), /corrupt PNG: unknown interlace method 2/],
      [withIhdr(4, 2, 8, 2), /corrupt PNG: the image data holds more than its 4×2 pixels$/],
      [withIhdr(4, 8, 8, 2), /corrupt PNG: the image data is cut short \(52 of 104 bytes\)$/],
      [withIhdr(4, 4, 8, 3), /corrupt PNG: a palette image without a palette \(PLTE chunk\)$/],
      [encodePng({ width: 2, height: 2, colorType: 0, depth: 8, samples: [1, 2, 3, 4], filter: (r) => (r === 1 ? 7 : 0) }), /corrupt PNG: unknown filter type 7 in the image data \(row 2\)$/],
      [encodePng({ width: 1, height: 1, colorType: 3, depth: 8, samples: [0], palette: [1, 2, 3, 4] }), /corrupt PNG: a palette \(PLTE chunk\) of 4 bytes/],
      [Buffer.concat([good.subarray(0, 33), pngChunk('IDAT', Buffer.from('not zlib data')), pngChunk('IEND', [])]), /corrupt PNG: bad compressed image data \(incorrect header check\)$/],
      [Buffer.concat([good.subarray(0, 33), pngChunk('tEXt', Buffer.from('a\0b')), pngChunk('IEND', [])]), /corrupt PNG: no image data \(IDAT chunk\)$/],
      [Buffer.concat([good.subarray(0, 33), pngChunk('IDAT', deflateSync(Buffer.alloc(52)).subarray(0, 6)), pngChunk('IEND', [])]), /corrupt PNG: the image data is cut short$/],
      [Buffer.concat([good.subarray(0, 8), pngChunk('IEND', [])]), /corrupt PNG: it does not start with an IHDR header chunk$/],
    ];
    for (const [file, pattern] of cases) refusesFast(() => readImage(file, 'h.png', rgb), 'h.png', new RegExp(`^h\\.png: ${pattern.source}`), 1000);
    // A chunk with a bad checksum anywhere, not only in IHDR.
    const bad = Buffer.from(good);
    bad[bad.length - 13] = bad[bad.length - 13]! ^ 1; // the last byte of the IDAT chunk's CRC
    rejects(() => readImage(bad, 'crc.png', rgb), 'crc.png', /^crc\.png: corrupt PNG: bad checksum \(CRC\) in the "IDAT" chunk$/);
  });

  test('JPEG frames a decoder must not trust', () => {
    const file = colourJpeg();
    const sof = file.indexOf(Buffer.from([0xff, 0xc0]));
    const patched = (at: number, value: number) => {
      const copy = Buffer.from(file);
      copy[at] = value;
      return copy;
    };
    const sofLength = file.readUInt16BE(sof + 2);
    const twoComponents = jpegComponents(file, 2);
    const twoFrames = Buffer.concat([file.subarray(0, sof), file.subarray(sof, sof + 2 + sofLength), file.subarray(sof)]);
    const sos = file.indexOf(Buffer.from([0xff, 0xda]));
    const eoi = file.lastIndexOf(Buffer.from([0xff, 0xd9]));
    const scan = file.subarray(sos, eoi);
    const manyScans = Buffer.concat([file.subarray(0, eoi), ...new Array<Buffer>(MAX_JPEG_PASSES).fill(scan), file.subarray(eoi)]);
    const cases: [Buffer, RegExp][] = [
      [patched(sof + 1, 0xc9), /^j\.jpg: unsupported JPEG: arithmetic-coded JPEGs are not read; save it as an ordinary JPEG or a PNG$/],
      [patched(sof + 1, 0xc3), /^j\.jpg: unsupported JPEG: lossless JPEGs are not read/],
      [patched(sof + 4, 12), /^j\.jpg: unsupported JPEG: 12-bit samples; only 8-bit JPEGs are read$/],
      [twoComponents, /^j\.jpg: unsupported JPEG: 2 colour components \(grey, YCbCr\/RGB and CMYK are read\)$/],
      [patched(sof + 11, 0x50), /^j\.jpg: corrupt JPEG: a sampling factor outside 1 to 4/],
      [patched(sof + 9, 200), /^j\.jpg: corrupt JPEG: a frame header \(SOF marker\) whose length does not match its components$/],
      [twoFrames, /^j\.jpg: unsupported JPEG: more than one frame \(SOF marker\)$/],
      [manyScans, new RegExp(`^j\\.jpg: corrupt JPEG: its scans cover the image ${MAX_JPEG_PASSES + 1} times \\(at most ${MAX_JPEG_PASSES} are decoded\\)$`)],
      [Buffer.concat([file.subarray(0, sof), file.subarray(sos)]), /^j\.jpg: corrupt JPEG: image data \(start-of-scan marker\) before the frame header/],
      [Buffer.concat([file.subarray(0, sos), file.subarray(eoi)]), /^j\.jpg: corrupt JPEG: no image data \(start-of-scan marker\)$/],
      [Buffer.from([0xff, 0xd8, 0xff, 0xd9]), /^j\.jpg: corrupt JPEG: no frame header \(SOF marker\)$/],
      [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0xff, 0xd9]), /^j\.jpg: corrupt JPEG: a segment length of 1 \(marker 0xFFE0\)$/],
    ];
    for (const [bytes, pattern] of cases) refusesFast(() => readImage(bytes, 'j.jpg', rgb), 'j.jpg', pattern, 1000);
    const stray = Buffer.concat([file.subarray(0, sof), Buffer.from([0x00, 0x12]), file.subarray(sof)]);
    rejects(() => readImage(stray, 's.jpg', rgb), 's.jpg', new RegExp(`^s\\.jpg: corrupt JPEG: no marker where one should be \\(at byte ${sof}\\)$`));
    // Where jpeg-js recovers, so does the check before it: a marker whose 0xFF ended the segment before it.
    const app = Buffer.from([0xff, 0xe2, 0x00, 0x04, 0x00, 0xff]); // an APP2 segment whose last byte is 0xFF
    const eaten = Buffer.concat([file.subarray(0, sof), app, file.subarray(sof + 1)]);
    assert.deepEqual(readImage(eaten, 'e.jpg', rgb), readImage(file, 'e.jpg', rgb));
  });
});

test('mutated PNGs of every kind, JPEGs and .npy headers give InputErrors, never other exceptions or hangs', () => {
  const random = seededRandom(2024);
  const samples = (n: number, max: number) => Array.from({ length: n }, () => Math.floor(random() * max));
  const bases: [string, Uint8Array][] = [
    ['png', encodePng({ width: 9, height: 7, colorType: 3, depth: 4, samples: samples(63, 16), palette: samples(48, 256), interlace: true })],
    ['png', encodePng({ width: 9, height: 7, colorType: 6, depth: 16, samples: samples(252, 65536), interlace: true })],
    ['png', encodePng({ width: 9, height: 7, colorType: 0, depth: 1, samples: samples(63, 2) })],
    ['png', encodePng({ width: 9, height: 7, colorType: 4, depth: 8, samples: samples(126, 256) })],
    ['jpg', jpg(17, 9, samples(17 * 9 * 4, 256), 60)],
    ['npy', npy('', '', new Uint8Array(24), { header: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` })],
    ['npy', npy('|u1', '(2, 3, 4)', new Uint8Array(24), { version: 3 })],
  ];
  const t0 = performance.now();
  for (let i = 0; i < 3000; i++) {
    const [kind, base] = bases[i % bases.length]!;
    const bytes = Buffer.from(base);
    for (let m = Math.floor(random() * 4); m >= 0; m--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    const input = random() < 0.3 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : bytes;
    try {
      if (kind === 'npy') readNpy(input, 'f.npy');
      else if (i % 3 === 0) decodeImage(input, `f.${kind}`);
      else readImage(input, `f.${kind}`, { channels: i % 2 ? 1 : 3, height: 5, width: 6 });
    } catch (e) {
      assert.ok(e instanceof InputError, `iteration ${i} (${kind}): ${e instanceof Error ? e.stack : String(e)}`);
      assert.match(e.message, /^f\.(png|jpg|npy): /);
    }
  }
  assert.ok(performance.now() - t0 < 20_000);
});

// ---- hostile .npy headers ----

describe('readNpy: headers a parser must not trust', () => {
  /** A .npy file with exactly this header text (not padded), version 1 or 2 by its length. */
  const rawNpy = (header: string | Uint8Array, data: Uint8Array = new Uint8Array(0), version?: 1 | 2): Buffer => {
    const text = typeof header === 'string' ? Buffer.from(header, 'latin1') : Buffer.from(header);
    const v = version ?? (text.length > 65535 ? 2 : 1);
    const pre = Buffer.alloc(v === 1 ? 10 : 12);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, v, 0]).copy(pre);
    if (v === 1) pre.writeUInt16LE(text.length, 8);
    else pre.writeUInt32LE(text.length, 8);
    return Buffer.concat([pre, text, data]);
  };
  const dict = (shape: string) => `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;

  test('a 2 MB header is refused by its length, as NumPy refuses it', () => {
    assert.equal(MAX_HEADER_SIZE, 10_000);
    const nested = dict('['.repeat(2_000_000));
    const message = refusesFast(() => readNpy(rawNpy(nested), 'deep.npy'), 'deep.npy', /.*/, 1000);
    assert.equal(
      message,
      `deep.npy: bad .npy header: it is ${nested.length} bytes long, and at most 10000 are read (NumPy's own limit, ` +
        `max_header_size); np.save writes short headers: save the array again with np.save`,
    );
    // Refused from the length field alone, even when the file is cut short.
    refusesFast(() => readNpy(rawNpy(nested).subarray(0, 100), 'cut.npy'), 'cut.npy', /it is \d+ bytes long/, 1000);
    refusesFast(() => readNpy(rawNpy(dict('(3,)') + ' '.repeat(20_000), new Uint8Array(12)), 'big.npy'), 'big.npy', /it is 20\d{3} bytes long/, 1000);
  });

  test('headers up to the limit parse; nesting is bounded', () => {
    const padded = (text: string, length: number) => text + ' '.repeat(length - 1 - text.length) + '\n';
    const at = readNpy(rawNpy(padded(dict('(3,)'), 10_000), new Uint8Array(12)), 'ok.npy');
    assert.deepEqual(at.shape, [3]);
    rejects(() => readNpy(rawNpy(padded(dict('(3,)'), 10_001), new Uint8Array(12)), 'over.npy'), 'over.npy', /it is 10001 bytes long/);
    for (const open of ['[', '(', '{']) {
      refusesFast(() => readNpy(rawNpy(dict(open.repeat(9000))), 'deep.npy'), 'deep.npy', /^deep\.npy: bad \.npy header \(brackets nested more than 32 deep at character \d+\)/, 1000);
    }
    const structured = `{'descr': [('a', [('b', [('c', '<f4')])])], 'fortran_order': False, 'shape': (3,), }`;
    rejects(() => readNpy(rawNpy(structured, new Uint8Array(12)), 's.npy'), 's.npy', /structured arrays/);
  });

  test('binary garbage, truncated and odd headers give one message', () => {
    const random = seededRandom(5);
    const alphabet = "{}[](),:'\" TrueFalseNone0123456789-L\n\0\x93\xff";
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 200);
      const header =
        i % 2
          ? Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)))
          : Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]!).join('');
      try {
        readNpy(rawNpy(header, new Uint8Array(Math.floor(random() * 16)), i % 3 === 0 ? 2 : 1), 'g.npy');
      } catch (e) {
        assert.ok(e instanceof InputError, `header ${i}: ${e instanceof Error ? e.stack : String(e)}`);
        assert.match(e.message, /^g\.npy: /);
      }
    }
    const cases: [string, RegExp][] = [
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (3,), ", /bad \.npy header \(unexpected end at character \d+\)/],
      ["{'descr' '<f4'}", /bad \.npy header \(expected ':' at character 10\)/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} extra", /unexpected text after the dict/],
      ["{'descr': '<f4', 'fortran_order': 'yes', 'shape': (3,)}", /'fortran_order' is not True or False/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': 3}", /'shape' is not a tuple of non-negative integers/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (1e3,)}", /bad \.npy header \(expected ',' or '\)'/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", /'shape' is not a tuple of non-negative integers/],
      ["['descr', '<f4']", /bad \.npy header \(not a dict\)/],
      ["{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (3,)}", /unsupported dtype '<M8\[ns\]' \(datetime\)/],
      ["{'descr': '<c16', 'fortran_order': False, 'shape': (3,)}", /unsupported dtype '<c16' \(complex\)/],
      ["{'descr': '|V16', 'fortran_order': False, 'shape': (3,)}", /unsupported dtype '\|V16' \(void\/structured\)/],
      ["{'descr': '<f16', 'fortran_order': False, 'shape': (3,)}", /unsupported dtype '<f16'; save it as float32/],
    ];
    for (const [header, pattern] of cases) rejects(() => readNpy(rawNpy(header, new Uint8Array(12)), 'h.npy'), 'h.npy', pattern);
  });

  test('a shape that claims more values than the file holds', () => {
    rejects(
      () => readNpy(rawNpy(dict('(1000000000, 1000000000)'), new Uint8Array(12)), 's.npy'),
      's.npy',
      /^s\.npy: truncated \.npy file: shape \(1000000000, 1000000000\) of '<f4' needs 4000000000000000000 bytes of data, the file has 12$/,
    );
    rejects(() => readNpy(rawNpy(dict('(0, 5)'), new Uint8Array(12)), 'e.npy'), 'e.npy', /needs 0 bytes of data, the file has 12$/);
    assert.deepEqual(readNpy(rawNpy(dict('(0, 5)')), 'e.npy').shape, [0, 5]);
  });
});
