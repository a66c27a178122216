/**
 * The `checkpoint { … }` refactors (language/edits/checkpoint.ts) run through the real parser, analysis and
 * formatter. Cases live in test/fixtures/checkpoint/*.txt. A file starts with free text; then each case is
 *
 *   === what the case shows [tags]
 *   {"batch": 32}                        (optional: the memory settings the file is analysed with)
 *   --- before
 *   network A {
 *     input 8x8x3
 *     @repeat 2 { conv 8 3x3 pad 1; relu }
 *   }
 *   --- Checkpoint this (recompute in backward): saves 256 B at the peak
 *   network A {                          (the text after the refactor with that exact title)
 *   …
 *   --- nothing                          (or: no checkpoint refactor is offered there)
 *
 * `@` marks where the cursor is: the statement that starts there is the one asked about. The tag `crlf` runs
 * the case with CRLF line breaks; `indent4` checks the result against the formatter with 4 spaces.
 *
 * For every wrap: the saving in the title is the drop in the network's trainingPeak that analysing the text
 * after measures, and it is > 0; the text after has no problem the text before had not; it is formatted as
 * the formatter formats it (when the text before was); and "Remove checkpoint" on the new statement gives
 * the text before back exactly.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze, formatBytes, type Analysis, type MemoryOptions, type TextEdit } from '../language/index.js';
import { checkpointRefactors, MAX_MEASURED_LAYERS } from '../language/edits/checkpoint.js';
import { applyEdits } from '../language/edits/edit-doc.js';
import { formatText } from '../language/edits/format-text.js';
import { locate, statements } from '../language/views/query.js';
import { ROOT } from './lib/cli.js';
import { readFixtureCases, sectionText } from './lib/fixture-cases.js';

const DIR = join(ROOT, 'test/fixtures/checkpoint');
const MARK = '@';
const REMOVE = 'Remove checkpoint';

interface Case {
  name: string;
  tags: string[];
  options: Partial<MemoryOptions>;
  before: string;
  /** The exact title expected, and the text after; none when nothing must be offered. */
  title?: string;
  after?: string;
}

function readCases(file: string): Case[] {
  return readFixtureCases(join(DIR, file)).map((f) => {
    const where = `${file}: ${f.title}`;
    const [before, outcome] = f.sections;
    assert.equal(before?.heading, 'before', `${where}: expected '--- before'`);
    assert.ok(outcome, `${where}: expected '--- TITLE' or '--- nothing' after the text before`);
    const options = f.head.join('\n').trim();
    const c: Case = { name: where, tags: f.tags, options: options ? (JSON.parse(options) as Partial<MemoryOptions>) : {}, before: sectionText(before.lines) };
    if (outcome.heading !== 'nothing') {
      c.title = outcome.heading;
      c.after = sectionText(outcome.lines);
    }
    return c;
  });
}

function unmark(marked: string): { text: string; mark: number } {
  const mark = marked.indexOf(MARK);
  assert.ok(mark >= 0 && marked.indexOf(MARK, mark + 1) < 0, 'one @ marks the statement');
  return { text: marked.slice(0, mark) + marked.slice(mark + 1), mark };
}

function assertSortedDisjoint(edits: readonly TextEdit[], where: string): void {
  for (let i = 1; i < edits.length; i++) assert.ok(edits[i - 1].span.end <= edits[i].span.start, `${where}: edits ${i - 1} and ${i} are sorted and disjoint`);
}

/** The checkpoint refactors offered for the statement at an offset, as the server asks for them. */
function offered(a: Analysis, offset: number) {
  const stmt = locate(a, offset)?.stmt;
  assert.ok(stmt && stmt.start === offset, `a statement starts at offset ${offset}`);
  return checkpointRefactors(a, stmt);
}

function problems(a: Analysis): string[] {
  return a.diagnostics.filter((d) => d.code !== 'memory-over-budget').map((d) => `${d.code}: ${d.message}`);
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

for (const file of files) {
  for (const c of readCases(file)) {
    test(c.name, () => {
      const eol = c.tags.includes('crlf') ? (s: string) => s.replace(/\n/g, '\r\n') : (s: string) => s;
      const { text, mark } = unmark(eol(c.before));
      const a = analyze(text, c.options);
      const actions = offered(a, mark);
      if (c.title === undefined) {
        assert.deepEqual(actions.map((r) => r.title), [], 'nothing is offered');
        return;
      }
      assert.deepEqual(actions.map((r) => r.title), [c.title], 'the one refactor, with its title');
      const [action] = actions;
      assertSortedDisjoint(action.edits, c.name);
      const after = applyEdits(text, action.edits);
      assert.equal(after, eol(c.after!), 'the text after');
      const b = analyze(after, c.options);
      assert.deepEqual(problems(b), problems(a), 'the text after has the problems the text before had, no more');
      if (c.title === REMOVE) return;

      // The saving in the title is what the analysis of the text after says.
      const net = locate(a, mark)!.decl;
      const pairs = a.networks.map((n, i) => ({ name: n.name, inNet: n.decl === net, saved: n.memory.trainingPeak - b.networks[i].memory.trainingPeak }));
      const best = pairs.filter((p) => net.kind === 'block' || p.inNet).reduce((x, y) => (y.saved > x.saved ? y : x));
      assert.ok(best.saved > 0, `${c.name}: the peak drops (${best.saved} bytes)`);
      assert.ok(c.title.includes(`saves ${formatBytes(best.saved)} at the peak`), `the title says ${formatBytes(best.saved)}: ${c.title}`);
      assert.ok(pairs.every((p) => p.saved >= 0), 'no network needs more at its peak');

      // Formatted as the formatter would write it, with the file's own indentation.
      const indent = c.tags.includes('indent4') ? 4 : 2;
      if (formatText(text, { indent }).length === 0) assert.deepEqual(formatText(after, { indent }), [], 'the text after is formatted');

      // The reverse gives the text before back.
      const back = offered(b, mark).find((r) => r.title === REMOVE);
      assert.ok(back, '"Remove checkpoint" is offered on the new statement');
      assert.equal(applyEdits(after, back.edits), text, 'unwrapping restores the text before');
    });
  }
}

test('on ResNet-18, only repeats and block calls are offered a checkpoint: no plain layer, residual or shortcut', () => {
  const text = readFileSync(join(ROOT, 'examples/resnet18.stride'), 'utf8');
  const a = analyze(text, { batch: 32 });
  const heads = new Set<string>();
  for (const decl of a.file.decls) {
    for (const { stmt } of statements(decl.body?.stmts ?? [])) {
      if (checkpointRefactors(a, stmt).length > 0) heads.add(stmt.head.name);
    }
  }
  assert.deepEqual([...heads].sort(), ['Basic', 'BasicDown', 'repeat']);
});

test(`past ${MAX_MEASURED_LAYERS} layers a wrap is not measured, so not offered: code actions come as the cursor moves`, () => {
  const n = Math.ceil(MAX_MEASURED_LAYERS / 2) + 1;
  const text = `network Big {\n  input 16x16x4\n  repeat 2 { conv 4 3x3 pad 1; relu; conv 4 3x3 pad 1; relu }\n  repeat ${n} { conv 4 3x3 pad 1; relu }\n}\n`;
  const a = analyze(text);
  assert.ok(a.networks[0].layers.length > MAX_MEASURED_LAYERS);
  assert.deepEqual(offered(a, text.indexOf('repeat 2')), []);
  const small = analyze(text.replace(`repeat ${n}`, 'repeat 2'));
  assert.equal(offered(small, text.indexOf('repeat 2')).length, 1, 'the same statement in a smaller file is offered one');
});
