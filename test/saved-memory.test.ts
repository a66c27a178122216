import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, summaryJson } from './lib/cli.js';

// What backward really keeps, against PyTorch: test/torch/saved.py runs each example's hand-written module
// (test/torch/networks.py, ReLU in place) for one training forward pass and sums the storages autograd
// saves, each once, parameters and the input apart. Stride's `memory.savedForBackward` must be within 10%.
const BATCH = 8;

test(`saved for backward at batch ${BATCH} is within 10% of what PyTorch's autograd keeps, on every example`, () => {
  const r = spawnSync('/usr/bin/python3', ['-B', join(ROOT, 'test/torch/saved.py'), '--batch', String(BATCH)], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `PyTorch is needed (apt-get install -y python3-torch): ${r.error?.message ?? r.stderr.slice(-2000)}`);
  const measured = JSON.parse(r.stdout) as Record<string, Record<string, { saved: number }>>;
  let checked = 0;
  for (const file of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.stride'))) {
    for (const n of summaryJson(join(ROOT, 'examples', file), ['--batch', String(BATCH)]).json.networks) {
      const want = measured[n.name]?.[String(BATCH)]?.saved;
      assert.ok(want !== undefined, `${n.name} was measured`);
      const got = n.memory.savedForBackward as number;
      // Tiny networks: a few KiB of BatchNorm statistics are not modelled.
      assert.ok(Math.abs(got - want) <= Math.max(0.1 * want, 64 * 1024), `${file} ${n.name}: Stride ${got} bytes, PyTorch ${want}`);
      checked++;
    }
  }
  assert.ok(checked >= 20, `${checked} networks checked`);
});
