import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomic, WriteError } from '../runtime/write-file.js';
import { ROOT, stride } from './lib/cli.js';

// The user's files are never lost: no write onto a file being read, no silent replacement, and a write
// that fails leaves the previous file as it was.
const dir = mkdtempSync(join(tmpdir(), 'stride-writes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SOURCE = readFileSync(join(ROOT, 'examples/lenet5.stride'), 'utf8');

function fresh(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  const src = join(d, 'a.stride');
  writeFileSync(src, SOURCE);
  return src;
}

test('export -o onto the source file is refused and the source is intact', () => {
  const src = fresh('onto-source');
  for (const out of [src, join(dir, 'onto-source', '.', 'a.stride')]) {
    const r = stride(['export', src, '-o', out]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^stride: refusing to write .*a\.stride: it is the source file; give another path\n$/);
    assert.equal(readFileSync(src, 'utf8'), SOURCE);
  }
  // Nor onto the weights file it reads, nor may run's --output overwrite the input.
  const weights = join(dir, 'onto-source', 'w.onnx');
  assert.equal(stride(['export', src, '-o', weights]).status, 0);
  const before = readFileSync(weights);
  const r = stride(['export', src, '--weights', weights, '-o', weights]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /it is the weights file/);
  assert.deepEqual(readFileSync(weights), before);
  const input = join(dir, 'onto-source', 'in.npy');
  copyFileSync(join(ROOT, 'test/fixtures/weights/lenet5-input.npy'), input);
  const onto = stride(['run', src, '--input', input, '--output', input]);
  assert.equal(onto.status, 2);
  assert.match(onto.stderr, /it is the input file/);
});

test('an existing .onnx is replaced only when its path is given with -o', () => {
  const src = fresh('existing');
  const onnx = src.replace(/\.stride$/, '.onnx');
  writeFileSync(onnx, 'trained weights');
  const r = stride(['export', src]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `stride: ${onnx} already exists; to replace it, give its path with -o ${onnx} (or choose another path with -o)\n`);
  assert.equal(readFileSync(onnx, 'utf8'), 'trained weights');
  const replaced = stride(['export', src, '-o', onnx]);
  assert.equal(replaced.status, 0, replaced.stderr);
  assert.match(replaced.stdout, /^wrote .*a\.onnx: network LeNet5, opset 21/);
  assert.notEqual(readFileSync(onnx, 'utf8'), 'trained weights');
  // Without -o, a new file is written.
  const other = fresh('new');
  assert.equal(stride(['export', other]).status, 0);
  assert.ok(statSync(other.replace(/\.stride$/, '.onnx')).size > 200_000);
});

test('a write that cannot be done names the path and the reason, and leaves nothing behind', () => {
  const src = fresh('unwritable');
  const out = join(dir, 'unwritable', 'no-such-folder', 'x.onnx');
  const r = stride(['export', src, '-o', out]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `stride: cannot write ${out}: its folder does not exist (ENOENT); nothing was changed\n`);
  assert.deepEqual(readdirSync(join(dir, 'unwritable')), ['a.stride']);
});

test('a write that fails part-way leaves the previous file intact and no temporary file', () => {
  const d = join(dir, 'partial');
  mkdirSync(d);
  const target = join(d, 'model.onnx');
  writeFileSync(target, 'the good model');
  // The second chunk fails: the failure comes after the first chunk's bytes went out.
  const failing = { get length(): number { throw new Error('the device went away'); } } as unknown as Uint8Array;
  assert.throws(() => writeFileAtomic(target, [new Uint8Array(1000), failing]), (e: unknown) => e instanceof WriteError && e.message.startsWith(`cannot write ${target}: `));
  assert.equal(readFileSync(target, 'utf8'), 'the good model');
  assert.deepEqual(readdirSync(d), ['model.onnx']);
});

test('a full disk leaves the previous .onnx intact', (t) => {
  const d = join(dir, 'full');
  mkdirSync(d);
  // A 64 KiB file system: a real ENOSPC. Mounting needs root; elsewhere the part-way test above stands in.
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d]);
  if (mount.status !== 0) return t.skip('mounting a small tmpfs needs root');
  try {
    const src = join(d, 'a.stride');
    writeFileSync(src, 'network D {\n  input 4\n  dense 2\n}\n');
    const onnx = join(d, 'a.onnx');
    assert.equal(stride(['export', src, '-o', onnx]).status, 0);
    const good = readFileSync(onnx);
    writeFileSync(join(d, 'big.stride'), 'network D {\n  input 64\n  dense 1000\n}\n');
    const r = stride(['export', join(d, 'big.stride'), '-o', onnx]);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `stride: cannot write ${onnx}: the disk is full (ENOSPC); nothing was changed\n`);
    assert.deepEqual(readFileSync(onnx), good);
    assert.deepEqual(readdirSync(d).sort(), ['a.onnx', 'a.stride', 'big.stride']);
  } finally {
    spawnSync('umount', [d]);
  }
});
