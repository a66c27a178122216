import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { readImage } from '../runtime/image.js';
import { InputError } from '../runtime/input-error.js';
import { matchShape, readNpy } from '../runtime/npy.js';

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
    rejects(() => readImage(big, 'big.png', rgb), 'big.png', /^big\.png: the image is too large to read \(20000×20000 pixels; at most 100 megapixels\)$/);
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
