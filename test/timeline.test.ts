import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Elaborator } from '../language/analysis/elaborate.js';
import { SERIES, type Moment, type Timeline } from '../language/analysis/timeline.js';
import { parse } from '../language/syntax/parser.js';
import type { BlockDecl } from '../language/syntax/syntax.js';
import { mulberry32 } from '../runtime/random.js';
import { ROOT } from './lib/cli.js';

// The training timeline (language/analysis/timeline.ts) answers two ways: a weighted sum of its series at
// every moment (summed from span ends), and the series at one moment (each span that covers it, added).
// The memory figures take the peak from the first and its terms from the second, so they must agree, at
// every moment of every example and checkpointed fixture, whatever the weights.

function timelines(text: string): Timeline[] {
  const parsed = parse(text);
  const blocks = new Map<string, BlockDecl>();
  for (const d of parsed.file.decls) if (d.kind === 'block' && d.name && !blocks.has(d.name.name)) blocks.set(d.name.name, d);
  const elaborator = new Elaborator(text, blocks, () => {}, parsed.file.statements);
  return parsed.file.decls.flatMap((d) => (d.kind === 'network' ? [elaborator.network(d).timeline] : []));
}

// Recomputed regions, a residual and a concat inside and across them, pooling indices, in-place ReLUs and views.
const CHECKPOINTED = `network Checkpointed {
  input 16x16x3
  conv 8 3x3 pad 1
  relu
  checkpoint {
    conv 8 3x3 pad 1
    batchnorm
    relu
    residual { conv 8 3x3 pad 1; relu }
  } as a
  maxpool 2x2
  checkpoint { conv 8 3x3 pad 1; relu; concat { branch { conv 4 1x1 } } }
  conv 8 1x1
  flatten
  dense 10
}
`;

const texts: [string, string][] = [
  ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.stride')).map((f): [string, string] => [f, readFileSync(join(ROOT, 'examples', f), 'utf8')]),
  ['checkpointed', CHECKPOINTED],
];

test('the timeline sums at every moment what its moments hold', () => {
  const next = mulberry32(3);
  let checked = 0;
  for (const [file, text] of texts) {
    for (const tl of timelines(text)) {
      // Small whole weights, as bytes per element are: every sum stays exact.
      const weights = Object.fromEntries(SERIES.map((s) => [s, 1 + Math.floor(next() * 8)])) as Moment;
      const sums = tl.sum(weights);
      assert.equal(sums.length, tl.moments);
      for (let m = 0; m < tl.moments; m++) {
        const at = tl.at(m);
        const want = SERIES.reduce((a, s) => a + weights[s] * at[s], 0);
        assert.equal(sums[m], want, `${file}, moment ${m} of ${tl.moments}`);
      }
      checked++;
    }
  }
  assert.ok(checked >= 27, `${checked} networks`);
});
