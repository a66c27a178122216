import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { analyze } from '../language/index.js';
import { exportNetwork } from '../runtime/export.js';
import { mulberry32 } from '../runtime/random.js';

// ONNX Runtime's outputs for exported layers against plain reference implementations written here, on small
// seeded random tensors (NCHW, batch 1), within 1e-4.

type Tensor4 = { c: number; h: number; w: number; data: Float32Array };

/** Seeded values in [−1, 1). */
function random(seed: number, n: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}

const at = (x: Tensor4, c: number, i: number, j: number) => (i < 0 || j < 0 || i >= x.h || j >= x.w ? 0 : x.data[(c * x.h + i) * x.w + j]);

interface ConvSpec {
  k: number;
  kh: number;
  kw: number;
  stride: [number, number];
  pads: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

function conv(x: Tensor4, w: Float32Array, b: Float32Array | undefined, s: ConvSpec): Tensor4 {
  const [t, l, bo, r] = s.pads;
  const oh = Math.floor((x.h + t + bo - s.dilation[0] * (s.kh - 1) - 1) / s.stride[0]) + 1;
  const ow = Math.floor((x.w + l + r - s.dilation[1] * (s.kw - 1) - 1) / s.stride[1]) + 1;
  const cinG = x.c / s.groups;
  const koutG = s.k / s.groups;
  const out = new Float32Array(s.k * oh * ow);
  for (let k = 0; k < s.k; k++) {
    const g = Math.floor(k / koutG);
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let sum = b ? b[k] : 0;
        for (let c = 0; c < cinG; c++)
          for (let u = 0; u < s.kh; u++)
            for (let v = 0; v < s.kw; v++) sum += w[((k * cinG + c) * s.kh + u) * s.kw + v] * at(x, g * cinG + c, i * s.stride[0] - t + u * s.dilation[0], j * s.stride[1] - l + v * s.dilation[1]);
        out[(k * oh + i) * ow + j] = sum;
      }
  }
  return { c: s.k, h: oh, w: ow, data: out };
}

/** Transposed conv: each input pixel scatters its kernel-weighted value into the output. */
function convTranspose(x: Tensor4, w: Float32Array, b: Float32Array, k: number, kh: number, stride: number, pad: number, outpad: number): Tensor4 {
  const full = (x.h - 1) * stride + kh + outpad;
  const oh = full - 2 * pad;
  const out = new Float32Array(k * oh * oh);
  for (let o = 0; o < k; o++) out.fill(b[o], o * oh * oh, (o + 1) * oh * oh);
  for (let c = 0; c < x.c; c++)
    for (let i = 0; i < x.h; i++)
      for (let j = 0; j < x.w; j++)
        for (let o = 0; o < k; o++)
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kh; v++) {
              const y = i * stride + u - pad;
              const z = j * stride + v - pad;
              if (y >= 0 && z >= 0 && y < oh && z < oh) out[(o * oh + y) * oh + z] += at(x, c, i, j) * w[((c * k + o) * kh + u) * kh + v];
            }
  return { c: k, h: oh, w: oh, data: out };
}

function pool(x: Tensor4, kind: 'max' | 'avg', kh: number, stride: number, pad: number, ceil: boolean, includePad: boolean): Tensor4 {
  const span = x.h + 2 * pad - kh;
  let oh = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceil && (oh - 1) * stride >= x.h + pad) oh--;
  const out = new Float32Array(x.c * oh * oh);
  for (let c = 0; c < x.c; c++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < oh; j++) {
        let best = -Infinity;
        let sum = 0;
        let count = 0;
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kh; v++) {
            const y = i * stride - pad + u;
            const z = j * stride - pad + v;
            const inside = y >= 0 && z >= 0 && y < x.h && z < x.w;
            const padded = y < x.h + pad && z < x.w + pad;
            if (inside) {
              best = Math.max(best, at(x, c, y, z));
              sum += at(x, c, y, z);
            }
            if (inside || (includePad && padded)) count++;
          }
        out[(c * oh + i) * oh + j] = kind === 'max' ? best : sum / count;
      }
  return { c: x.c, h: oh, w: oh, data: out };
}

/** Runs the one-layer network `line` on `input` with the given weights through an exported model. */
async function run(inputShape: string, line: string, input: Tensor4, weights: Record<string, Float32Array>): Promise<Float32Array> {
  const a = analyze(`network T {\n  input ${inputShape}\n  ${line}\n}\n`);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  const model = exportNetwork(a, a.networks[0], { weights: new Map(Object.entries(weights)) });
  const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['cpu'] });
  const out = await session.run({ input: new ort.Tensor('float32', input.data, [1, input.c, input.h, input.w]) });
  await session.release();
  return out[model.output.name].data as Float32Array;
}

function close(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: size`);
  for (let i = 0; i < actual.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-4 * Math.max(1, Math.abs(expected[i])), `${what}: [${i}] ${actual[i]} vs ${expected[i]}`);
}

const image = (c: number, h: number, seed: number): Tensor4 => ({ c, h, w: h, data: random(seed, c * h * h) });

test("the notes' example by hand: 5x5x3 padded by 1, two 3x3x3 filters at stride 2 → 3x3x2", async () => {
  const ones = { c: 3, h: 5, w: 5, data: new Float32Array(75).fill(1) };
  // Filter 1 all ones with bias 1, filter 2 all 0.5 with bias 0. Each window holds 2 or 3 real rows and
  // columns (the rest is padding): corners 2·2·3 = 12 pixels, edges 2·3·3 = 18, the centre 3·3·3 = 27.
  const w = new Float32Array(54);
  w.fill(1, 0, 27);
  w.fill(0.5, 27);
  const out = await run('5x5x3', 'conv 2 3x3 stride 2 pad 1', ones, { 'conv_1.weight': w, 'conv_1.bias': Float32Array.from([1, 0]) });
  close(out, Float32Array.from([13, 19, 13, 19, 28, 19, 13, 19, 13, 6, 9, 6, 9, 13.5, 9, 6, 9, 6]), 'notes conv');
});

const CONVS: [string, Partial<ConvSpec> & { k: number; kh: number; kw: number }, number, number][] = [
  ['conv 4 3x3', { k: 4, kh: 3, kw: 3 }, 3, 7],
  ['conv 4 3x3 stride 2 pad 1', { k: 4, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 1, 1] }, 3, 8],
  ['conv 2 3x3 dilation 2 pad 2', { k: 2, kh: 3, kw: 3, dilation: [2, 2], pads: [2, 2, 2, 2] }, 2, 9],
  ['conv 6 3x3 groups 3 pad 1', { k: 6, kh: 3, kw: 3, groups: 3, pads: [1, 1, 1, 1] }, 3, 6],
  ['conv 4 3x3 groups 4 pad 1', { k: 4, kh: 3, kw: 3, groups: 4, pads: [1, 1, 1, 1] }, 4, 6],
  ['conv 3 1x5 pad (0, 2, 0, 2)', { k: 3, kh: 1, kw: 5, pads: [0, 2, 0, 2] }, 2, 7],
  ['conv 2 3x3 stride 2 pad (1, 1, 0, 0)', { k: 2, kh: 3, kw: 3, stride: [2, 2], pads: [1, 1, 0, 0] }, 2, 8],
];

for (const [line, spec, cin, size] of CONVS) {
  test(`conv matches the reference: ${line}`, async () => {
    const s: ConvSpec = { stride: [1, 1], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1, ...spec };
    const x = image(cin, size, 11);
    const w = random(12, s.k * (cin / s.groups) * s.kh * s.kw);
    const b = random(13, s.k);
    close(await run(`${size}x${size}x${cin}`, line, x, { 'conv_1.weight': w, 'conv_1.bias': b }), conv(x, w, b, s).data, line);
  });
}

for (const [line, k, kh, stride, pad, outpad] of [
  ['convtranspose 3 4x4 stride 2 pad 1', 3, 4, 2, 1, 0],
  ['convtranspose 2 3x3 stride 2 pad 1 outpad 1', 2, 3, 2, 1, 1],
  ['convtranspose 2 2x2 stride 2', 2, 2, 2, 0, 0],
] as const) {
  test(`transposed conv matches the reference: ${line}`, async () => {
    const x = image(2, 4, 21);
    const w = random(22, 2 * k * kh * kh);
    const b = random(23, k);
    close(await run('4x4x2', line, x, { 'convtranspose_1.weight': w, 'convtranspose_1.bias': b }), convTranspose(x, w, b, k, kh, stride, pad, outpad).data, line);
  });
}

for (const [line, kind, kh, stride, pad, ceil, includePad] of [
  ['maxpool 2x2', 'max', 2, 2, 0, false, true],
  ['maxpool 3x3 stride 2 pad 1', 'max', 3, 2, 1, false, true],
  ['maxpool 3x3 stride 2 ceil', 'max', 3, 2, 0, true, true],
  ['avgpool 3x3 stride 2 pad 1', 'avg', 3, 2, 1, false, true],
  ['avgpool 3x3 stride 2 pad 1 exclude_pad', 'avg', 3, 2, 1, false, false],
  ['avgpool 2x2 ceil', 'avg', 2, 2, 0, true, true],
] as const) {
  test(`pooling matches the reference: ${line}`, async () => {
    const x = image(2, 7, 31);
    close(await run('7x7x2', line, x, {}), pool(x, kind, kh, stride, pad, ceil, includePad).data, line);
  });
}

test('dense matches the reference, in the C·H·W order of PyTorch\'s flatten', async () => {
  const x = image(3, 2, 41);
  const w = random(42, 5 * 12);
  const b = random(43, 5);
  const a = analyze('network T {\n  input 2x2x3\n  flatten\n  dense 5\n}\n');
  const model = exportNetwork(a, a.networks[0], { weights: new Map([['dense_1.weight', w], ['dense_1.bias', b]]) });
  const session = await ort.InferenceSession.create(model.bytes);
  const out = (await session.run({ input: new ort.Tensor('float32', x.data, [1, 3, 2, 2]) }))[model.output.name].data as Float32Array;
  await session.release();
  const expected = Float32Array.from({ length: 5 }, (_, o) => b[o] + x.data.reduce((s, v, i) => s + v * w[o * 12 + i], 0));
  close(out, expected, 'dense');
});
