import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyze } from '../language/index.js';
import { declaredWeights, exportNetwork } from '../runtime/export.js';
import { readNpy } from '../runtime/npy.js';
import { loadWeights, WeightsError } from '../runtime/weights-file.js';
import { ROOT, stride } from './lib/cli.js';

// Weights by name from .safetensors and .onnx, checked against what the network declares. The files in
// test/fixtures/weights were written by the official safetensors library and PyTorch, not by Stride.
const FIXTURES = join(ROOT, 'test/fixtures/weights');
const dir = mkdtempSync(join(tmpdir(), 'stride-weights-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { files: Record<string, { network: string; tensors: Record<string, number[] | number[][]>; first_byte: number }> };

const a = analyze('network N {\n  input 4x4x2\n  conv 3 3x3 pad 1\n  batchnorm\n  flatten\n  dense 5 nobias\n}\n');
const net = a.networks[0];
const specs = declaredWeights(a, net);

/** A safetensors file built by hand, for the hostile cases the official library would never write. */
function safetensors(header: unknown, body = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

function npy(file: string): { shape: number[]; data: Float32Array } {
  return readNpy(readFileSync(file), file);
}

/** max |a − b| / max |b|: how far a result is from the reference, relative to the reference's scale. */
function relativeError(got: Float32Array, want: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

for (const [name, f] of Object.entries(manifest.files).filter(([, f]) => f.network === 'dense.stride')) {
  test(`${name} (written by safetensors, first byte ${f.first_byte}) loads the values it holds`, () => {
    const da = analyze(readFileSync(join(FIXTURES, f.network), 'utf8'));
    const loaded = loadWeights(readFileSync(join(FIXTURES, name)), name, declaredWeights(da, da.networks[0]));
    for (const [tensor, values] of Object.entries(f.tensors)) assert.deepEqual([...loaded.get(tensor)!], values.flat(), `${name}: ${tensor}`);
  });

  test(`stride run with ${name} gives x·Wᵀ + b`, () => {
    const out = join(dir, `${name}.npy`);
    const r = stride(['run', join(FIXTURES, 'dense.stride'), '--weights', join(FIXTURES, name), '--input', join(FIXTURES, 'dense-input.npy'), '--output', out, '--ep', 'cpu', '--iterations', '0']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(npy(out), npy(join(FIXTURES, 'dense-output.npy')));
  });
}

test('LeNet-5 with weights saved from PyTorch gives PyTorch\'s output within 1e-5', () => {
  const out = join(dir, 'lenet5-out.npy');
  const r = stride(['run', join(ROOT, 'examples/lenet5.stride'), '--weights', join(FIXTURES, 'lenet5.safetensors'), '--input', join(FIXTURES, 'lenet5-input.npy'), '--output', out, '--ep', 'cpu', '--iterations', '0']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote {5}.*lenet5-out\.npy/);
  const got = npy(out);
  const want = npy(join(FIXTURES, 'lenet5-output.npy'));
  assert.deepEqual(got.shape, [2, 10]);
  assert.ok(relativeError(got.data, want.data) <= 1e-5, `relative error ${relativeError(got.data, want.data)}`);
});

test('the format is told by extension and structure, never by the first byte', () => {
  const da = analyze(readFileSync(join(FIXTURES, 'dense.stride'), 'utf8'));
  const dspecs = declaredWeights(da, da.networks[0]);
  const want = loadWeights(readFileSync(join(FIXTURES, 'dense.safetensors')), 'dense.safetensors', dspecs);
  // A safetensors file under another name (first byte 0x08, as an ONNX model's is) and an ONNX model too.
  assert.deepEqual(loadWeights(readFileSync(join(FIXTURES, 'dense-first-byte-08.safetensors')), 'weights.bin', dspecs), want);
  const onnx = exportNetwork(da, da.networks[0], { weights: want }).bytes;
  assert.deepEqual(loadWeights(onnx, 'model.bin', dspecs), want);
  assert.deepEqual(loadWeights(onnx, 'model.onnx', dspecs), want);
});

test('an exported model\'s initializers are a weights file too: the round trip gives the same model', () => {
  const model = exportNetwork(a, net, { seed: 3 });
  assert.deepEqual(exportNetwork(a, net, { weights: loadWeights(model.bytes, 'm.onnx', specs) }).bytes, model.bytes);
});

test('every missing, extra or wrongly shaped tensor is named, with the closest expected name', () => {
  const f32 = (dims: number[]) => ({ dtype: 'F32', shape: dims, size: dims.reduce((x, d) => x * d, 1) * 4 });
  const tensors: Record<string, ReturnType<typeof f32>> = {};
  for (const w of specs) if (w.name !== 'conv_1.bias' && w.name !== 'dense_1.weight') tensors[w.name] = f32(w.dims);
  tensors['dense_1.weight'] = f32([5, 47]);
  tensors['conv1.bias'] = f32([3]);
  let offset = 0;
  const header = Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape, data_offsets: [offset, (offset += t.size)] }]));
  assert.throws(
    () => loadWeights(safetensors(header, new Uint8Array(offset)), 'bad.safetensors', specs),
    (e: unknown) => e instanceof WeightsError && e.message === 'bad.safetensors: 3 problems with the weights: missing conv_1.bias (3); dense_1.weight is 5×47, the network needs 5×48; extra conv1.bias: no layer has a weight of that name; the closest expected is conv_1.bias (3)',
  );
});

test('hostile safetensors files give one message that names the file and the problem', () => {
  const body = new Uint8Array(12);
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array([1, 2, 3]), /x\.safetensors: not a valid safetensors file: it has only 3 bytes/],
    ['header past the end', new Uint8Array([255, 0, 0, 0, 0, 0, 0, 0, 0x7b]), /header size 255 does not fit in the file's 9 bytes \(truncated\?\)/],
    ['header size past 2^53', new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 0x7b]), /header size 18446744073709551615 does not fit/],
    ['a null header', safetensors(null), /its header is not a JSON object/],
    ['a list header', safetensors([1]), /its header is not a JSON object/],
    ['not JSON', new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xff, 0x7d]), /its header is not JSON/],
    ['a null entry', safetensors({ 'conv_1.bias': null }), /the entry of tensor conv_1\.bias is not an object/],
    ['no shape', safetensors({ 'conv_1.bias': { dtype: 'F32', data_offsets: [0, 12] } }, body), /tensor conv_1\.bias has no valid shape/],
    ['a negative dim', safetensors({ 'conv_1.bias': { dtype: 'F32', shape: [-3], data_offsets: [0, 12] } }, body), /has no valid shape/],
    ['bad offsets', safetensors({ 'conv_1.bias': { dtype: 'F32', shape: [3], data_offsets: 'x' } }, body), /has no valid data_offsets/],
    ['wrong length', safetensors({ 'conv_1.bias': { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, body), /needs 12 bytes, its offsets give 8/],
    ['truncated data', safetensors({ 'conv_1.bias': { dtype: 'F32', shape: [3], data_offsets: [4, 16] } }, body), /ends at byte 16 of the data, which has 12 \(truncated\?\)/],
    ['an integer dtype', safetensors({ 'conv_1.bias': { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }), /tensor conv_1\.bias is I64; Stride reads F32, F64, F16 and BF16/],
  ];
  for (const [what, bytes, message] of cases) {
    assert.throws(() => loadWeights(bytes, 'x.safetensors', specs), (e: unknown) => e instanceof WeightsError && message.test(e.message), what);
  }
  assert.throws(() => loadWeights(new Uint8Array([8, 255, 255, 255]), 'x.onnx', specs), (e: unknown) => e instanceof WeightsError && /x\.onnx: not an ONNX model/.test(e.message));
  assert.throws(() => loadWeights(new Uint8Array(64).fill(0x41), 'w.bin', specs), (e: unknown) => e instanceof WeightsError && /w\.bin: neither a safetensors file nor an ONNX model/.test(e.message));
});

test('through the CLI a hostile weights file is one line and exit 1, never an internal error', () => {
  const bad = join(dir, 'null.safetensors');
  writeFileSync(bad, safetensors({ 'dense_1.weight': null }));
  const r = stride(['run', join(FIXTURES, 'dense.stride'), '--weights', bad, '--ep', 'cpu', '--iterations', '0']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `error: ${bad}: not a valid safetensors file: the entry of tensor dense_1.weight is not an object\n`);
});

test('--list-weights gives the names, shapes and dtypes a weights file must hold, and writes nothing', () => {
  const src = join(dir, 'lenet5.stride');
  copyFileSync(join(ROOT, 'examples/lenet5.stride'), src);
  const r = stride(['export', src, '--list-weights']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^network LeNet5: 10 tensors, float32/);
  assert.match(r.stdout, /\n {2}conv_1\.weight +6×1×5×5\n {2}conv_1\.bias +6\n/);
  const json = JSON.parse(stride(['export', src, '--list-weights', '--json']).stdout);
  assert.deepEqual(json.weights[0], { name: 'conv_1.weight', shape: [6, 1, 5, 5], dtype: 'float32' });
  // The names are those of the PyTorch-saved fixture: every tensor there is one of them.
  const fixture = readFileSync(join(FIXTURES, 'lenet5.safetensors'));
  const header = JSON.parse(new TextDecoder().decode(fixture.subarray(8, 8 + Number(new DataView(fixture.buffer, fixture.byteOffset).getBigUint64(0, true)))));
  assert.deepEqual(json.weights.map((w: { name: string }) => w.name).sort(), Object.keys(header).filter((k) => k !== '__metadata__').sort());
  assert.equal(stride(['export', src, '--list-weights']).stdout, r.stdout);
  assert.throws(() => readFileSync(join(dir, 'lenet5.onnx')), /ENOENT/);
});
