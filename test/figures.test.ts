import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatBytes, formatCompact, formatCount } from '../language/base/format.js';
import { mulberry32 } from '../runtime/random.js';
import { ROOT, stride, summaryJson, type LayerJson, type NetworkJson } from './lib/cli.js';
import { LspClient } from './lib/lsp.js';

// What a person reads says what --json says: the formatters as properties over every magnitude, and every
// figure of the text summary, hovers, inlay hints and code lenses of every example against the JSON.

const COMPACT: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const BYTES: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50, EiB: 2 ** 60 };

const readCount = (s: string): number => {
  assert.match(s, /^-?\d{1,3}(,\d{3})*$/, `a count: ${s}`);
  return Number(s.replace(/,/g, ''));
};

/** A compact figure read back, with the rounding its three significant digits allow. */
function readCompact(s: string): { value: number; slack: number } {
  const m = /^(\d{1,3}(?:\.\d{1,2})?)([KMGTPE]?)$/.exec(s);
  assert.ok(m, `a compact figure: ${s}`);
  assert.ok(m[1].replace('.', '').replace(/^0+/, '').length <= 3, `three significant digits at most: ${s}`);
  return { value: Number(m[1]) * COMPACT[m[2]], slack: m[2] === '' ? 0.5 : 0.005 * Number(m[1]) * COMPACT[m[2]] };
}

function readBytes(s: string): { value: number; slack: number } {
  // From 1000 to 1023 of a unit the figure is whole (1,005 MiB), as the next unit would read below 1.
  const m = /^(\d{1,3}(?:\.\d{1,2})?|1,0[0-2]\d|\d{4}) (B|KiB|MiB|GiB|TiB|PiB|EiB)$/.exec(s);
  assert.ok(m, `a byte figure: ${s}`);
  const figure = Number(m[1].replace(',', ''));
  assert.ok(m[2] === 'B' || figure < 1024, `the largest unit that keeps it at 1 or more: ${s}`);
  const value = figure * BYTES[m[2]];
  return { value, slack: m[2] === 'B' ? 0 : figure >= 1000 ? 0.5 * BYTES[m[2]] : 0.005 * value };
}

function near(read: { value: number; slack: number }, want: number, what: string): void {
  assert.ok(Math.abs(read.value - want) <= read.slack * (1 + 1e-9), `${what}: reads as ${read.value}, is ${want}`);
}

/** Values across every magnitude from 1 to 10^18, with the mantissas where rounding carries. */
function magnitudes(): number[] {
  const next = mulberry32(7);
  const out: number[] = [];
  for (let e = 0; e <= 18; e++) {
    for (const m of [1, 1.004, 1.005, 1.5, 1.999, 2, 9.99, 9.995, 9.9999, 1.0235, 1.02399]) out.push(m * 10 ** e);
    for (let i = 0; i < 40; i++) out.push((1 + 9 * next()) * 10 ** e);
  }
  for (let k = 0; k <= 60; k++) for (const m of [1, 1023.4 / 1024, 1023.99 / 1024, 100, 200, 999.5]) out.push(m * 2 ** k);
  return out.map(Math.round).filter((v) => v >= 1 && v <= 1e18);
}

test('formatCount prints every whole number exactly, with separators', () => {
  for (const v of magnitudes()) {
    if (v <= Number.MAX_SAFE_INTEGER) assert.equal(readCount(formatCount(v)), v);
    else assert.equal(formatCount(v).replace(/,/g, ''), BigInt(v).toString());
  }
  assert.equal(formatCount(1e21), '1,000,000,000,000,000,000,000');
});

test('formatCompact and formatBytes read back within their rounding at every magnitude', () => {
  for (const v of magnitudes()) {
    near(readCompact(formatCompact(v)), v, `formatCompact(${v}) = ${formatCompact(v)}`);
    near(readBytes(formatBytes(v)), v, `formatBytes(${v}) = ${formatBytes(v)}`);
  }
  // The reported cases: zeros that are digits stay.
  assert.equal(formatBytes(100 * 2 ** 20), '100 MiB');
  assert.equal(formatBytes(200 * 2 ** 20), '200 MiB');
  assert.equal(formatBytes(100 * 2 ** 10), '100 KiB');
  assert.equal(formatCompact(200_000_000), '200M');
  assert.equal(formatBytes(1023.99 * 2 ** 10), '1 MiB');
  assert.equal(formatCompact(999_950), '1M');
});

const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.stride')).sort();
const SETTINGS: string[][] = [[], ['--batch', '32', '--optimizer', 'adam', '--dtype', 'float16', '--budget', '24']];

/** Each memory row of the text summary and the network hover, by its label, and the JSON figure it shows. */
const MEMORY_ROWS: Record<string, string> = {
  parameters: 'parameters',
  gradients: 'gradients',
  'optimizer state': 'optimizerState',
  'step temporaries': 'optimizerTemporaries',
  'kept for backward': 'kept',
  'live activations': 'liveActivations',
  'activation grads': 'activationGradients',
  'backward scratch': 'scratch',
  'input batch': 'input',
  'train step peak': 'trainingPeak',
  framework: 'framework',
  training: 'training',
  "notes' rule": 'notesRule',
  inference: 'inference',
};

/** The text summary of one network, cut into its table rows, its totals and its memory rows. */
function parseSummary(text: string): Map<string, { rows: string[][]; totals: Map<string, string> }> {
  const out = new Map<string, { rows: string[][]; totals: Map<string, string> }>();
  for (const block of text.split(/^network /m).slice(1)) {
    const [name, , , ...rest] = block.split('\n');
    const rows: string[][] = [];
    const totals = new Map<string, string>();
    let inTable = true;
    for (const line of rest) {
      if (line === '') inTable = false;
      if (inTable) {
        // The kept column's figure is two words (`1.5 MiB`): join them back.
        const cells = line.trim().split(/ +/);
        rows.push(cells.length > 7 ? [...cells.slice(0, 6), cells.slice(6).join(' ')] : cells);
        continue;
      }
      const t = /^ {2}(params|MACs|output|memory) +(.*)$/.exec(line);
      if (t) totals.set(t[1], t[2]);
      const m = /^ {4}(.{18})(.{12})(?: {2}(.*))?$/.exec(line);
      if (m) {
        totals.set(m[1].trim(), m[2].trim());
        if (m[3]) totals.set(`${m[1].trim()} note`, m[3]);
      }
    }
    out.set(name.trim(), { rows, totals });
  }
  return out;
}

for (const name of examples) {
  test(`${name}: every figure of the text summary is the JSON's`, () => {
    for (const settings of SETTINGS) {
      const file = join(ROOT, 'examples', name);
      const text = stride(['summary', file, ...settings]);
      assert.equal(text.status, 0, text.stderr);
      const { json } = summaryJson(file, settings);
      const parsed = parseSummary(text.stdout);
      for (const n of json.networks) {
        const { rows, totals } = parsed.get(n.name)!;
        assert.equal(rows.length, n.layers.length, `${n.name}: one row per layer`);
        n.layers.forEach((l, i) => {
          const [layer, line, shape, params, macs, rf, kept] = rows[i];
          const where = `${name} ${n.name} ${l.name}`;
          assert.equal(layer, l.name, where);
          assert.equal(Number(line), l.line, where);
          assert.equal(shape, l.shape!.join('x'), where);
          assert.equal(readCount(params), l.params, where);
          assert.equal(readCount(macs), l.macs, where);
          const [h, w] = l.receptiveFieldHW!;
          assert.equal(rf, h === w ? `${h}` : `${h}x${w}`, where);
          near(readBytes(kept), l.keptBytes!, `${where} kept`);
        });
        checkTotals(n, totals, settings);
      }
    }
  });
}

function checkTotals(n: NetworkJson, totals: Map<string, string>, settings: string[]): void {
  const params = /^([\d,]+) trainable(?: \+ ([\d,]+) non-trainable \(BatchNorm running statistics\) = ([\d,]+))?$/.exec(totals.get('params')!)!;
  assert.equal(readCount(params[1]), n.trainableParams);
  if (params[2]) assert.equal(readCount(params[2]), n.nonTrainableParams);
  if (params[3]) assert.equal(readCount(params[3]), n.params);
  const macs = /^([\d,]+) \(([\d,]+) FLOPs\)$/.exec(totals.get('MACs')!)!;
  assert.equal(readCount(macs[1]), n.macs);
  assert.equal(readCount(macs[2]), 2 * n.macs);
  assert.equal(totals.get('output'), n.output!.join('x'));
  assert.match(totals.get('memory')!, new RegExp(`^training at batch [\\d,]+, ${n.memory.dtype}, ${n.memory.optimizer}: the peak is in `));
  for (const [label, k] of Object.entries(MEMORY_ROWS)) {
    assert.ok(totals.has(label), `${n.name}: a ${label} row`);
    near(readBytes(totals.get(label)!), n.memory[k] as number, `${n.name} ${label} (${settings.join(' ')})`);
  }
  if (settings.includes('--budget')) {
    const b = totals.get('budget note')!;
    const fit = /^training (fits|does not fit) the (.+?) budget; the largest batch that fits is ([\d,]+)$/.exec(b);
    assert.ok(fit, b);
    near(readBytes(fit[2]), n.memory.budget as number, 'budget');
    assert.equal(readCount(fit[3]), n.memory.maxBatch);
  }
}

// The editor's faces, through the language server as VS Code talks to it.
let lsp: LspClient;
/** With `stride.inlayHints.unchangedShapes`: every line's hint, to check those the default leaves out. */
let lspAll: LspClient;
before(async () => {
  lsp = await LspClient.start({ settings: { batchSize: 1, dtype: 'float32', optimizer: 'sgd' } });
  lspAll = await LspClient.start({ settings: { batchSize: 1, dtype: 'float32', optimizer: 'sgd', inlayHints: { unchangedShapes: true } } });
});
after(() => Promise.all([lsp.stop(), lspAll.stop()]));

interface Hover {
  contents: { value: string };
}

/** A hover's table as key → cell. */
function cells(hover: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of hover.matchAll(/^\| ([^|]+?) \| ([^|]+?) \|$/gm)) out.set(m[1].trim(), m[2].trim());
  return out;
}

/** The line of the brace that closes the one opened on `line` (1-based), or `line` if it opens none. */
function closingLine(lines: string[], line: number): number {
  let depth = 0;
  for (let i = line - 1; i < lines.length; i++) {
    // A whole line at a time: `} shortcut {` closes one body and opens the next.
    for (const ch of lines[i].replace(/#.*/, '')) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
    if (depth <= 0) return i + 1;
  }
  return line;
}

for (const name of examples) {
  test(`${name}: hovers, inlay hints and code lenses agree with the JSON`, async () => {
    const text = readFileSync(join(ROOT, 'examples', name), 'utf8');
    const uri = `file:///figures/${name}`;
    await lsp.open(uri, text);
    const { json } = summaryJson(join(ROOT, 'examples', name));
    const lines = text.split('\n');
    const lenses = await lsp.request<{ range: { start: { line: number } }; command: { title: string } }[]>('textDocument/codeLens', { textDocument: { uri } });
    await lspAll.open(uri, text);
    const hintRange = { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } } };
    type Hint = { position: { line: number }; label: string };
    const hintAt = new Map((await lspAll.request<Hint[]>('textDocument/inlayHint', hintRange)).map((h) => [h.position.line + 1, h.label]));
    const shownAt = new Map((await lsp.request<Hint[]>('textDocument/inlayHint', hintRange)).map((h) => [h.position.line + 1, h.label]));
    for (const n of json.networks) {
      const lens = lenses.find((l) => l.range.start.line + 1 === n.line && / params · /.test(l.command.title))!;
      const t = /^([\d,]+) params · (\S+) MACs · (.+) to train$/.exec(lens.command.title)!;
      assert.ok(t, lens.command.title);
      assert.equal(readCount(t[1]), n.trainableParams, `${n.name} lens params`);
      near(readCompact(t[2]), n.macs, `${n.name} lens MACs`);
      near(readBytes(t[3]), n.memory.training as number, `${n.name} lens training memory`);
      await checkNetworkHover(uri, n, lines);
      // Each line that makes layers of this network outside any block body: its hint and its hover.
      const made = new Map<number, LayerJson[]>();
      for (const l of n.layers) {
        const line = l.callLine ?? l.line;
        made.set(line, [...(made.get(line) ?? []), l]);
      }
      for (const [line, own] of made) {
        const last = own[own.length - 1];
        // A structure spanning lines (`residual {` … `}`) has its hint after its closing brace, for all its layers.
        const close = closingLine(lines, line);
        const layers = close === line ? own : n.layers.filter((l) => (l.callLine ?? l.line) >= line && (l.callLine ?? l.line) <= close);
        const params = layers.reduce((s, l) => s + l.params!, 0);
        const label = hintAt.get(close);
        if (!label) {
          // By design a line of several statements (`conv …; relu`) has none: it would split the line.
          assert.match(lines[line - 1].replace(/#.*/, ''), /;/, `${name} line ${line}: a hint`);
          continue;
        }
        const h = /^→ (\S+)(?: · ([\d,]+) params)?(?: \(([\d,]+) layers\))?$/.exec(label)!;
        assert.ok(h, `${name} line ${line}: ${label}`);
        // By default a line that hands its shape on unchanged and multiplies nothing, or the input, has none.
        const first = n.layers.indexOf(layers[0]);
        const unchanged = first === 0 || n.layers[first - 1].shape!.join('x') === last.shape!.join('x');
        const passes = layers[0].op === 'input' || (unchanged && layers.every((l) => l.macs === 0));
        assert.equal(shownAt.get(close), passes ? undefined : label, `${name} line ${line}: the hint shown by default`);
        assert.equal(h[1], last.shape!.join('x'), `${name} line ${line} hint shape`);
        assert.equal(h[2] ? readCount(h[2]) : 0, params, `${name} line ${line} hint params`);
        if (layers.length > 1) assert.equal(readCount(h[3]), layers.length, `${name} line ${line} hint layers`);
        if (layers.length === 1 && !last.callLine) await checkLayerHover(uri, last, lines, n.layers[0].shape!);
      }
    }
  });
}

async function checkNetworkHover(uri: string, n: NetworkJson, lines: string[]): Promise<void> {
  const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: n.line - 1, character: lines[n.line - 1].indexOf('network') } });
  const c = cells(h.contents.value);
  // The answer before any table: the training total and the inference figure.
  const lead = /^\*\*network .+?\*\* — .*\n\nTraining takes \*\*(.+?)\*\* at batch 1, float32, sgd; inference (.+?)\. /.exec(h.contents.value.slice(0, h.contents.value.indexOf('|')));
  assert.ok(lead, `${n.name} hover leads with the verdict: ${h.contents.value.slice(0, 300)}`);
  near(readBytes(lead[1]), n.memory.training as number, `${n.name} hover lead training`);
  near(readBytes(lead[2]), n.memory.inference as number, `${n.name} hover lead inference`);
  const p = /^([\d,]+) trainable(?: \+ ([\d,]+) running statistics)?$/.exec(c.get('params')!)!;
  assert.equal(readCount(p[1]), n.trainableParams, `${n.name} hover params`);
  assert.equal(p[2] ? readCount(p[2]) : 0, n.nonTrainableParams, `${n.name} hover running statistics`);
  const m = /^([\d,]+) \((\S+) FLOPs\)$/.exec(c.get('MACs')!)!;
  assert.equal(readCount(m[1]), n.macs);
  near(readCompact(m[2].replace(/G$/, 'G')), 2 * n.macs, `${n.name} hover FLOPs`);
  const bytes = (s: string) => readBytes(s.replace(/\*\*|◀/g, '').trim());
  const notes = /The notes' rule of thumb \(.*?\) gives (.+?), /.exec(h.contents.value);
  assert.ok(notes, `${n.name} hover: the notes' rule beside the estimate`);
  near(readBytes(notes[1]), n.memory.notesRule as number, `${n.name} hover notes' rule`);
  for (const [label, k] of Object.entries(MEMORY_ROWS)) {
    if (label === "notes' rule") continue;
    const cell = c.get(label) ?? c.get(`**${label}**`);
    assert.ok(cell, `${n.name} hover: a ${label} row`);
    near(bytes(cell), n.memory[k] as number, `${n.name} hover ${label}`);
  }
}

async function checkLayerHover(uri: string, l: LayerJson, lines: string[], input: number[]): Promise<void> {
  const text = lines[l.line - 1];
  const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: l.line - 1, character: text.search(/\S/) } });
  const c = cells(h.contents.value);
  const where = `${l.name} (line ${l.line})`;
  assert.equal(c.get('output')!.split(' ')[0], l.shape!.join('x'), `${where} hover output`);
  const params = /^([\d,]+)(?: \+ ([\d,]+) running statistics)?/.exec(c.get('params') ?? '');
  if (params) assert.equal(readCount(params[1]) + (params[2] ? readCount(params[2]) : 0), l.params, `${where} hover params`);
  if (c.has('without sharing')) assert.equal(readCount(c.get('without sharing')!.split(' ')[0]), l.unsharedParams, `${where} hover unshared`);
  if (c.has('MACs')) assert.equal(readCount(c.get('MACs')!.split(' ')[0]), l.macs, `${where} hover MACs`);
  const whole = /^the whole (\d+)×(\d+) input \((\d+)×(\d+) unclipped\)$/.exec(c.get('receptive field') ?? '');
  if (whole) {
    const [h, w, fh, fw] = whole.slice(1).map(Number);
    assert.deepEqual([h, w], input.slice(0, 2), `${where} hover field: the network's input`);
    assert.deepEqual([fh, fw], l.receptiveFieldHW, `${where} hover field`);
    assert.ok(fh >= h && fw >= w && (l.shape!.length === 1 || (l.shape![0] === 1 && l.shape![1] === 1)), `${where}: a unit that reads all of the input`);
  }
  const rf = /^(\d+)×(\d+) input pixels, jump ([\d./]+)(?:×([\d./]+))?/.exec(c.get('receptive field') ?? '');
  assert.ok(rf || whole || !c.has('receptive field'), `${where} hover field: ${c.get('receptive field')}`);
  if (rf) {
    const step = (s: string) => (s.startsWith('1/') ? 1 / Number(s.slice(2)) : Number(s));
    assert.deepEqual([Number(rf[1]), Number(rf[2])], l.receptiveFieldHW, `${where} hover field`);
    assert.deepEqual([step(rf[3]), step(rf[4] ?? rf[3])], l.jump, `${where} hover jump`);
  }
  const act = /^(.+?) at batch 1, float32$/.exec(c.get('activations') ?? '');
  if (act) near(readBytes(act[1]), l.activationBytes!, `${where} hover activations`);
  const kept = c.get('kept for backward');
  assert.ok(kept, `${where} hover: what it keeps for backward`);
  if (l.keptBytes! > 0) near(readBytes(kept.split(':')[0]), l.keptBytes!, `${where} hover kept`);
  else assert.match(kept, /^(nothing|0 B)/, `${where} hover kept`);
}
