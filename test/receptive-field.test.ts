import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, summaryJson } from './lib/cli.js';

// Receptive fields of merges, against PyTorch: the extent of the input gradient of a central output.
test('a merge sees, on each axis, the largest extent of its inputs, as PyTorch measures', () => {
  const r = spawnSync('/usr/bin/python3', [join(ROOT, 'test/python/receptive_field.py')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `PyTorch is needed (apt-get install -y python3-torch): ${r.error?.message ?? r.stderr}`);
  const measured = JSON.parse(r.stdout) as Record<string, [number, number]>;
  const { json } = summaryJson(join(ROOT, 'test/fixtures/receptive-field.stride'));
  assert.deepEqual(json.diagnostics, []);
  assert.deepEqual(Object.keys(measured).sort(), json.networks.map((n) => n.name).sort());
  for (const n of json.networks) assert.deepEqual(n.layers[n.layers.length - 1].receptiveFieldHW, measured[n.name], n.name);
});
