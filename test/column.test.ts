import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Column } from '../language/analysis/column.js';
import { mulberry32 } from '../runtime/random.js';

// The ledger's per-layer columns (language/analysis/column.ts) against a plain array, over random pushes,
// sets and adds across chunk boundaries (small chunks, then large ones past 32,768 values), for each usual
// value a column starts from.
test('a column holds what a plain array holds, chunks made or not', () => {
  for (const usual of [0, -1, 1]) {
    const next = mulberry32(usual + 7);
    const column = new Column(usual);
    const plain: number[] = [];
    for (let step = 0; step < 120_000; step++) {
      const r = next();
      // Mostly the usual value, as most layers have no extras: whole chunks stay unmade.
      const v = next() < 0.9 ? usual : Math.floor(next() * 1e6) - 5e5;
      if (r < 0.6 || plain.length === 0) {
        column.push(v);
        plain.push(v);
      } else {
        const i = Math.floor(next() * plain.length);
        if (r < 0.8) {
          column.set(i, v);
          plain[i] = v;
        } else {
          column.add(i, v);
          plain[i] += v;
        }
      }
      if (step % 997 === 0) assert.equal(column.get(plain.length - 1), plain[plain.length - 1]);
    }
    assert.ok(plain.length > 2 * 32_768, 'past the first large chunk');
    assert.equal(column.length, plain.length);
    for (let i = 0; i < plain.length; i++) assert.equal(column.get(i), plain[i], `usual ${usual}, value ${i}`);
    assert.deepEqual([...column.to(Float64Array)], plain);
    assert.deepEqual([...column.to(Int32Array)], plain);
  }
  const empty = new Column(-1);
  for (let i = 0; i < 70_000; i++) empty.push(-1);
  assert.deepEqual([...new Set(empty.to(Int32Array))], [-1], 'no chunk made, all usual');
  // One value set in the last, partly filled large chunk: the rest of it reads as usual.
  empty.set(69_999, 5);
  const out = empty.to(Int32Array);
  assert.equal(out.length, 70_000);
  assert.equal(out[69_999], 5);
  assert.equal(out[65_536], -1);
});
