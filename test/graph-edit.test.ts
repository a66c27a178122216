/**
 * The graph editor's text edits (language/edits/graph-edit.ts) and its palette (language/edits/palette.ts), run through
 * the real parser and analysis.
 *
 * Cases live in test/fixtures/graph-edit/*.txt. A file starts with free text; then each case is
 *
 *   === what the case shows [tags]
 *   {"kind": "setAttribute", "name": "stride", "value": "2"}
 *   --- before
 *   network A {
 *     input 8x8x3
 *     @conv 8 3x3
 *   }
 *   --- after                      (or `--- error` and a line the message must contain)
 *   network A {
 *     input 8x8x3
 *     @conv 8 3x3 stride 2
 *   }
 *
 * `@` in the text before marks the statements the edit names, in order: they fill `stmt`, `after` or `stmts`
 * unless the JSON gives them (a stale offset, a network name; `"stmts": "marks reversed"` and
 * `"stmts": "marks and 2"` give the marks in reverse order, or with the stale offset 2 added). `@` in the
 * text after marks where `select` must point; without one, the result must have no `select`. The tag `crlf`
 * runs the case with CRLF line breaks. Every section ends with exactly one line break; the edits of a case
 * that ends in an error are not applied, so it may start from a broken text.
 *
 * For every case that succeeds: the edits are sorted, disjoint and trimmed; applied to the text before, they
 * give the text after exactly; every comment is still there (but those on the lines of deleted statements);
 * the text after parses without errors; `select` names a statement in it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze, type TextEdit } from '../language/index.js';
import { graphEdit, type GraphEdit } from '../language/edits/graph-edit.js';
import { buildGraph } from '../language/views/graph.js';
import { lex } from '../language/syntax/lexer.js';
import { findOp, OPS } from '../language/ops/index.js';
import { palette } from '../language/edits/palette.js';
import { parse } from '../language/syntax/parser.js';
import { mulberry32 } from '../runtime/random.js';
import type { Body, Stmt } from '../language/syntax/syntax.js';
import { LineIndex } from '../language/base/text.js';
import { ROOT } from './lib/cli.js';
import { readFixtureCases, sectionText } from './lib/fixture-cases.js';

const DIR = join(ROOT, 'test/fixtures/graph-edit');
const MARK = '@';

interface Case {
  name: string;
  tags: string[];
  edit: Record<string, unknown>;
  before: string;
  after?: string;
  error?: string;
}

// ---------------------------------------------------------------------------------------------- fixtures

function readCases(file: string): Case[] {
  return readFixtureCases(join(DIR, file)).map((f) => {
    const where = `${file}: ${f.title}`;
    const [before, result] = f.sections;
    assert.equal(before?.heading, 'before', `${where}: expected '--- before'`);
    const kind = result?.heading;
    assert.ok(kind === 'after' || kind === 'error', `${where}: expected '--- after' or '--- error'`);
    const c: Case = { name: where, tags: f.tags, edit: JSON.parse(f.head.join('\n')) as Record<string, unknown>, before: sectionText(before.lines) };
    if (kind === 'after') c.after = sectionText(result.lines);
    else c.error = result.lines.join('\n').trim();
    return c;
  });
}

/** The text without its `@` marks, and the offsets the marks stood at. */
function unmark(marked: string): { text: string; marks: number[] } {
  const marks: number[] = [];
  let text = '';
  for (const ch of marked) {
    if (ch === MARK) marks.push(text.length);
    else text += ch;
  }
  return { text, marks };
}

/** The edit with the marked statements filled in where the JSON leaves them out. */
function completeEdit(edit: Record<string, unknown>, marks: number[]): GraphEdit {
  const e = { ...edit };
  // Two spellings for lists the marks alone cannot give.
  if (e.stmts === 'marks reversed') e.stmts = [...marks].reverse();
  if (e.stmts === 'marks and 2') e.stmts = [...marks, 2];
  const fill = (field: string, value: unknown) => {
    if (!(field in e)) e[field] = value;
  };
  switch (e.kind) {
    case 'setAttribute':
    case 'move':
      fill('stmt', marks[0]);
      break;
    case 'insert':
      fill('after', marks[0]);
      break;
    case 'delete':
    case 'wrap':
      fill('stmts', marks);
      break;
  }
  return e as unknown as GraphEdit;
}

// ---------------------------------------------------------------------------------------------- checks

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].reverse()) out = out.slice(0, e.span.start) + e.newText + out.slice(e.span.end);
  return out;
}

function assertWellFormed(text: string, edits: readonly TextEdit[], where: string): void {
  edits.forEach((e, i) => {
    assert.ok(e.span.start <= e.span.end && e.span.end <= text.length, `${where}: edit ${i} is inside the text`);
    const old = text.slice(e.span.start, e.span.end);
    assert.ok(old !== '' || e.newText !== '', `${where}: edit ${i} changes something`);
    if (old !== '' && e.newText !== '') {
      assert.ok(old[0] !== e.newText[0] && old[old.length - 1] !== e.newText[e.newText.length - 1], `${where}: edit ${i} is trimmed: ${JSON.stringify(old)} → ${JSON.stringify(e.newText)}`);
    }
    if (i === 0) return;
    const prev = edits[i - 1].span;
    assert.ok(prev.end < e.span.start || (prev.end === e.span.start && (prev.start !== prev.end || e.span.start !== e.span.end)), `${where}: edits ${i - 1} and ${i} are sorted and disjoint`);
  });
}

function statements(text: string): Stmt[] {
  const out: Stmt[] = [];
  const walk = (body: Body | undefined) => {
    for (const s of body?.stmts ?? []) {
      out.push(s);
      walk(s.body);
      walk(s.shortcut?.body);
    }
  };
  for (const d of parse(text).file.decls) walk(d.body);
  return out;
}

/** The lines a deleted statement covered: their comments go with it. */
function deletedLines(text: string, offsets: readonly number[]): Set<number> {
  const lines = new LineIndex(text);
  const out = new Set<number>();
  for (const s of statements(text).filter((s) => offsets.includes(s.start))) {
    for (let l = lines.position(s.start).line; l <= lines.position(s.end).line; l++) out.add(l);
  }
  return out;
}

function assertCommentsKept(before: string, after: string, exempt: Set<number>, where: string): void {
  const lines = new LineIndex(before);
  const left = lex(after).comments.map((c) => c.text.trimEnd());
  for (const c of lex(before).comments) {
    if (exempt.has(lines.position(c.start).line)) continue;
    const i = left.indexOf(c.text.trimEnd());
    assert.ok(i >= 0, `${where}: comment ${JSON.stringify(c.text)} is kept`);
    left.splice(i, 1);
  }
}

function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

// ---------------------------------------------------------------------------------------------- cases

const files = readdirSync(DIR).filter((f) => f.endsWith('.txt')).sort();

test('graph edit fixtures cover every edit', () => {
  const kinds = new Set(files.flatMap((f) => readCases(f).map((c) => c.edit.kind)));
  assert.deepEqual([...kinds].sort(), ['delete', 'insert', 'move', 'setAttribute', 'wrap']);
});

for (const file of files) {
  for (const c of readCases(file)) {
    test(`graph edit: ${c.name}`, () => runCase(c));
  }
}

function runCase(c: Case): void {
  const lineBreaks = c.tags.includes('crlf') ? crlf : (t: string) => t;
  const before = unmark(lineBreaks(c.before));
  const edit = completeEdit(c.edit, before.marks);
  const result = graphEdit(analyze(before.text), edit);
  if (c.error !== undefined) {
    assert.ok('error' in result, `${c.name}: expected an error, got ${JSON.stringify(result)}`);
    assert.ok(result.error.includes(c.error), `${c.name}: the error\n  ${result.error}\nshould contain\n  ${c.error}`);
    return;
  }
  assert.deepEqual(parse(before.text).diagnostics, [], `${c.name}: the text before parses`);
  assert.ok(!('error' in result), `${c.name}: ${'error' in result ? result.error : ''}`);
  const after = unmark(lineBreaks(c.after!));
  assertWellFormed(before.text, result.edits, c.name);
  const text = applyEdits(before.text, result.edits);
  assert.equal(text, after.text, c.name);
  assert.equal(result.select, after.marks[0], `${c.name}: select`);
  if (result.select !== undefined) assert.ok(statements(text).some((s) => s.start === result.select), `${c.name}: select names a statement`);
  const exempt = edit.kind === 'delete' ? deletedLines(before.text, edit.stmts) : new Set<number>();
  assertCommentsKept(before.text, text, exempt, c.name);
  assert.deepEqual(parse(text).diagnostics, [], `${c.name}: the text after parses`);
}

// ---------------------------------------------------------------------------------------------- examples

/** Every character but whitespace, sorted: what moving statements around must keep. */
function inkBag(text: string): string {
  return [...text.replace(/\s+/g, '')].sort().join('');
}

test('graph edit: on every statement of the examples, each edit keeps the text parsing', () => {
  const dir = join(ROOT, 'examples');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.stride')).sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    const a = analyze(text);
    const errors = parse(text).diagnostics.length;
    const lines = new LineIndex(text);
    for (const s of statements(text)) {
      const where = `${f}:${lines.position(s.start).line + 1} ${s.head.name}`;
      const edits: GraphEdit[] = [
        { kind: 'delete', stmts: [s.start] },
        { kind: 'insert', after: s.start, text: 'relu' },
        { kind: 'wrap', stmts: [s.start], count: 2 },
        { kind: 'move', stmt: s.start, by: -1 },
        { kind: 'move', stmt: s.start, by: 1 },
      ];
      for (const edit of edits) {
        const r = graphEdit(a, edit);
        if ('error' in r) {
          assert.equal(edit.kind, 'move', `${where} ${edit.kind}: ${r.error}`);
          continue;
        }
        assertWellFormed(text, r.edits, `${where} ${edit.kind}`);
        const out = applyEdits(text, r.edits);
        assert.equal(parse(out).diagnostics.length, errors, `${where} ${edit.kind}: parses`);
        if (edit.kind === 'move') assert.equal(inkBag(out), inkBag(text), `${where} move keeps every character`);
        if (edit.kind !== 'delete') assertCommentsKept(text, out, new Set(), `${where} ${edit.kind}`);
      }
    }
  }
});

test('graph edit: every statement the graph names is one an edit can find', () => {
  const dir = join(ROOT, 'examples');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.stride')).sort()) {
    const a = analyze(readFileSync(join(dir, f), 'utf8'));
    const model = buildGraph(a);
    const named = model.networks.flatMap((n) => [...n.nodes.map((x) => x.stmt), ...n.groups.map((g) => g.stmt)]);
    for (const stmt of new Set([...named, ...Object.keys(model.statements).map(Number)])) {
      const r = graphEdit(a, { kind: 'setAttribute', stmt, name: 'no-such-attribute', value: '1' });
      assert.ok('error' in r && !r.error.startsWith('No statement starts'), `${f}: statement at ${stmt}`);
    }
  }
});

/** A few random insertions and cuts of fragments that break statements, bodies and lines. */
function mutate(text: string, random: () => number): string {
  const fragments = ['{', '}', ';', '\n', '\r\n', '# c', 'as y', 'shortcut {', 'repeat 2 { relu }', ' ', '(', '='];
  const pick = (n: number) => Math.floor(random() * n);
  let out = text;
  for (let k = 1 + pick(3); k > 0; k--) {
    const at = pick(out.length + 1);
    out = random() < 0.5 ? out.slice(0, at) + fragments[pick(fragments.length)] + out.slice(at) : out.slice(0, at) + out.slice(Math.min(out.length, at + 1 + pick(30)));
  }
  return out;
}

test('graph edit: broken texts never make an edit throw or add a syntax error', () => {
  const dir = join(ROOT, 'examples');
  const seeds = readdirSync(dir).filter((n) => n.endsWith('.stride')).sort().map((f) => readFileSync(join(dir, f), 'utf8'));
  const random = mulberry32(0x9a7e);
  for (let n = 0; n < 60; n++) {
    const text = mutate(seeds[n % seeds.length], random);
    const a = analyze(text);
    const errors = parse(text).diagnostics.length;
    const all = statements(text);
    for (const s of all.filter((_, i) => i % Math.ceil(all.length / 12) === 0)) {
      const edits: GraphEdit[] = [
        { kind: 'delete', stmts: [s.start, all[all.length - 1].start] },
        { kind: 'insert', after: s.start, text: 'relu' },
        { kind: 'wrap', stmts: [s.start], count: 2 },
        { kind: 'move', stmt: s.start, by: 1 },
        { kind: 'setAttribute', stmt: s.start, name: 'stride', value: '2' },
        { kind: 'setAttribute', stmt: s.start, name: 'nobias', value: 'true' },
        { kind: 'setAttribute', stmt: s.start, name: 'channels', value: '' },
      ];
      for (const edit of edits) {
        const where = `case ${n}, ${edit.kind} at ${s.start}: ${JSON.stringify(text.slice(0, 60))}…`;
        const r = graphEdit(a, edit);
        if ('error' in r) continue;
        assertWellFormed(text, r.edits, where);
        assert.ok(parse(applyEdits(text, r.edits)).diagnostics.length <= errors, where);
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------- palette

// 16 channels: a flattened 224x224x64 map is past the sizes the analysis accepts.
const CONV = 'network T {\n  input 224x224x3\n  conv 16 3x3 pad 1\n}\n';
const FLAT = 'network T {\n  input 224x224x3\n  conv 16 3x3 pad 1\n  flatten\n}\n';

/** The errors of a network with a statement inserted after its last one. */
function errorsAfterInsert(network: string, text: string): string[] {
  const r = graphEdit(analyze(network), { kind: 'insert', after: { network: 'T' }, text });
  assert.ok(!('error' in r), `${text}: ${'error' in r ? r.error : ''}`);
  return analyze(applyEdits(network, r.edits)).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);
}

test('palette: every op but those reading named tensors, grouped by family, input last', () => {
  const entries = palette();
  const ops = entries.map((e) => e.op);
  assert.equal(new Set(ops).size, ops.length, 'one entry per op');
  const left = OPS.filter((op) => !ops.includes(op.name)).map((op) => op.name);
  assert.deepEqual(left, ['add', 'mul', 'concat']);
  assert.equal(entries[entries.length - 1].text, 'input 224x224x3', 'input last: it starts an empty network');
  const layers = entries.filter((e) => e.op !== 'input');
  const families = layers.map((e) => e.family).filter((f, i, all) => all.indexOf(f) === i);
  assert.deepEqual(families, layers.map((e) => e.family).filter((f, i, all) => i === 0 || all[i - 1] !== f), 'each family in one run');
  for (const e of entries) {
    const op = findOp(e.op)!;
    assert.equal(e.family, op.family);
    assert.equal(e.summary, op.summary);
    assert.equal(findOp(e.text.split(' ')[0]), op, `${e.text} is a ${e.op} statement`);
  }
  assert.deepEqual(families, ['conv', 'norm', 'activation', 'pool', 'dense', 'shape'], 'what networks are mostly made of first');
  assert.equal(entries[0].text, 'conv 64 3x3 pad 1');
  assert.equal(entries.find((e) => e.op === 'dropout')?.text, 'dropout 0.5');
  assert.equal(entries.find((e) => e.op === 'relu')?.text, 'relu');
});

test('palette: every entry analyses without errors inserted after a conv (after a flatten when it needs a flat input)', () => {
  for (const e of palette()) {
    if (findOp(e.op)?.source) {
      assert.deepEqual(errorsAfterInsert('network T {\n}\n', e.text), [], `${e.text} in an empty network`);
      continue;
    }
    const afterConv = errorsAfterInsert(CONV, e.text);
    if (afterConv.length > 0 && afterConv.every((d) => d.startsWith('dense-on-spatial'))) {
      assert.deepEqual(errorsAfterInsert(FLAT, e.text), [], `${e.text} after a flatten`);
      continue;
    }
    assert.deepEqual(afterConv, [], `${e.text} after a conv`);
  }
});
