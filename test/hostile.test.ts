import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyze, LineIndex, type Analysis } from '../language/index.js';
import { formatText } from '../language/edits/format-text.js';
import { ROOT, stride } from './lib/cli.js';
import { decoded, deepCalls, deepParentheses, deepRepeats, longExpression, randomBytes, randomText, TEN_MB, utf16 } from './lib/hostile.js';

// Files that once crashed or swamped Stride: each gives a few clear diagnostics, in the analyser and in
// `stride summary`, quickly and without an internal error.

const dir = mkdtempSync(join(tmpdir(), 'stride-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Each diagnostic as `line:column code`, 1-based as the CLI prints it. */
function where(a: Analysis): string[] {
  const lines = new LineIndex(a.text);
  return a.diagnostics.map((d) => {
    const p = lines.position(d.span.start);
    return `${p.line + 1}:${p.character + 1} ${d.code}`;
  });
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = f();
  return { value, ms: performance.now() - t0 };
}

const RESNET = readFileSync(join(ROOT, 'examples/resnet18.stride'), 'utf8');

test('2,000 nested repeats: one error where the nesting passes 256 levels, and the CLI exits 1, not 3', () => {
  const text = deepRepeats(2000);
  const a = analyze(text);
  // `network N {` is the first level: the 256th repeat opens the 257th.
  assert.deepEqual(where(a), ['258:10 nesting-too-deep']);
  assert.match(a.diagnostics[0].message, /^nesting deeper than 256 levels .*; Stride stops reading the file here$/);
  assert.equal(a.networks[0].layers.length, 1, 'the input before the nesting is analysed');
  const r = stride(['summary', file('deep-repeats.stride', text)]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /deep-repeats\.stride:258:10: error: nesting deeper than 256 levels/);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.deepEqual(formatText(text), [], 'the formatter leaves a file nested past the limit as it is');
});

test('3,000 nested parentheses and a 5,000-operation expression: one error each, at the place', () => {
  const parens = analyze(deepParentheses(3000));
  // The network's brace is the first level: the 256th parenthesis opens the 257th.
  assert.deepEqual(where(parens), [`3:${'  conv 1 '.length + 255 + 1} nesting-too-deep`]);
  const sum = analyze(longExpression(5000));
  // The 256th `+` makes the expression 257 levels deep.
  assert.deepEqual(where(sum), [`3:${'  conv 1'.length + 255 * ' + 1'.length + 2} nesting-too-deep`]);
  assert.match(sum.diagnostics[0].message, /^an expression nested more than 256 operations deep; Stride stops reading the file here$/);
  const r = stride(['summary', file('deep-parentheses.stride', deepParentheses(3000))]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /:3:265: error: nesting deeper than 256 levels/);
});

test('3,000 blocks calling each other: the call 32 deep is not expanded, and the network is incomplete', () => {
  const text = deepCalls(3000);
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['nesting-too-deep']);
  const d = a.diagnostics[0];
  assert.match(d.message, /^block calls nest deeper than 32 levels here; Stride does not expand this call$/);
  assert.equal(new LineIndex(text).lineText(new LineIndex(text).position(d.span.start).line), 'block B2969() { B2968 }');
  assert.deepEqual(d.related?.map((r) => r.message), ['in B3000 called here']);
  assert.equal(a.networks[0].totals.complete, false);
  const r = stride(['summary', file('deep-calls.stride', text)]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /:2970:17: error: block calls nest deeper than 32 levels/);
});

test('bodies inside block calls nest at most 256 levels as they expand', () => {
  // Each block nests 100 repeats and calls the next: 300 levels in all, though the text nests 101.
  const nest = (inner: string) => `${'repeat 1 { '.repeat(100)}${inner}${' }'.repeat(100)}`;
  const text = `block A() { ${nest('B')} }\nblock B() { ${nest('C')} }\nblock C() { ${nest('relu')} }\nnetwork N {\n  input 8x8x1\n  A\n}\n`;
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['nesting-too-deep']);
  assert.match(a.diagnostics[0].message, /^bodies and block calls nest deeper than 256 levels here/);
  assert.equal(a.diagnostics[0].span.start, text.indexOf('repeat', text.indexOf('block C')) + 'repeat 1 { '.length * 53);
});

test('a network that expands more than 1,000,000 block calls stops there', () => {
  const calls = (name: string, callee: string) => `block ${name}() {\n${`  ${callee}\n`.repeat(10)}}\n`;
  const text = `block E0() {}\n${calls('E1', 'E0')}${calls('E2', 'E1')}${calls('E3', 'E2')}network N {\n  input 8x8x1\n${'  E3\n'.repeat(1000)}}\n`;
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['expansion-too-large']);
  assert.match(a.diagnostics[0].message, /^this network expands more than 1,000,000 block calls; Stride stops analysing it here$/);
});

test('a file of more than 1,000,000 statements is read up to there', () => {
  // In a block no network calls: the statements are read, none is expanded.
  const text = `block B() {\n${'  relu\n'.repeat(1_000_001)}}\nnetwork N {\n  input 8x8x1\n}\n`;
  const a = analyze(text);
  assert.deepEqual(where(a), ['1000002:3 file-too-large']);
  assert.match(a.diagnostics[0].message, /^this file has more than 1,000,000 statements; Stride stops reading it here$/);
});

test('a 10 MB binary file: one diagnostic that says so, in well under a second', () => {
  const bytes = randomBytes(TEN_MB);
  const { value: a, ms } = timed(() => analyze(decoded(bytes)));
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['binary-file']);
  assert.match(a.diagnostics[0].message, /^this file is binary data, not text: [\d,]+ of its first 8,192 characters are NUL bytes, control characters or bytes that are not UTF-8/);
  assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
  assert.deepEqual(formatText(decoded(bytes)), []);
  const r = stride(['summary', file('binary.stride', bytes)]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr.slice(0, 500));
  assert.match(r.stderr, /binary\.stride:1:\d+: error: this file is binary data/);
});

test('a UTF-16 file, with or without a byte-order mark, either byte order: one diagnostic, save it as UTF-8', () => {
  for (const [order, bom] of [['LE', true], ['LE', false], ['BE', true], ['BE', false]] as const) {
    const a = analyze(decoded(utf16(RESNET, order, bom)));
    assert.deepEqual(a.diagnostics.map((d) => d.code), ['utf16-file'], `${order} ${bom}`);
    assert.match(a.diagnostics[0].message, new RegExp(`^this file is UTF-16 ${order} text, and Stride reads UTF-8: save it as UTF-8`));
  }
  const r = stride(['summary', file('utf16.stride', utf16(RESNET))]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^[^\n]*utf16\.stride:1:1: error: this file is UTF-16 LE text, and Stride reads UTF-8: save it as UTF-8[^\n]*\n$/);
});

test('a stray NUL or control character in a text file is reported where it is, not as a binary file', () => {
  const text = RESNET.replace('    batchnorm\n', '    batchnorm \0\x01\n');
  const a = analyze(text);
  assert.deepEqual(where(a), ['12:15 unexpected-character']);
  assert.equal(a.diagnostics[0].message, 'unexpected characters "\\u0000\\u0001"');
});

test('a 10 MB file of random text: the first 200 problems and one that counts the rest, quickly', () => {
  const text = randomText(TEN_MB);
  const { value: a, ms } = timed(() => analyze(text));
  assert.equal(a.diagnostics.length, 201);
  const last = a.diagnostics[200];
  assert.equal(last.code, 'too-many-problems');
  assert.equal(last.severity, 'error');
  assert.match(last.message, /^… and [\d,]{7,} more problems \(Stride shows the first 200\)$/);
  assert.ok(a.diagnostics.slice(0, 200).every((d, i, all) => i === 0 || all[i - 1].span.start <= d.span.start), 'in source order');
  assert.ok(last.span.start >= a.diagnostics[199].span.start);
  assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
  const r = stride(['summary', file('random.stride', text), '--json']);
  assert.equal(r.status, 1);
  assert.ok(r.stdout.length < 100_000, `${r.stdout.length} characters of JSON`);
});

test('the count of the problems left out is exact', () => {
  const a = analyze('@\n'.repeat(1434));
  assert.equal(a.diagnostics.length, 201);
  assert.equal(a.diagnostics[200].message, '… and 1,234 more problems (Stride shows the first 200)');
  // Its severity is the worst of those left out: warnings only here.
  const empty = analyze(Array.from({ length: 300 }, (_, i) => `network N${i} {}`).join('\n'));
  assert.deepEqual([empty.diagnostics.length, empty.diagnostics[200].severity, empty.diagnostics[200].message], [201, 'warning', '… and 100 more problems (Stride shows the first 200)']);
});
