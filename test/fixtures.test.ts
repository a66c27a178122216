import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, summaryJson } from './lib/cli.js';
import { expectations, rewrite } from './lib/expect.js';

// Every fixture runs through the real `stride summary --json`; its inline `#:`/`#!` comments are the expectations.
const dir = join(ROOT, 'test/fixtures');
const update = process.env.UPDATE_EXPECT === '1';

for (const name of readdirSync(dir).filter((f) => f.endsWith('.stride')).sort()) {
  test(`fixture ${name}`, () => {
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    const { json } = summaryJson(file);
    const expected = rewrite(text, expectations(json));
    if (update) {
      if (expected !== text) writeFileSync(file, expected);
      return;
    }
    const have = text.split('\n');
    const want = expected.split('\n');
    const diffs = want.flatMap((w, i) => (w === have[i] ? [] : [`  ${name}:${i + 1}\n    written:  ${have[i]?.trim()}\n    computed: ${w.trim()}`]));
    assert.ok(diffs.length === 0, `expectations differ (UPDATE_EXPECT=1 npm test rewrites them):\n${diffs.join('\n')}`);
  });
}
