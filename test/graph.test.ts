import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../language/analysis/analyze.js';
import { shapeText } from '../language/analysis/layer.js';
import { buildGraph, type GraphNetwork } from '../language/views/graph.js';
import { ROOT } from './lib/cli.js';

// The diagram model the graph editor draws: one node per executed layer, one edge per tensor read, groups for
// repeats and block calls.

const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.stride')).sort();

/** What must hold of every diagram, whatever the network. */
function checkWellFormed(net: GraphNetwork, what: string): void {
  const ids = new Set(net.nodes.map((n) => n.id));
  assert.equal(ids.size, net.nodes.length, `${what}: node ids are unique`);
  for (const e of net.edges) assert.ok(ids.has(e.from) && ids.has(e.to), `${what}: edge ${e.from} → ${e.to} joins nodes`);
  const groups = new Map(net.groups.map((g) => [g.id, g]));
  const seen = new Set<string>();
  for (const g of net.groups) {
    if (g.parent) assert.ok(seen.has(g.parent), `${what}: group ${g.id}'s parent ${g.parent} comes first`);
    seen.add(g.id);
  }
  for (const n of net.nodes) if (n.group) assert.ok(groups.has(n.group), `${what}: ${n.id}'s group ${n.group} exists`);
  // A group counts every layer beneath it.
  const counted = new Map<string, number>();
  for (const n of net.nodes) for (let g = n.group; g; g = groups.get(g)?.parent) counted.set(g, (counted.get(g) ?? 0) + 1);
  for (const g of net.groups) assert.equal(g.layers, counted.get(g.id), `${what}: group ${g.id} counts its layers`);
}

test('every example: one node per layer, one shape-labelled edge per input, well-formed groups', () => {
  for (const name of examples) {
    const a = analyze(readFileSync(join(ROOT, 'examples', name), 'utf8'));
    const g = buildGraph(a);
    assert.equal(g.networks.length, a.networks.length, name);
    g.networks.forEach((net, i) => {
      const layers = a.networks[i].layers;
      assert.equal(net.nodes.length, layers.length, `${name}: ${net.name}`);
      assert.equal(net.edges.length, layers.reduce((s, l) => s + l.inputs.length, 0), `${name}: ${net.name} edges`);
      assert.ok(net.edges.every((e) => /^\d+(x\d+)*$/.test(e.shape ?? '')), `${name}: every edge has a shape`);
      assert.ok(net.nodes.every((n) => n.shape !== undefined && n.diagnostics.length === 0), `${name}: every node has a shape`);
      checkWellFormed(net, `${name}: ${net.name}`);
    });
    assert.deepEqual(g.diagnostics, [], name);
  }
});

test('ResNet-50: block calls inside repeats, with the costs the summary reports', () => {
  const a = analyze(readFileSync(join(ROOT, 'examples/resnet50.stride'), 'utf8'));
  const net = buildGraph(a).networks[0];
  const blocks = net.groups.filter((g) => g.kind === 'block');
  const repeats = net.groups.filter((g) => g.kind === 'repeat');
  assert.equal(blocks.length, 16, 'sixteen bottlenecks');
  assert.deepEqual(repeats.map((g) => `${g.label} (${g.layers})`), ['repeat 2 (20)', 'repeat 3 (30)', 'repeat 5 (50)', 'repeat 2 (20)']);
  assert.equal(net.trainableParams, 25_557_032);
  assert.equal(net.nodes.reduce((s, n) => s + n.macs, 0), 4_089_184_256);
  assert.ok(Math.abs(net.nodes.reduce((s, n) => s + n.macsShare, 0) - 1) < 1e-9, 'MAC shares add up to 1');
  const stem = net.nodes.find((n) => n.id === 'conv_1')!;
  assert.deepEqual([stem.label, stem.shape, stem.params, stem.bytes], ['64 7x7 stride 2 pad 3 nobias', '112x112x64', 9408, 112 * 112 * 64 * 4]);
});

test('groups nest: a repeat inside a block called from a repeat, each call its own group', () => {
  const text = `block Pair(c) {
  repeat 2 { conv c 3x3 pad 1; relu }
}
network N {
  input 8x8x3
  repeat 2 {
    Pair 4
  }
  maxpool 2x2
}
`;
  const net = buildGraph(analyze(text)).networks[0];
  checkWellFormed(net, 'N');
  assert.deepEqual(
    net.groups.map((g) => `${g.id}<${g.parent ?? ''}> ${g.kind} "${g.label}" ${g.layers} @${g.line}`),
    ['repeat_1<> repeat "repeat 2" 8 @5', 'Pair_1<repeat_1> block "Pair 4" 4 @6', 'Pair_1.repeat_1<Pair_1> repeat "repeat 2" 4 @1', 'Pair_2<repeat_1> block "Pair 4" 4 @6', 'Pair_2.repeat_1<Pair_2> repeat "repeat 2" 4 @1'],
  );
  assert.deepEqual(net.nodes.map((n) => `${n.id}:${n.group ?? '-'}`), [
    'input_1:-',
    'Pair_1.conv_1:Pair_1.repeat_1', 'Pair_1.relu_1:Pair_1.repeat_1', 'Pair_1.conv_2:Pair_1.repeat_1', 'Pair_1.relu_2:Pair_1.repeat_1',
    'Pair_2.conv_1:Pair_2.repeat_1', 'Pair_2.relu_1:Pair_2.repeat_1', 'Pair_2.conv_2:Pair_2.repeat_1', 'Pair_2.relu_2:Pair_2.repeat_1',
    'maxpool_1:-',
  ]);
});

test('diagnostics sit on the nodes their statements made; the rest are the file\'s', () => {
  const text = `block B(c) {
  conv c 3x3 stride 2
}
network N {
  input 10x10x3
  B 4
  residual {
    conv 8 3x3 pad 1
  }
  relu %
}
`;
  const g = buildGraph(analyze(text));
  const net = g.networks[0];
  const add = net.nodes.find((n) => n.op === 'add')!;
  assert.deepEqual(add.diagnostics.map((d) => d.code), ['channel-mismatch']);
  const conv = net.nodes.find((n) => n.id === 'B_1.conv_1')!;
  assert.deepEqual(conv.diagnostics.map((d) => `${d.severity} ${d.code} @${d.line}`), ['warning stride-does-not-tile @1']);
  assert.deepEqual(g.diagnostics.map((d) => d.line), [9], 'the stray character is the file\'s');
  const unknown = buildGraph(analyze('network N {\n  input 8x8x1\n  rleu 2\n}\n')).networks[0].nodes[1];
  assert.deepEqual([unknown.op, unknown.label, unknown.diagnostics[0]?.code], ['unknown', 'rleu 2', 'unknown-op'], 'an unknown layer shows what was written');
});

test('the side panel\'s attributes: values as written, by key, flag or position; defaults otherwise', () => {
  const text = 'network N {\n  input 32x32x3\n  conv 16 3x3 stride=2 pad same nobias as x\n}\n';
  const g = buildGraph(analyze(text));
  const conv = g.networks[0].nodes[1];
  const s = g.statements[conv.stmt];
  const written = Object.fromEntries(s.attrs.filter((x) => x.value !== undefined).map((x) => [x.name, x.value]));
  assert.deepEqual(written, { channels: '16', kernel: '3x3', stride: '2', pad: 'same', nobias: 'true' });
  const dilation = s.attrs.find((x) => x.name === 'dilation')!;
  assert.deepEqual([dilation.value, dilation.default], [undefined, '1']);
});

test('a repeat inside a repeat is one group per outer pass, each a run of consecutive layers', () => {
  const text = 'network N {\n  input 32x32x3\n  repeat 2 {\n    repeat 2 { conv 4 3x3 pad 1; relu }\n    maxpool 2x2\n  }\n}\n';
  const net = buildGraph(analyze(text)).networks[0];
  checkWellFormed(net, 'N');
  assert.deepEqual(net.groups.map((g) => `${g.id}<${g.parent ?? ''}> ${g.layers}`), ['repeat_1<> 10', 'repeat_2<repeat_1> 4', 'repeat_2#2<repeat_1> 4']);
  assert.deepEqual(net.nodes.map((n) => n.group ?? '-').join(' '), '- repeat_2 repeat_2 repeat_2 repeat_2 repeat_1 repeat_2#2 repeat_2#2 repeat_2#2 repeat_2#2 repeat_1');
});

test("every example: a layer in a block shows its call's values, which make the same layer written alone", () => {
  let checked = 0;
  for (const name of examples) {
    for (const net of buildGraph(analyze(readFileSync(join(ROOT, 'examples', name), 'utf8'))).networks) {
      const inputs = new Map<string, string[]>();
      for (const e of net.edges) inputs.set(e.to, [...(inputs.get(e.to) ?? []), e.shape ?? '']);
      for (const n of net.nodes) {
        if (n.group === undefined) assert.equal(n.written, undefined, `${name}: ${n.id} is outside any block: shown as written`);
        if (n.written === undefined) continue;
        assert.notEqual(n.label, n.written, `${name}: ${n.id}`);
        const from = inputs.get(n.id) ?? [];
        if (from.length !== 1) continue;
        // The values alone, after an input of the shape the layer reads, give its shape and its parameters.
        const alone = analyze(`network T {\n  input ${from[0]}\n  ${n.op} ${n.label}\n}\n`);
        assert.deepEqual(alone.diagnostics, [], `${name}: ${n.id}: ${n.op} ${n.label}`);
        const layer = alone.networks[0].layers[1];
        assert.equal(shapeText(layer.facts!), n.shape, `${name}: ${n.id}: ${n.op} ${n.label} (written ${n.written})`);
        assert.equal(layer.facts!.params + (layer.facts!.buffers ?? 0), n.params, `${name}: ${n.id}: parameters`);
        checked++;
      }
    }
  }
  assert.ok(checked > 200, `${checked} layers checked`);
  const net = buildGraph(analyze(readFileSync(join(ROOT, 'examples/resnet50.stride'), 'utf8'))).networks[0];
  const down = net.nodes.find((n) => n.id === 'BottleneckDown_2.conv_4')!;
  assert.deepEqual([down.label, down.written], ['512 1x1 stride 2 nobias', 'c*4 1x1 stride stride nobias']);
});
