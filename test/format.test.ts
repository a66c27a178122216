/**
 * The formatter (language/edits/format-text.ts): fixture pairs in test/fixtures/format/ (NAME.in.stride formats to
 * NAME.out.stride, and NAME.out.stride is already formatted), properties over every example and fixture
 * (no character but whitespace changes, the analysis is the same, a second pass changes nothing), and a
 * seeded fuzz over random mutations of the examples.
 */
import { mulberry32 } from '../runtime/random.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatText, formatTextStrict } from '../language/edits/format-text.js';
import { analyze, type TextEdit } from '../language/index.js';
import { lex } from '../language/syntax/lexer.js';
import { ROOT } from './lib/cli.js';

const FORMAT_DIR = join(ROOT, 'test/fixtures/format');

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  // Edits come sorted and disjoint; applying from the end keeps the earlier offsets valid.
  for (let i = 1; i < edits.length; i++) assert.ok(edits[i - 1].span.end <= edits[i].span.start, 'edits are sorted and disjoint');
  let out = text;
  for (const e of [...edits].reverse()) out = out.slice(0, e.span.start) + e.newText + out.slice(e.span.end);
  return out;
}

/** Formats through the strict entry point: formatText's safety net would hide a bug as "no edits". */
function format(text: string, indent?: number): string {
  return applyEdits(text, formatTextStrict(text, indent === undefined ? {} : { indent }));
}

/** What any formatted text looks like, whatever it was before. */
function assertTidy(text: string, where: string): void {
  const lines = text.split(/\r\n|\n/);
  assert.ok(text === '' || (lines[lines.length - 1] === '' && lines[lines.length - 2] !== ''), `${where}: one final newline`);
  assert.ok(!text.replace(/\r\n/g, '').includes('\r'), `${where}: no lone CR`);
  lines.forEach((line, i) => {
    assert.ok(!/[ \t]$/.test(line), `${where}: line ${i + 1} has trailing whitespace`);
    assert.ok(!/^ *\t/.test(line), `${where}: line ${i + 1} is indented with a tab`);
    assert.ok(!(line === '' && i > 0 && lines[i - 1] === '' && i < lines.length - 1), `${where}: line ${i + 1} is a second blank line`);
  });
}

/** Everything but spaces, tabs and line breaks: what the formatter must never touch. */
function ink(text: string): string {
  return text.replace(/[ \t\r\n]+/g, '');
}

/** The tokens, line breaks left out (blank lines may go), and the comments as the lexer reads them. */
function lexed(text: string): string[] {
  const { tokens, comments } = lex(text);
  return [...tokens.filter((t) => t.kind !== 'newline' && t.kind !== 'eof').map((t) => `${t.kind}:${t.text}`), ...comments.map((c) => `#${c.text.trimEnd()}`)];
}

/** What analysis says of a text, without offsets: codes in order, and per network each layer's facts. */
function analysisFacts(text: string): unknown {
  const a = analyze(text);
  return {
    codes: a.diagnostics.map((d) => d.code),
    networks: a.networks.map((n) => ({
      name: n.name,
      totals: n.totals,
      layers: n.layers.map((l) => [l.name, l.facts?.shape, l.facts?.params, l.facts?.macs]),
    })),
  };
}

// ---------------------------------------------------------------------------------------------- fixtures

const pairs = readdirSync(FORMAT_DIR).filter((f) => f.endsWith('.in.stride')).map((f) => f.slice(0, -'.in.stride'.length)).sort();

test('there are format fixtures', () => {
  assert.ok(pairs.length >= 8, pairs.join(', '));
});

for (const name of pairs) {
  const input = readFileSync(join(FORMAT_DIR, `${name}.in.stride`), 'utf8');
  const expected = readFileSync(join(FORMAT_DIR, `${name}.out.stride`), 'utf8');
  test(`format: ${name}.in.stride gives ${name}.out.stride`, () => {
    assert.equal(format(input), expected);
  });
  test(`format: ${name}.out.stride is already formatted`, () => {
    assert.deepEqual(formatText(expected), []);
  });
}

test('format: CRLF files stay CRLF', () => {
  const crlf = readFileSync(join(FORMAT_DIR, 'crlf.in.stride'), 'utf8');
  // A checkout may have turned the fixture's breaks into LF; this test does not depend on the checkout.
  const input = readFileSync(join(FORMAT_DIR, 'indentation.in.stride'), 'utf8').replace(/\r?\n/g, '\r\n');
  const expected = readFileSync(join(FORMAT_DIR, 'indentation.out.stride'), 'utf8').replace(/\r?\n/g, '\r\n');
  assert.equal(format(input), expected);
  assert.deepEqual(formatText(expected), []);
  if (crlf.includes('\r\n')) assert.ok(!format(crlf).replace(/\r\n/g, '').includes('\n'));
});

test('format: the indent option sets the spaces per level', () => {
  const text = 'network A {\nrepeat 2 {\nrelu\n}\n}\n';
  assert.equal(format(text, 4), 'network A {\n    repeat 2 {\n        relu\n    }\n}\n');
  assert.equal(format(text), 'network A {\n  repeat 2 {\n    relu\n  }\n}\n');
});

test('format: edits are minimal and one per changed range', () => {
  const text = 'network A {\n  input 8x8x3\n     relu\n  flatten\n}\n';
  assert.deepEqual(formatText(text), [{ span: { start: 28, end: 31 }, newText: '' }]);
  const blanks = 'network A {\n  input 8x8x3\n\n\n\n  relu\n}\n';
  assert.deepEqual(formatText(blanks), [{ span: { start: 27, end: 29 }, newText: '' }]);
});

test('format: empty and blank texts', () => {
  assert.deepEqual(formatText(''), []);
  assert.equal(format(' \n\t\n\n'), '');
  assert.equal(format('# only a comment'), '# only a comment\n');
});

test('format: spacing never changes how a line lexes', () => {
  // `1e - 5` must not become `1e-5`, one number; `c -1` stays as written; junk never touches a neighbour.
  const text = 'network A {\n  conv 1e - 5\n  conv c -1\n  conv 1. x @3\n}\n';
  assert.equal(format(text), text);
  assert.equal(format('network A {\n  conv c * 4 (c+1) / 2 c-1\n}\n'), 'network A {\n  conv c*4 (c + 1)/2 c - 1\n}\n');
});

// ---------------------------------------------------------------------------------------------- properties

function sourceFiles(): { name: string; text: string }[] {
  const dirs = ['examples', 'test/fixtures', 'test/fixtures/format'];
  return dirs.flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.stride'))
      .sort()
      .map((f) => ({ name: `${dir}/${f}`, text: readFileSync(join(ROOT, dir, f), 'utf8') })),
  );
}

test('format: examples and fixtures keep their characters, tokens and analysis, and a second pass is a no-op', () => {
  const files = sourceFiles();
  assert.ok(files.length >= 15);
  for (const { name, text } of files) {
    const once = format(text);
    assertTidy(once, name);
    assert.equal(ink(once), ink(text), `${name}: non-whitespace characters`);
    assert.deepEqual(lexed(once), lexed(text), `${name}: tokens`);
    assert.deepEqual(analysisFacts(once), analysisFacts(text), `${name}: analysis`);
    assert.deepEqual(formatText(once), [], `${name}: idempotent`);
  }
});

// ---------------------------------------------------------------------------------------------- fuzz

// Seeded, so a failing case can be replayed from its number.
const prng = mulberry32;

/** Fragments that stress the formatter: braces, comments, breaks of every kind, junk, arithmetic, BOMs. */
const FRAGMENTS = ['{', '}', '(', ')', ',', ';', '=', '-', '*', '/', '+', '#', '# c', '\n', '\r\n', '\r', '\n\n\n', ' ', '   ', '\t', '@', '$', '.', '\u00a0', '\ufeff', '1e', '1e-5', '3x3', 'x', 'c', 'network N {', 'block B(c, k = 1) {', '} shortcut {', 'as y', 'repeat 2 { relu }'];

function mutate(text: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  let out = text;
  for (let k = 1 + pick(4); k > 0; k--) {
    const at = pick(out.length + 1);
    const kind = pick(4);
    if (kind === 0) out = out.slice(0, at) + FRAGMENTS[pick(FRAGMENTS.length)] + out.slice(at);
    else if (kind === 1) out = out.slice(0, at) + out.slice(Math.min(out.length, at + 1 + pick(40)));
    else if (kind === 2) out = out.slice(0, at) + out.slice(pick(out.length + 1)).slice(0, 60) + out.slice(at);
    else out = out.slice(0, at) + String.fromCharCode(pick(128)) + out.slice(at);
  }
  return out;
}

test('format: fuzzed texts never throw, keep every character and token, and format idempotently', () => {
  const seeds = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.stride')).sort().map((f) => readFileSync(join(ROOT, 'examples', f), 'utf8'));
  const random = prng(0x5f0a7);
  for (let n = 0; n < 400; n++) {
    const text = mutate(seeds[n % seeds.length], random);
    const where = `case ${n}: ${JSON.stringify(text.slice(0, 80))}…`;
    const once = format(text);
    assertTidy(once, where);
    assert.equal(ink(once), ink(text), where);
    assert.deepEqual(lexed(once), lexed(text), where);
    assert.deepEqual(formatTextStrict(once), [], `${where}: idempotent`);
    if (n % 4 === 0) assert.deepEqual(analysisFacts(once), analysisFacts(text), `${where}: analysis`);
  }
});
