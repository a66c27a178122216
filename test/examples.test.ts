import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, stride, summaryJson } from './lib/cli.js';

const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.stride')).sort();

// torchvision's counts: sum(p.numel() for p in model.parameters()) and its "GFLOPS" column (conv and
// linear weight multiplications at 224x224).
const TORCHVISION: Record<string, { params: number; macs?: number }> = {
  'lenet5.stride': { params: 61_706 },
  'alexnet.stride': { params: 61_100_840, macs: 714_188_480 },
  'vgg16.stride': { params: 138_357_544, macs: 15_470_264_320 },
  'resnet18.stride': { params: 11_689_512, macs: 1_814_073_344 },
  'resnet50.stride': { params: 25_557_032, macs: 4_089_184_256 },
  'mobilenetv2.stride': { params: 3_504_872, macs: 300_774_272 },
  // The modern zoo (torchvision 0.14, weights=None; MACs counted with forward hooks on its conv and linear layers).
  'mobilenetv3-large.stride': { params: 5_483_032, macs: 216_589_760 },
  'efficientnet-b0.stride': { params: 5_288_548, macs: 385_814_752 },
  'shufflenetv2.stride': { params: 2_278_604, macs: 144_907_992 },
  'convnext-tiny.stride': { params: 28_589_128, macs: 4_455_531_264 },
  'densenet121.stride': { params: 7_978_856, macs: 2_834_161_664 },
};

test('every example analyses without errors or warnings, to a known output', () => {
  assert.ok(examples.length >= 12, `examples: ${examples.join(', ')}`);
  for (const name of examples) {
    const { status, json } = summaryJson(join(ROOT, 'examples', name));
    assert.deepEqual(json.diagnostics, [], name);
    assert.equal(status, 0, name);
    for (const n of json.networks) {
      assert.ok(n.complete, `${name}: ${n.name} is complete`);
      assert.ok(n.output && n.output.every((d) => d > 0), `${name}: ${n.name} has an output`);
    }
  }
});

for (const [name, want] of Object.entries(TORCHVISION)) {
  test(`${name} matches torchvision: ${want.params.toLocaleString('en-US')} params${want.macs ? `, ${want.macs.toLocaleString('en-US')} MACs` : ''}`, () => {
    const [n] = summaryJson(join(ROOT, 'examples', name)).json.networks;
    assert.equal(n.trainableParams, want.params);
    if (want.macs !== undefined) assert.equal(n.macs, want.macs);
  });
}

test('the AlexNet of the notes starts 227x227x3 → 55x55x96 with 34,944 params', () => {
  const [n] = summaryJson(join(ROOT, 'examples/alexnet-notes.stride')).json.networks;
  const conv1 = n.layers.find((l) => l.op === 'conv')!;
  assert.deepEqual(n.layers[0].shape, [227, 227, 3]);
  assert.deepEqual(conv1.shape, [55, 55, 96]);
  assert.equal(conv1.params, 34_944);
  assert.equal(conv1.unsharedParams, 105_705_600);
});

test('BatchNorm running statistics are counted apart from the trainable parameters', () => {
  const [n] = summaryJson(join(ROOT, 'examples/resnet18.stride')).json.networks;
  // 20 batchnorms over 4,800 channels in all: 2 running statistics each.
  assert.equal(n.nonTrainableParams, 9_600);
  assert.equal(n.params, n.trainableParams + n.nonTrainableParams);
});

// Every face on every example: each network runs through `stride run` as a user runs it, once plain and
// once capturing feature maps, and ONNX Runtime's shapes are the analysis's.
for (const name of examples) {
  test(`${name}: every network runs with stride run, with and without feature-map capture`, () => {
    const file = join(ROOT, 'examples', name);
    const { json } = summaryJson(file);
    for (const n of json.networks) {
      const which = json.networks.length > 1 ? ['--network', n.name] : [];
      const plain = stride(['run', file, ...which, '--ep', 'cpu', '--iterations', '0', '--json']);
      assert.equal(plain.status, 0, `${name} ${n.name}: ${plain.stderr}`);
      const report = JSON.parse(plain.stdout);
      const nchw = (s: number[]) => (s.length === 3 ? [1, s[2], s[0], s[1]] : [1, ...s]);
      assert.deepEqual(report.output.shape, nchw(n.output!), `${name} ${n.name}: output`);
      // The first layer after the input, one in the middle and the last but one: early, deep and late maps.
      const layers = n.layers.filter((l) => l.op !== 'input' && l.shape);
      const chosen = [...new Set([layers[0], layers[Math.floor(layers.length / 2)], layers[Math.max(0, layers.length - 2)]])];
      const captured = stride(['run', file, ...which, '--ep', 'cpu', '--iterations', '0', '--capture', chosen.map((l) => l.name).join(','), '--json']);
      assert.equal(captured.status, 0, `${name} ${n.name} --capture: ${captured.stderr}`);
      const maps = (JSON.parse(captured.stdout).captures ?? []) as { name: string; shape: number[] }[];
      assert.deepEqual(maps.map((m) => [m.name, m.shape]), chosen.filter((l) => l !== layers[layers.length - 1]).map((l) => [l.name, nchw(l.shape!)]), `${name} ${n.name}: captures`);
    }
  });
}
