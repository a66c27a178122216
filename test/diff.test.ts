import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NetworkDiff } from '../language/views/diff.js';
import { matchSequences } from '../language/views/diff.js';
import { stride, summaryJson } from './lib/cli.js';

// `stride diff`: pairs of networks with known answers, through the command and its --json; the deltas
// against each version's own `stride summary --json`.

const dir = mkdtempSync(join(tmpdir(), 'stride-diff-'));
let n = 0;
function file(text: string): string {
  const p = join(dir, `v${++n}.stride`);
  writeFileSync(p, text);
  return p;
}

type Json = NetworkDiff & { a: { file: string; network: string }; b: { file: string; network: string } };
function diff(a: string, b: string, extra: string[] = []): Json {
  const r = stride(['diff', a, b, '--json', ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

const BASE = `block Unit(c) {
  conv c 3x3 pad 1
  relu
}
network Net {
  input 32x32x3
  conv 16 3x3 pad 1
  relu
  Unit 16
  Unit 32
  maxpool 2x2
  concat {
    branch { conv 8 1x1 }
    branch { conv 8 3x3 pad 1 }
  }
  flatten
  dense 10
}
`;

const statuses = (d: Json) => d.layers.map((l) => `${l.status[0]} ${(l.b ?? l.a)!.name}`);

test('a layer inserted: one added, nothing after it misaligned', () => {
  const a = file(BASE);
  const b = file(BASE.replace('  relu\n  Unit 16', '  relu\n  batchnorm\n  Unit 16'));
  const d = diff(a, b);
  assert.deepEqual(d.counts, { added: 1, removed: 0, changed: 0, same: d.layers.length - 1 });
  assert.deepEqual(d.layers.filter((l) => l.status !== 'same').map((l) => [l.status, l.b!.name, l.b!.op, l.b!.line]), [['added', 'batchnorm_1', 'batchnorm', 9]]);
  // Lines after it moved by one; they are the same layers.
  const dense = d.layers.find((l) => l.b?.op === 'dense')!;
  assert.equal(dense.status, 'same');
  assert.deepEqual([dense.a!.line, dense.b!.line], [17, 18]);
  const params = d.totals.find((t) => t.field === 'params')!;
  // A batchnorm of 16 channels: its scale and shift, and its running mean and variance.
  assert.deepEqual([params.a, params.b, params.delta], [summaryJson(a).json.networks[0].params, summaryJson(b).json.networks[0].params, 4 * 16]);
});

test('a layer removed', () => {
  const d = diff(file(BASE), file(BASE.replace('  maxpool 2x2\n', '')));
  const removed = d.layers.filter((l) => l.status === 'removed');
  assert.deepEqual(removed.map((l) => l.a!.name), ['maxpool_1']);
  // Without the pool, everything after it is 4x larger.
  const dense = d.layers.find((l) => l.b?.op === 'dense')!;
  assert.equal(dense.status, 'changed');
  const params = dense.changes.find((c) => c.field === 'params')!;
  assert.deepEqual([params.a, params.b, params.delta], [16 * 16 * 16 * 10 + 10, 32 * 32 * 16 * 10 + 10, (32 * 32 - 16 * 16) * 16 * 10]);
});

test('a kernel changed: that layer\'s text, params, MACs and field, and the fields after it', () => {
  const d = diff(file(BASE), file(BASE.replace('  conv 16 3x3 pad 1\n', '  conv 16 5x5 pad 2\n')));
  const conv = d.layers.find((l) => l.a?.name === 'conv_1')!;
  assert.equal(conv.status, 'changed');
  const by = Object.fromEntries(conv.changes.map((c) => [c.field, c]));
  assert.deepEqual(Object.keys(by).sort(), ['macs', 'params', 'receptiveField', 'text']);
  assert.deepEqual([by.text.a, by.text.b], ['conv 16 3x3 pad 1', 'conv 16 5x5 pad 2']);
  assert.equal(by.params.delta, 16 * 3 * (25 - 9));
  assert.equal(by.macs.delta, 32 * 32 * 16 * 3 * (25 - 9));
  assert.deepEqual([by.receptiveField.a, by.receptiveField.b], [3, 5]);
  assert.ok(d.layers.filter((l) => l.status === 'changed').every((l) => l.changes.some((c) => c.field === 'receptiveField')));
  assert.equal(d.counts.added + d.counts.removed, 0);
});

test('a block\'s parameter changed: every call changes', () => {
  const text = BASE.replace('block Unit(c) {\n  conv c 3x3 pad 1', 'block Unit(c) {\n  conv c*2 3x3 pad 1');
  const d = diff(file(BASE), file(text));
  const units = d.layers.filter((l) => l.a?.name.startsWith('Unit_') && l.a.op === 'conv');
  assert.equal(units.length, 2);
  for (const [i, c] of [16, 32].entries()) {
    const shape = units[i].changes.find((x) => x.field === 'shape')!;
    assert.deepEqual([shape.a, shape.b], [[32, 32, c], [32, 32, 2 * c]]);
    assert.deepEqual(units[i].changes.find((x) => x.field === 'text')!.a, 'conv c 3x3 pad 1');
  }
});

test('a repeat count changed: the new repetition is added, the rest aligned', () => {
  const a = BASE.replace('  Unit 16\n', '  repeat 2 { Unit 16 }\n');
  const b = BASE.replace('  Unit 16\n', '  repeat 3 { Unit 16 }\n');
  const d = diff(file(a), file(b));
  assert.equal(d.counts.added, 2, statuses(d).join('\n'));
  assert.deepEqual(d.layers.filter((l) => l.status === 'added').map((l) => l.b!.op), ['conv', 'relu']);
  assert.equal(d.counts.removed, 0);
  assert.equal(d.totals.find((t) => t.field === 'layers')!.delta, 2);
  assert.equal(d.totals.find((t) => t.field === 'params')!.delta, 16 * 16 * 9 + 16);
});

test('a branch added to a concat: its layers added, the concat and what reads it changed', () => {
  const d = diff(file(BASE), file(BASE.replace('    branch { conv 8 3x3 pad 1 }\n', '    branch { conv 8 3x3 pad 1 }\n    branch { maxpool 3x3 stride 1 pad 1 }\n')));
  assert.deepEqual(d.layers.filter((l) => l.status === 'added').map((l) => l.b!.op), ['maxpool']);
  const concat = d.layers.find((l) => l.b?.op === 'concat')!;
  assert.deepEqual(concat.changes.find((c) => c.field === 'shape')!.b, [16, 16, 48]);
  const dense = d.layers.find((l) => l.b?.op === 'dense')!;
  assert.equal(dense.changes.find((c) => c.field === 'params')!.delta, 16 * 16 * 32 * 10);
  const macs = d.totals.find((t) => t.field === 'macs')!;
  assert.equal(macs.delta, 16 * 16 * 32 * 10);
});

test('the memory figures follow --batch and --optimizer', () => {
  const a = file(BASE);
  const b = file(BASE.replace('  dense 10', '  dense 100'));
  const d = diff(a, b, ['--batch', '8', '--optimizer', 'adam']);
  assert.deepEqual(d.memory, { batch: 8, dtype: 'float32', optimizer: 'adam' });
  const training = d.totals.find((t) => t.field === 'training')!;
  const want = (f: string) => summaryJson(f, ['--batch', '8', '--optimizer', 'adam']).json.networks[0].memory.training as number;
  assert.deepEqual([training.a, training.b], [want(a), want(b)]);
});

test('--rev REV compares with the committed version; a usage or file problem exits 2', () => {
  const repo = mkdtempSync(join(tmpdir(), 'stride-diff-git-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, stdio: 'pipe' });
  git('init', '-q');
  writeFileSync(join(repo, 'net.stride'), BASE);
  git('add', 'net.stride');
  git('commit', '-qm', 'first');
  writeFileSync(join(repo, 'net.stride'), BASE.replace('  dense 10', '  dense 20'));
  const r = stride(['diff', join(repo, 'net.stride'), '--rev', 'HEAD']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /net\.stride@HEAD → .*net\.stride: network Net/);
  assert.match(r.stdout, /~ dense_1 \(dense, line 17\)\n {6}as written dense 10 → dense 20\n {6}output 10 → 20\n {6}params 40,970 → 81,940 \(\+40,970\)/);
  assert.match(r.stdout, /0 added, 0 removed, 1 changed, \d+ the same/);
  const bad = stride(['diff', join(repo, 'net.stride'), '--rev', 'nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /cannot read .*net\.stride at nope/);
  assert.equal(stride(['diff', join(repo, 'net.stride')]).status, 2);
  assert.equal(stride(['diff', join(repo, 'net.stride'), join(repo, 'missing.stride')]).status, 2);
});

test('the alignment is a shortest edit script', () => {
  assert.deepEqual(matchSequences(['a', 'b', 'c'], ['a', 'x', 'b', 'c']), [[0, 0], [1, 2], [2, 3]]);
  assert.deepEqual(matchSequences([], ['a']), []);
  assert.deepEqual(matchSequences(['a', 'b'], []), []);
  assert.deepEqual(matchSequences(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c']).length, 4);
});
