import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyze } from '../language/index.js';
import { exportNetwork } from '../runtime/export.js';
import { lookupModel, modelKey, storeModel } from '../runtime/model-cache.js';
import { ROOT, stride } from './lib/cli.js';

// `stride run` keeps the model it exported (runtime/model-cache.ts) and runs it again while nothing it is
// made from has changed: the text, the network, the seed, the captured layers, the weights file.
const dir = mkdtempSync(join(tmpdir(), 'stride-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lenetText = readFileSync(join(ROOT, 'examples/lenet5.stride'), 'utf8');
const lenet = join(dir, 'lenet5.stride');
writeFileSync(lenet, lenetText);
// One input for every run, so that what a run gives depends on its model alone (a random input follows --seed).
const input = join(dir, 'x.npy');
const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 32, 32), }".padEnd(117, ' ') + '\n';
const values = Float32Array.from({ length: 32 * 32 }, (_, i) => ((i * 37) % 101) / 101);
writeFileSync(input, Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, header.length, 0]), Buffer.from(header), Buffer.from(values.buffer)]));

/** `stride run --json` with the cache in `cache`: the output's values and the entries left there. */
function run(cache: string, extra: string[] = [], file = lenet): { mean: number; entries: string[] } {
  const r = stride(['run', file, '--input', input, '--ep', 'cpu', '--iterations', '1', '--json', ...extra], undefined, { STRIDE_MODEL_CACHE: cache });
  assert.equal(r.status, 0, r.stderr);
  return { mean: (JSON.parse(r.stdout) as { output: { mean: number } }).output.mean, entries: models(cache) };
}

function models(cache: string): string[] {
  try {
    return readdirSync(cache).filter((f) => f.endsWith('.onnx'));
  } catch {
    return [];
  }
}

/** The model of seed `seed`, as `stride export` writes it. */
function exported(seed: number): Buffer {
  const out = join(dir, `seed${seed}.onnx`);
  assert.equal(stride(['export', lenet, '--seed', String(seed), '-o', out]).status, 0);
  return readFileSync(out);
}

test('a second run takes the kept model; a change to the text, seed or captures exports anew', () => {
  const cache = join(dir, 'again');
  const first = run(cache);
  assert.equal(first.entries.length, 1);
  // What runs the second time is the file kept: put seed 7's model (the same size) in its place.
  const kept = join(cache, first.entries[0]);
  writeFileSync(kept, exported(7));
  const seven = run(cache, ['--seed', '7']);
  assert.equal(run(cache).mean, seven.mean, 'the kept file ran');
  assert.notEqual(seven.mean, first.mean);
  assert.equal(run(cache, ['--seed', '7']).entries.length, 2, 'another seed is another model');
  writeFileSync(lenet, lenetText + '\n# a comment\n');
  const edited = run(cache);
  assert.equal(edited.mean, first.mean, 'the edited text is exported anew, with seed 0');
  assert.equal(edited.entries.length, 3);
  assert.equal(run(cache, ['--capture', 'conv_1']).entries.length, 4);
  writeFileSync(lenet, lenetText);
});

test('a kept model that no longer reads is exported again: cut short, or its bytes overwritten', () => {
  const cache = join(dir, 'broken');
  const { mean, entries } = run(cache);
  const kept = join(cache, entries[0]);
  truncateSync(kept, 1000);
  assert.equal(run(cache).mean, mean);
  assert.equal(statSync(kept).size, exported(0).length, 'written whole again');
  // The same size, not a model: ONNX Runtime cannot read it, the run exports it again and goes on.
  writeFileSync(kept, Buffer.alloc(statSync(kept).size, 0x5a));
  assert.equal(run(cache).mean, mean);
  assert.deepEqual(readFileSync(kept), exported(0));
  // A description that reads as JSON but says nothing of the model is no entry either.
  const described = kept.replace(/\.onnx$/, '.json');
  writeFileSync(described, JSON.stringify({ bytes: statSync(kept).size }));
  assert.equal(run(cache).mean, mean);
  assert.ok(JSON.parse(readFileSync(described, 'utf8')).info, 'described again');
});

test('a weights file rewritten in place is read again', () => {
  const cache = join(dir, 'weights');
  const weights = join(dir, 'weights.onnx');
  writeFileSync(weights, exported(3));
  const three = run(cache, ['--weights', weights]);
  writeFileSync(weights, exported(4));
  const four = run(cache, ['--weights', weights]);
  assert.notEqual(four.mean, three.mean);
  assert.equal(four.mean, run(cache, ['--seed', '4']).mean, 'the weights of seed 4 are seed 4\'s model');
});

test('without a cache the run goes on: switched off, or a folder that cannot be made', () => {
  const blocked = join(dir, 'a-file');
  writeFileSync(blocked, 'not a folder');
  const off = run('0');
  assert.equal(run(join(blocked, 'models')).mean, off.mean);
  assert.equal(readFileSync(blocked, 'utf8'), 'not a folder');
});

test('the least recently used entries go beyond the limits; temporaries a killed run left go after an hour', () => {
  const cache = join(dir, 'evict');
  const a = analyze(lenetText);
  const model = exportNetwork(a, a.networks[0]);
  const keys = Array.from({ length: 5 }, (_, i) => modelKey({ i }));
  const old = Date.now() / 1000 - 7200;
  writeFileSync(join(dir, 'x'), '');
  for (const [i, key] of keys.entries()) {
    assert.ok(storeModel(cache, key, model, { entries: 3, bytes: 1e9 }));
    // Each a second apart: the first is the least recently used.
    utimesSync(join(cache, `${key}.onnx`), old + i, old + i);
  }
  assert.deepEqual(models(cache).sort(), keys.slice(2).map((k) => `${k}.onnx`).sort());
  assert.ok(lookupModel(cache, keys[2]), 'a use makes it the most recent');
  writeFileSync(join(cache, 'stale.onnx.1234.tmp'), 'x');
  utimesSync(join(cache, 'stale.onnx.1234.tmp'), old, old);
  writeFileSync(join(cache, 'fresh.onnx.5678.tmp'), 'x');
  storeModel(cache, modelKey({ i: 5 }), model, { entries: 3, bytes: 1e9 });
  assert.deepEqual(models(cache).sort(), [keys[2], keys[4], modelKey({ i: 5 })].map((k) => `${k}.onnx`).sort());
  assert.ok(readdirSync(cache).includes('fresh.onnx.5678.tmp') && !readdirSync(cache).includes('stale.onnx.1234.tmp'));
  // Over the byte limit, only the entry just written is left.
  storeModel(cache, modelKey({ i: 6 }), model, { entries: 3, bytes: model.bytes.length });
  assert.deepEqual(models(cache), [`${modelKey({ i: 6 })}.onnx`]);
  assert.equal(readdirSync(cache).filter((f) => f.endsWith('.json')).length, 1, 'descriptions go with their models');
});

test('the run panel keeps its models too: the kept one runs again, one that no longer reads is exported again', async () => {
  const { runSource } = await import('../runtime/run.js');
  const cache = join(dir, 'panel');
  const request = { type: 'run-source' as const, text: lenetText, seed: 0, provider: 'cpu' as const, iterations: 1, profile: false, captureOps: ['conv'], maxChannels: 0, inputFile: input, cacheDir: cache };
  const first = await runSource(request, {});
  assert.equal(models(cache).length, 1);
  const kept = join(cache, models(cache)[0]);
  // The model with the same captures at seed 7, in the kept one's place: what runs is the kept file.
  const seven = await runSource({ ...request, seed: 7, cacheDir: join(dir, 'panel-7') }, {});
  writeFileSync(kept, readFileSync(join(dir, 'panel-7', models(join(dir, 'panel-7'))[0])));
  assert.equal((await runSource(request, {})).report.output.mean, seven.report.output.mean);
  writeFileSync(kept, Buffer.alloc(statSync(kept).size, 0x5a));
  const again = await runSource(request, {});
  assert.equal(again.report.output.mean, first.report.output.mean);
  assert.equal(again.featureMaps.length, first.featureMaps.length);
  assert.equal((await runSource({ ...request, cacheDir: undefined }, {})).report.output.mean, first.report.output.mean);
});
