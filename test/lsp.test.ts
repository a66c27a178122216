import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatBytes, formatCount } from '../language/index.js';
import { ROOT, summaryJson } from './lib/cli.js';
import { LspClient, marked, type LspPosition, type LspRange } from './lib/lsp.js';
import { decoded, deepCalls, deepParentheses, deepRepeats, randomBytes, randomText, TEN_MB, utf16 } from './lib/hostile.js';
import type { GraphResult } from '../language/server/protocol.js';

// Every feature through a real JSON-RPC client talking to `dist/server.js --stdio`.

let lsp: LspClient;
let n = 0;
const uri = () => `file:///test/doc${++n}.stride`;

before(async () => {
  lsp = await LspClient.start({ settings: { batchSize: 1, dtype: 'float32', optimizer: 'sgd' } });
});
after(async () => {
  await lsp.stop();
});

async function openMarked(source: string): Promise<{ uri: string; text: string; at: Record<string, LspPosition> }> {
  const m = marked(source);
  const u = uri();
  await lsp.open(u, m.text);
  return { uri: u, ...m };
}

interface Hover {
  contents: { kind: string; value: string };
  range?: LspRange;
}

const ALEXNET = `network AlexNet {<net>
  input 227x227x3
  c<|>onv 96 11x11 st<attr>ride 4
  relu
  maxpool 3x3 stride 2
}
`;

test('hover on a conv shows its shape, the output-size formula, params with and without sharing, MACs, field and memory', async () => {
  const d = await openMarked(ALEXNET);
  const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: d.uri }, position: d.at.cursor });
  const v = h.contents.value;
  assert.equal(h.contents.kind, 'markdown');
  assert.match(v, /55x55x96 \(exported N×96×55×55\)/);
  assert.match(v, /\(227 − 11 \+ 2·0\) \/ 4 \+ 1 = 55/);
  assert.match(v, /\| params \| 34,944 \|/);
  assert.match(v, /105,705,600 \(locally connected\)/);
  assert.match(v, /\| MACs \| 105,415,200/);
  assert.match(v, /11×11 input pixels, jump 4/);
  assert.match(v, /Convolution: slides learned filters/);
  assert.match(v, /\| activations \| 1\.11 MiB at batch 1, float32/);
});

test('hover on an attribute name documents it; on the network, totals and the memory breakdown', async () => {
  const d = await openMarked(ALEXNET);
  const attr = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: d.uri }, position: d.at.attr });
  assert.match(attr.contents.value, /\*\*stride\*\* \(conv\) — Step between windows/);
  const net = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: d.uri }, position: { line: 0, character: 9 } });
  assert.match(net.contents.value, /\*\*network AlexNet\*\* — 4 layers/);
  // Worked by hand: the peak is the ReLU's backward, with the conv output it kept, the gradients of its
  // output and of the conv's (1.11 MiB each), and the network's output (27x27x96) held by the caller.
  assert.match(net.contents.value, /the peak is in backward at relu_1\./);
  assert.match(net.contents.value, /\| parameters \| 137 KiB \|/);
  assert.match(net.contents.value, /\| kept for backward \| 1\.11 MiB \|/);
  assert.match(net.contents.value, /\| live activations \| 273 KiB \|/);
  assert.match(net.contents.value, /\| activation grads \| 2\.22 MiB ◀ \|/);
  assert.match(net.contents.value, /Largest term: activation gradients\./);
  assert.match(net.contents.value, /The notes' rule of thumb .* gives 5\.82 MiB, 1\.3× this peak/);
});

test('the network hover leads with the verdict: training total and, with a budget, whether it fits and the largest batch', async () => {
  const d = await openMarked(ALEXNET);
  const file = join(mkdtempSync(join(tmpdir(), 'stride-verdict-')), 'alexnet.stride');
  writeFileSync(file, d.text);
  const first = (v: string) => v.slice(0, v.indexOf('|'));
  const plain = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: d.uri }, position: { line: 0, character: 9 } });
  const training = /\*\*training\*\* \| \*\*(.+?)\*\*/.exec(plain.contents.value)![1];
  assert.match(first(plain.contents.value), new RegExp(`^\\*\\*network AlexNet\\*\\* — 4 layers\\n\\nTraining takes \\*\\*${training}\\*\\* at batch 1, float32, sgd; inference `));
  try {
    for (const [gib, verdict] of [[1, 'fits'], [0.001, 'does not fit']] as const) {
      await configure({ batchSize: 1, dtype: 'float32', optimizer: 'sgd', memoryBudgetGiB: gib });
      const at = await until(() => lsp.request<{ budget?: number }>('stride/networkAt', { uri: d.uri, line: 2 }), (v) => v.budget === Math.round(gib * 1024 ** 3));
      assert.ok(at.budget);
      const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: d.uri }, position: { line: 0, character: 9 } });
      const lead = first(h.contents.value);
      // The largest batch as `stride summary --json` finds it for the same budget.
      const maxBatch = summaryJson(file, ['--budget', String(gib)]).json.networks[0].memory.maxBatch as number;
      const batch = formatCount(maxBatch);
      assert.match(lead, new RegExp(`Training \\*\\*${verdict} the ${formatBytes(Math.round(gib * 1024 ** 3)).replace('.', '\\.')} budget\\*\\*: \\*\\*${training}\\*\\* at batch 1, float32, sgd; ${batch === '0' ? 'no batch fits' : `the largest batch that fits is \\*\\*${batch}\\*\\*`}\\.`), lead);
    }
  } finally {
    await configure({ batchSize: 1, dtype: 'float32', optimizer: 'sgd' });
    await until(() => lsp.request<{ budget?: number }>('stride/networkAt', { uri: d.uri, line: 2 }), (v) => v.budget === undefined);
  }
});

test('hover on an unknown op names the problem, not a layer it expands to', async () => {
  const d = await openMarked('network N {\n  input 8x8x3\n  cnov<|> 8 3x3\n  relu\n}\n');
  const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: d.uri }, position: d.at.cursor });
  assert.match(h.contents.value, /^\*\*cnov\*\* — Unknown op or block `cnov`; did you mean `conv`\? The layers after it/);
  assert.doesNotMatch(h.contents.value, /expands to/);
});

test('a unit that reads the whole map sees the whole input, not an unclipped size larger than the image', async () => {
  const d = await openMarked('network N {\n  input 32x32x3\n  <conv>conv 8 3x3 pad 1\n  flatten\n  <dense>dense 10\n}\n');
  const field = async (p: LspPosition) => /\| receptive field \| (.+) \|/.exec((await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: d.uri }, position: p })).contents.value)?.[1];
  assert.equal(await field(d.at.conv), '3×3 input pixels, jump 1');
  // Each unit of the dense layer reads the whole 32x32 map: 3 + (32 − 1)·1 = 34 pixels, counting the padding.
  assert.equal(await field(d.at.dense), 'the whole 32×32 input (34×34 unclipped)');
});

test('hover on a block call tells what it expands to', async () => {
  const d = await openMarked(`block Pair(c) {
  conv c 3x3 pad 1
  relu
}
network N {
  input 8x8x3
  Pa<|>ir 16
}
`);
  const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: d.uri }, position: d.at.cursor });
  assert.match(h.contents.value, /\*\*Pair 16\*\* — expands to 2 layers in N: conv, relu/);
  assert.match(h.contents.value, /\| output \| 8x8x16/);
});

type Hint = { position: LspPosition; label: string; paddingLeft?: boolean };
const hintsOf = (u: string, lines: number) => lsp.request<Hint[]>('textDocument/inlayHint', { textDocument: { uri: u }, range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } } });

test('inlay hints lead with an arrow after each line that changes the shape, and skip the input and pass-through lines', async () => {
  const d = await openMarked(ALEXNET);
  const hints = await hintsOf(d.uri, 6);
  assert.deepEqual(
    hints.map((h) => [h.position.line, h.label]),
    [
      [2, '→ 55x55x96 · 34,944 params'],
      [4, '→ 27x27x96'],
    ],
  );
  assert.equal(hints[0].position.character, '  conv 96 11x11 stride 4'.length);
  assert.ok(hints.every((h) => h.paddingLeft === true), 'a space between the code and the hint');
});

test('inlay hints go after a trailing comment, so that comments aligned by hand stay aligned', async () => {
  const d = await openMarked(`network N {
  input 32x32x3        # RGB
  conv 16 3x3 pad 1    # stem
  batchnorm            # its scale and shift
  maxpool 2x2          # halves the map
  conv 32 3x3
}
`);
  const lines = d.text.split('\n');
  const hints = await hintsOf(d.uri, lines.length);
  assert.deepEqual(hints.map((h) => [h.position.line, h.label]), [
    [2, '→ 32x32x16 · 448 params'],
    [4, '→ 16x16x16'],
    [5, '→ 14x14x32 · 4,640 params'],
  ]);
  for (const h of hints) {
    const line = lines[h.position.line];
    // After the comment when there is one, else right after the code: nothing but the line's end follows.
    assert.equal(h.position.character, line.length, `line ${h.position.line}: ${line}`);
  }
});

test('stride.inlayHints.unchangedShapes brings back the hints of the input and of lines that pass their shape through', async () => {
  const d = await openMarked(ALEXNET);
  try {
    await configure({ inlayHints: { unchangedShapes: true } });
    const hints = await until(() => hintsOf(d.uri, 6), (v) => v.length === 4);
    assert.deepEqual(hints.map((h) => [h.position.line, h.label]), [
      [1, '→ 227x227x3'],
      [2, '→ 55x55x96 · 34,944 params'],
      [3, '→ 55x55x96'],
      [4, '→ 27x27x96'],
    ]);
  } finally {
    await configure({ batchSize: 1, dtype: 'float32', optimizer: 'sgd' });
    await until(() => hintsOf(d.uri, 6), (v) => v.length === 2);
  }
});

test('diagnostics come on open and after each change, with both sides of a mismatched add', async () => {
  const u = uri();
  const text = 'network N {\n  input 8x8x4\n  conv 4 3x3 pad 1 as a\n  conv 8 3x3 pad 1\n  add a\n}\n';
  const first = await lsp.open(u, text);
  assert.deepEqual(first.map((x) => x.code), ['channel-mismatch']);
  assert.deepEqual(first[0].relatedInformation?.map((r) => r.location.range.start.line), [3, 2]);
  const fixed = await lsp.change(u, 2, [{ range: { start: { line: 3, character: 7 }, end: { line: 3, character: 8 } }, text: '4' }]);
  assert.deepEqual(fixed, []);
  const broken = await lsp.change(u, 3, [{ text: 'network N {\n  input 224x224x3\n  conv 96 11x11 stride 4\n}\n' }]);
  assert.deepEqual(broken.map((x) => [x.code, x.severity, x.range.start.line]), [['stride-does-not-tile', 2, 2]]);
});

interface Action {
  title: string;
  kind: string;
  isPreferred?: boolean;
  edit: { changes: Record<string, { range: LspRange; newText: string }[]> };
}

function applyEdits(text: string, edits: { range: LspRange; newText: string }[]): string {
  const lines = text.split('\n');
  const offset = (p: LspPosition) => lines.slice(0, p.line).reduce((a, l) => a + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

async function actions(u: string, line: number): Promise<Action[]> {
  return lsp.request<Action[]>('textDocument/codeAction', { textDocument: { uri: u }, range: { start: { line, character: 0 }, end: { line, character: 0 } }, context: { diagnostics: [] } });
}

test('quick fixes: padding that tiles, flatten before dense, a projection for a channel mismatch', async () => {
  const u = uri();
  const text = 'network N {\n  input 224x224x3\n  conv 96 11x11 stride 4\n  relu\n}\n';
  await lsp.open(u, text);
  const [pad, stride] = await actions(u, 2);
  assert.equal(pad.title, 'pad (1, 1, 2, 2): top 1, left 1, bottom 2, right 2 (output 55x55)');
  assert.equal(pad.isPreferred, true);
  assert.equal(pad.kind, 'quickfix');
  assert.equal(applyEdits(text, pad.edit.changes[u]), 'network N {\n  input 224x224x3\n  conv 96 11x11 stride 4 pad (1, 1, 2, 2)\n  relu\n}\n');
  assert.match(stride.title, /^stride 3/);

  const v = uri();
  const dense = 'network N {\n  input 7x7x8\n  dense 10\n}\n';
  await lsp.open(v, dense);
  const [flatten, asConv] = await actions(v, 2);
  assert.equal(applyEdits(dense, flatten.edit.changes[v]), 'network N {\n  input 7x7x8\n  flatten\n  dense 10\n}\n');
  assert.equal(applyEdits(dense, asConv.edit.changes[v]), 'network N {\n  input 7x7x8\n  conv 10 7x7\n}\n');

  const w = uri();
  const add = 'network N {\n  input 8x8x4\n  conv 4 3x3 pad 1 as a\n  conv 8 3x3 pad 1\n  add a\n}\n';
  await lsp.open(w, add);
  const [projection] = await actions(w, 4);
  assert.match(projection.title, /1x1 projection to 4 channels/);
  assert.equal(applyEdits(add, projection.edit.changes[w]), 'network N {\n  input 8x8x4\n  conv 4 3x3 pad 1 as a\n  conv 8 3x3 pad 1\n  conv 4 1x1\n  add a\n}\n');
});

test('refactors from the notes: dense to an equivalent conv, and a 7x7 conv to three 3x3 convs', async () => {
  const u = uri();
  const fcn = 'network N {\n  input 7x7x512\n  flatten\n  dense 4096\n  relu\n  dense 10\n}\n';
  await lsp.open(u, fcn);
  const refactor = (await actions(u, 3)).find((a) => a.kind === 'refactor.rewrite')!;
  assert.equal(refactor.title, 'Convert to an equivalent convolution: conv 4096 7x7 (params unchanged: 102,764,544; output 1x1x4096)');
  const converted = applyEdits(fcn, refactor.edit.changes[u]);
  assert.equal(converted, 'network N {\n  input 7x7x512\n  conv 4096 7x7\n  flatten\n  relu\n  dense 10\n}\n');

  const v = uri();
  const seven = 'network N {\n  input 56x56x64\n  conv 64 7x7 pad 3 nobias\n}\n';
  await lsp.open(v, seven);
  const three = (await actions(v, 2)).find((a) => a.kind === 'refactor.rewrite')!;
  assert.equal(three.title, 'Replace by three 3x3 convs (same 7x7 receptive field; params 200,704 → 110,592; 27C² vs 49C²)');
  const replaced = applyEdits(seven, three.edit.changes[v]);
  assert.equal(replaced, 'network N {\n  input 56x56x64\n  conv 64 3x3 pad 1 nobias\n  relu\n  conv 64 3x3 pad 1 nobias\n  relu\n  conv 64 3x3 pad 1 nobias\n}\n');
  // Both rewrites keep the network valid: the server reports nothing for the new texts.
  assert.deepEqual(await lsp.change(u, 2, [{ text: converted }]), []);
  assert.deepEqual(await lsp.change(v, 2, [{ text: replaced }]), []);
});

type Item = { label: string; detail?: string; kind: number; insertText?: string; insertTextFormat?: number; sortText?: string };
const completeAt = (u: string, p: LspPosition) => lsp.request<Item[]>('textDocument/completion', { textDocument: { uri: u }, position: p });
/** The list as the editor shows it before any typing: by sortText, then label. */
const shown = (items: Item[]) => [...items].sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label)).map((i) => i.label);

/** A snippet as accepted without editing: each placeholder keeps its value, a choice its first option. */
function expand(snippet: string): string {
  return snippet.replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\$\d+/g, '');
}

test('completion offers ops and blocks at a line start, attributes with defaults after an op, and values after an attribute', async () => {
  const d = await openMarked(`block Stage(c, n = 2) {
  conv c 3x3
}
network N {
  input 32x32x3 as x
  <head>
  conv 16 3x3 <attr>
  upsample 2 mode <value>
  add <tensor>
  maxpool 2x2 <after>
}
`);
  const heads = await completeAt(d.uri, d.at.head);
  for (const w of ['conv', 'maxpool', 'dense', 'Stage', 'repeat', 'residual', 'conv-bn-relu', 'concat']) assert.ok(heads.some((i) => i.label === w), w);
  const attrs = await completeAt(d.uri, d.at.attr);
  assert.deepEqual(attrs.map((i) => i.label), ['stride', 'pad', 'dilation', 'groups', 'nobias']);
  assert.equal(attrs.find((i) => i.label === 'stride')?.detail, 'stride 1');
  // A name with a value is inserted with its default selected to type over; a flag is just its name.
  assert.equal(attrs.find((i) => i.label === 'stride')?.insertText, 'stride ${1:1}');
  assert.equal(attrs.find((i) => i.label === 'nobias')?.insertText, undefined);
  assert.deepEqual((await completeAt(d.uri, d.at.value)).map((i) => i.label), ['nearest', 'bilinear']);
  assert.deepEqual((await completeAt(d.uri, d.at.tensor)).map((i) => i.label), ['x']);
  // After the required values a snippet filled in, the attribute names follow.
  assert.deepEqual((await completeAt(d.uri, d.at.after)).map((i) => i.label), ['stride', 'pad', 'ceil']);
  const mode = (await completeAt(d.uri, { line: 7, character: '  upsample 2 '.length })).find((i) => i.label === 'mode');
  assert.equal(mode?.insertText, 'mode ${1|nearest,bilinear|}');
});

test('an op with required values is inserted as a snippet with them as placeholders, and nothing is listed twice', async () => {
  const d = await openMarked('network N {\n  input 32x32x64 as x\n  <|>\n}\n');
  const items = await completeAt(d.uri, d.at.cursor);
  const byLabel = new Map(items.map((i) => [i.label, i]));
  assert.equal(byLabel.get('maxpool')?.insertText, 'maxpool ${1:2x2}');
  assert.equal(byLabel.get('conv')?.insertText, 'conv ${1:64} ${2:3x3}');
  assert.equal(byLabel.get('add')?.insertText, 'add ${1:x}');
  assert.equal(byLabel.get('relu')?.insertText, undefined, 'an op that needs no value is its name');
  assert.deepEqual(items.map((i) => i.label).filter((l, i, all) => all.indexOf(l) !== i), [], 'each label once');
  assert.match(byLabel.get('concat')!.detail!, /concat \{ branch .* or concat/, 'the structure and the op in one item');

  // Every op, accepted as offered, is a valid layer: on a feature map or, for those that need one, a flat tensor.
  const ops = items.filter((i) => i.kind === 3 && i.label !== 'input');
  assert.ok(ops.length > 30, `${ops.length} ops`);
  for (const op of ops) {
    const line = op.insertText ? expand(op.insertText) : op.label;
    const codes: string[][] = [];
    for (const before of ['conv 64 1x1', 'flatten']) {
      const diagnostics = await lsp.open(uri(), `network N {\n  input 32x32x64 as x\n  ${before}\n  ${line}\n}\n`);
      codes.push(diagnostics.filter((x) => x.severity === 1).map((x) => `${x.code}: ${x.message}`));
    }
    assert.ok(codes.some((c) => c.length === 0), `\`${line}\` is valid somewhere: ${JSON.stringify(codes)}`);
    assert.ok(codes.every((c) => !c.some((x) => x.startsWith('missing-value'))), `\`${line}\` has its values: ${JSON.stringify(codes)}`);
  }
});

test('completion ranks what usually comes next: the input first, after a conv its batchnorm, relu and pool, after a flatten a dense layer', async () => {
  const d = await openMarked(`network N {
  <first>
}
network M {
  input 32x32x3
  conv 16 3x3
  <conv>
  flatten
  <flatten>
}
network R {
  input 32x32x3
  repeat 2 { conv 16 3x3 pad 1; batchnorm }
  <repeat>
}
block Pair(c) {
  conv c 3x3 pad 1
}
network P {
  input 32x32x3
  Pair 16
  <call>
}
`);
  assert.equal(shown(await completeAt(d.uri, d.at.first))[0], 'input');
  assert.deepEqual(shown(await completeAt(d.uri, d.at.conv)).slice(0, 3), ['batchnorm', 'relu', 'maxpool']);
  assert.equal(shown(await completeAt(d.uri, d.at.flatten))[0], 'dense');
  assert.equal(shown(await completeAt(d.uri, d.at.repeat))[0], 'relu', 'after a body ending in batchnorm, its activation');
  // After a block call nothing says what comes next: the registry's order, the input last.
  const afterCall = shown((await completeAt(d.uri, d.at.call)).filter((i) => i.kind === 3));
  assert.equal(afterCall[0], 'conv');
  assert.equal(afterCall.at(-1), 'input');
});

test('the snippets file offers nothing the server already completes', async () => {
  const snippets = JSON.parse(readFileSync(join(ROOT, 'snippets/stride.json'), 'utf8')) as Record<string, { prefix: string; body: string[] }>;
  const d = await openMarked('<top>\nnetwork N {\n  input 8x8x3\n  <body>\n}\n');
  const offered = [...(await completeAt(d.uri, d.at.top)), ...(await completeAt(d.uri, d.at.body))];
  const bodies = new Set(offered.map((i) => expand(i.insertText ?? i.label)));
  for (const [name, s] of Object.entries(snippets)) {
    assert.ok(!offered.some((i) => i.label === s.prefix), `${name}: the server offers \`${s.prefix}\` already`);
    assert.ok(!bodies.has(expand(s.body.join('\n'))), `${name}: the server inserts the same text`);
  }
  assert.ok(Object.keys(snippets).length > 0);
});

test('signature help for a block call follows the parameter being written', async () => {
  const d = await openMarked(`block Stage(c, n = 2, stride = 1) {
  conv c 3x3 stride stride
}
network N {
  input 32x32x3
  Stage 16 <second>
  Stage 16 stride <named>
}
`);
  type Sig = { signatures: { label: string }[]; activeParameter: number };
  const second = await lsp.request<Sig>('textDocument/signatureHelp', { textDocument: { uri: d.uri }, position: d.at.second });
  assert.equal(second.signatures[0].label, 'Stage(c, n = 2, stride = 1)');
  assert.equal(second.activeParameter, 1);
  const named = await lsp.request<Sig>('textDocument/signatureHelp', { textDocument: { uri: d.uri }, position: d.at.named });
  assert.equal(named.activeParameter, 2);
});

test('definition, references and rename for blocks, tensors and parameters', async () => {
  const d = await openMarked(`block <bdef>Pair(<pdef>c) {
  conv <puse>c 3x3 pad 1
}
network N {
  input 8x8x3
  <call>Pair 8 as <tdef>skip
  Pair 8
  add <tuse>skip
}
`);
  type Loc = { uri: string; range: LspRange };
  const def = (p: LspPosition) => lsp.request<Loc>('textDocument/definition', { textDocument: { uri: d.uri }, position: p });
  assert.deepEqual((await def(d.at.call)).range.start, d.at.bdef);
  assert.deepEqual((await def(d.at.tuse)).range.start, d.at.tdef);
  assert.deepEqual((await def(d.at.puse)).range.start, d.at.pdef);
  const refs = await lsp.request<Loc[]>('textDocument/references', { textDocument: { uri: d.uri }, position: d.at.bdef, context: { includeDeclaration: true } });
  assert.deepEqual(refs.map((r) => r.range.start.line), [0, 5, 6]);
  const edit = await lsp.request<{ changes: Record<string, { range: LspRange; newText: string }[]> }>('textDocument/rename', { textDocument: { uri: d.uri }, position: d.at.tdef, newName: 'enc1' });
  assert.equal(applyEdits(d.text, edit.changes[d.uri]), d.text.replace(/skip/g, 'enc1'));
  await assert.rejects(lsp.request('textDocument/rename', { textDocument: { uri: d.uri }, position: d.at.bdef, newName: 'conv' }), /keyword or an op/);
});

test('document symbols outline networks and blocks with shapes; folding covers bodies and comment runs', async () => {
  const text = readFileSync(join(ROOT, 'examples/resnet18.stride'), 'utf8');
  const u = uri();
  await lsp.open(u, text);
  type Sym = { name: string; detail?: string; children?: Sym[] };
  const symbols = await lsp.request<Sym[]>('textDocument/documentSymbol', { textDocument: { uri: u } });
  const net = symbols.find((s) => s.name === 'ResNet18')!;
  assert.match(net.detail!, /layers → 1000$/);
  // conv, batchnorm, relu, conv, batchnorm, the 1x1 projection and its batchnorm, the add, relu.
  assert.ok(net.children!.some((c) => c.name === 'BasicDown 128' && c.detail === '28x28x128 · 230,912 params (9 layers)'), JSON.stringify(net.children!.map((c) => [c.name, c.detail])));
  assert.ok(symbols.some((s) => s.name === 'Basic'));
  const folds = await lsp.request<{ startLine: number; endLine: number; kind?: string }[]>('textDocument/foldingRange', { textDocument: { uri: u } });
  assert.ok(folds.length >= 4);
  assert.ok(folds.some((f) => f.kind === 'comment'));
});

test('semantic tokens mark ops, blocks, parameters and tensors', async () => {
  const text = 'block B(c) {\n  conv c 3x3 pad same\n}\nnetwork N {\n  input 8x8x3 as x\n  B 4\n}\n';
  const u = uri();
  await lsp.open(u, text);
  const { data } = await lsp.request<{ data: number[] }>('textDocument/semanticTokens/full', { textDocument: { uri: u } });
  const legend = ['keyword', 'function', 'class', 'parameter', 'variable', 'property', 'number', 'enumMember'];
  const lines = text.split('\n');
  const tokens: string[] = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < data.length; i += 5) {
    line += data[i];
    char = data[i] === 0 ? char + data[i + 1] : data[i + 1];
    tokens.push(`${lines[line].slice(char, char + data[i + 2])}:${legend[data[i + 3]]}`);
  }
  for (const t of ['block:keyword', 'B:class', 'c:parameter', 'conv:function', 'pad:property', 'same:enumMember', 'N:class', 'input:function', 'as:keyword', 'x:variable']) assert.ok(tokens.includes(t), `${t} in ${tokens.join(' ')}`);
});

test('formatting re-indents and keeps comments', async () => {
  const u = uri();
  const text = 'network N {\n      input 8x8x3   # the input\n conv 4  3x3\n}\n';
  await lsp.open(u, text);
  const edits = await lsp.request<{ range: LspRange; newText: string }[]>('textDocument/formatting', { textDocument: { uri: u }, options: { tabSize: 2, insertSpaces: true } });
  const formatted = applyEdits(text, edits);
  assert.match(formatted, /^network N \{\n {2}input 8x8x3 +# the input\n {2}conv 4 3x3\n\}\n$/);
});

test('code lens on each network shows its totals and opens the summary', async () => {
  const u = uri();
  await lsp.open(u, readFileSync(join(ROOT, 'examples/alexnet.stride'), 'utf8'));
  const lenses = await lsp.request<{ range: LspRange; command: { title: string; command: string } }[]>('textDocument/codeLens', { textDocument: { uri: u } });
  assert.deepEqual(lenses.map((l) => l.command.command), ['stride.showSummary', 'stride.runNetwork', 'stride.exportOnnx', 'stride.openGraphEditor']);
  assert.match(lenses[0].command.title, /^61,100,840 params · 714M MACs · [\d.]+ MiB to train$/);
  assert.equal(lenses[1].command.title, '▶ Run');
  const summary = await lsp.request<{ text: string }>('stride/summary', { uri: u });
  assert.match(summary.text, /network AlexNet/);
  assert.match(summary.text, /61,100,840 trainable/);
});

/** Polls until a condition holds: settings reach the server asynchronously, through its own request. */
async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function configure(settings: Record<string, unknown>): Promise<void> {
  lsp.settings = settings;
  lsp.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
}

test('settings apply live: batch, dtype, optimizer and budget change the numbers and the warnings', async () => {
  const u = uri();
  const text = 'network Big {\n  input 224x224x3\n  repeat 4 { conv 64 3x3 pad 1; relu }\n}\n';
  assert.deepEqual(await lsp.open(u, text), []);
  type At = { name: string; training: number; budget?: number };
  const networkAt = () => lsp.request<At>('stride/networkAt', { uri: u, line: 2 });
  await configure({ batchSize: 256, dtype: 'float16', optimizer: 'adam', memoryBudgetGiB: 1 });
  const at = await until(networkAt, (v) => v.budget !== undefined);
  assert.equal(at.budget, 1024 ** 3);
  assert.ok(at.training > at.budget!);
  const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: u }, position: { line: 0, character: 9 } });
  assert.match(h.contents.value, /Training at batch 256, float16, adam: the peak is in /);
  assert.match(h.contents.value, /^Training \*\*does not fit the 1 GiB budget\*\*: \*\*[\d.]+ GiB\*\* at batch 256, float16, adam; the largest batch that fits is \*\*\d+\*\*\.$/m);
  const hintRange = { textDocument: { uri: u }, range: { start: { line: 0, character: 0 }, end: { line: 4, character: 0 } } };
  assert.ok((await lsp.request<unknown[]>('textDocument/inlayHint', hintRange)).length > 0);
  await configure({ inlayHints: { enabled: false } });
  assert.deepEqual(await until(() => lsp.request<unknown[]>('textDocument/inlayHint', hintRange), (v) => v.length === 0), []);
  await configure({});
  await until(networkAt, (v) => v.budget === undefined);
  assert.ok((await lsp.request<unknown[]>('textDocument/inlayHint', hintRange)).length > 0);
});

interface CommandAction {
  title: string;
  kind: string;
  isPreferred?: boolean;
  diagnostics?: { code?: string }[];
  command?: { title: string; command: string; arguments?: unknown[] };
  edit?: Action['edit'];
}

test('over the memory budget: a quick fix sets the batch size to the largest that fits, and the server follows the setting', async () => {
  const u = uri();
  const text = 'network Big {\n  input 224x224x3\n  repeat 4 { conv 64 3x3 pad 1; relu }\n}\n';
  await lsp.open(u, text);
  const memory = { dtype: 'float16', optimizer: 'adam', memoryBudgetGiB: 1 };
  await configure({ batchSize: 256, ...memory });
  const fixes = () => lsp.request<CommandAction[]>('textDocument/codeAction', { textDocument: { uri: u }, range: { start: { line: 0, character: 9 }, end: { line: 0, character: 9 } }, context: { diagnostics: [] } });
  const offered = await until(fixes, (v) => v.some((a) => a.command?.command === 'stride.setBatchSize'));
  const fix = offered.find((a) => a.command?.command === 'stride.setBatchSize')!;
  const n = fix.command!.arguments![0] as number;
  assert.ok(Number.isInteger(n) && n >= 1 && n < 256, `a batch between 1 and 255: ${n}`);
  assert.equal(fix.title, `Set the batch size to ${formatCount(n)} (stride.batchSize)`);
  assert.equal(fix.kind, 'quickfix');
  assert.equal(fix.isPreferred, true);
  assert.equal(fix.edit, undefined, 'the batch is a setting: a command, no text edit');
  assert.deepEqual(fix.diagnostics?.map((d) => d.code), ['memory-over-budget']);

  // The CLI, from the same text and settings, agrees: N fits the budget and N + 1 does not.
  const file = join(mkdtempSync(join(tmpdir(), 'stride-batch-')), 'big.stride');
  writeFileSync(file, text);
  const training = (batch: number) => summaryJson(file, ['--batch', String(batch), '--dtype', 'float16', '--optimizer', 'adam', '--budget', '1']).json.networks[0].memory.training as number;
  assert.ok(training(n) <= 1024 ** 3, `batch ${n} fits: ${training(n)} bytes`);
  assert.ok(training(n + 1) > 1024 ** 3, `batch ${n + 1} does not: ${training(n + 1)} bytes`);

  // What the extension's command does: the setting changes; the server re-analyses with it.
  await configure({ batchSize: n, ...memory });
  const hover = () => lsp.request<Hover>('textDocument/hover', { textDocument: { uri: u }, position: { line: 0, character: 9 } });
  const h = await until(hover, (v) => v.contents.value.includes(` at batch ${n},`));
  assert.match(h.contents.value, new RegExp(` at batch ${n}, float16, adam`));
  assert.doesNotMatch(h.contents.value, /does not fit/);
  assert.ok(!(await fixes()).some((a) => a.command?.command === 'stride.setBatchSize'), 'no fix once it fits');
  const summary = await lsp.request<{ text: string }>('stride/summary', { uri: u });
  assert.match(summary.text, new RegExp(`batch ${n}\\b`));

  // When the parameters alone do not fit (the framework's 282 MiB in a 0.1 GiB budget), no batch would help.
  type At = { budget?: number };
  const networkAt = () => lsp.request<At>('stride/networkAt', { uri: u, line: 1 });
  await configure({ batchSize: 256, ...memory, memoryBudgetGiB: 0.1 });
  await until(networkAt, (v) => v.budget === Math.round(0.1 * 1024 ** 3));
  assert.ok(!(await fixes()).some((a) => a.command?.command === 'stride.setBatchSize'), 'no batch fix when even batch 1 does not fit');
  await configure({});
  await until(networkAt, (v) => v.budget === undefined);
});

test('checkpoint refactor on ResNet-18: wrapping a repeat lowers training memory by what its title says; Remove checkpoint restores the text', async () => {
  const text = readFileSync(join(ROOT, 'examples/resnet18.stride'), 'utf8');
  const u = uri();
  assert.deepEqual(await lsp.open(u, text), []);
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes('repeat 2 { Basic 64 }'));
  const refactors = async (l: number) => (await lsp.request<CommandAction[]>('textDocument/codeAction', { textDocument: { uri: u }, range: { start: { line: l, character: 0 }, end: { line: l, character: 0 } }, context: { diagnostics: [] } })).filter((a) => a.kind === 'refactor.rewrite');
  const [wrap] = await refactors(line);
  const saves = /^Checkpoint this \(recompute in backward\): saves (.+) at the peak$/.exec(wrap?.title ?? '');
  assert.ok(saves, `a checkpoint refactor on the repeat: ${wrap?.title}`);
  type At = { training: number };
  const before = await lsp.request<At>('stride/networkAt', { uri: u, line });
  const wrapped = applyEdits(text, wrap.edit!.changes[u]);
  assert.ok(wrapped.includes('  checkpoint {\n    repeat 2 { Basic 64 }'), wrapped);
  assert.deepEqual(await lsp.change(u, 2, [{ text: wrapped }]), [], 'no new diagnostics');
  const after = await lsp.request<At>('stride/networkAt', { uri: u, line });
  assert.ok(after.training < before.training, `training memory drops: ${before.training} → ${after.training}`);
  assert.equal(formatBytes(before.training - after.training), saves[1], 'by what the title says');
  // Neither on a plain layer nor on the repeat now inside the checkpoint.
  assert.deepEqual(await refactors(lines.findIndex((l) => l.includes('maxpool 3x3'))), []);
  assert.deepEqual((await refactors(line + 1)).map((a) => a.title), []);
  const [remove] = await refactors(line);
  assert.equal(remove.title, 'Remove checkpoint');
  assert.equal(applyEdits(wrapped, remove.edit!.changes[u]), text);
});

test('every example answers hover on every layer line without error', async () => {
  for (const file of ['lenet5', 'resnet50', 'mobilenetv2', 'inception', 'unet', 'fcn', 'dcgan']) {
    const text = readFileSync(join(ROOT, `examples/${file}.stride`), 'utf8');
    const u = uri();
    assert.deepEqual(await lsp.open(u, text), [], file);
    const lines = text.split('\n');
    for (let line = 0; line < lines.length; line++) {
      const col = lines[line].search(/\S/);
      if (col < 0 || lines[line].trim().startsWith('#') || lines[line].trim() === '}') continue;
      await lsp.request('textDocument/hover', { textDocument: { uri: u }, position: { line, character: col } });
    }
  }
});

test('the graph editor requests: the diagram of the current text, and a graph edit as text edits', async () => {
  const u = uri();
  const text = 'network N {\n  input 32x32x3\n  conv 8 3x3 pad 1   # the stem\n  relu\n}\n';
  await lsp.open(u, text);
  const g = await lsp.request<GraphResult>('stride/graph', { uri: u });
  assert.equal(g.version, 1);
  assert.deepEqual(g.memory, { batch: 1, dtype: 'float32' }, 'the settings its memory figures are for');
  assert.deepEqual(g.model.networks[0].nodes.map((n) => `${n.id} ${n.shape}`), ['input_1 32x32x3', 'conv_1 32x32x8', 'relu_1 32x32x8']);
  assert.ok(g.palette.some((p) => p.op === 'conv'));
  const conv = g.model.networks[0].nodes[1].stmt;

  const reply = await lsp.request<{ edits: { range: LspRange; newText: string }[]; select?: number }>('stride/graphEdit', { uri: u, version: 1, edit: { kind: 'setAttribute', stmt: conv, name: 'kernel', value: '5x5' } });
  const changed = applyEdits(text, reply.edits);
  assert.equal(changed, text.replace('3x3 pad 1', '5x5 pad 1'));
  await lsp.change(u, 2, [{ text: changed }]);
  const after = await lsp.request<GraphResult>('stride/graph', { uri: u });
  assert.equal(after.version, 2);
  assert.equal(after.model.networks[0].nodes[1].label, '8 5x5 pad 1');

  // An edit computed on the old text's offsets is refused, not applied to the wrong place.
  const stale = await lsp.request<{ error?: string }>('stride/graphEdit', { uri: u, version: 1, edit: { kind: 'delete', stmts: [conv] } });
  assert.match(stale.error ?? '', /text changed/);
});

test('hostile files each get a few diagnostics, hover answers on them, and on a normal file after them', async () => {
  const cases: { name: string; text: string; codes: string[] }[] = [
    { name: '2,000 nested repeats', text: deepRepeats(2000), codes: ['nesting-too-deep'] },
    { name: '3,000 nested parentheses', text: deepParentheses(3000), codes: ['nesting-too-deep'] },
    { name: '3,000 blocks calling each other', text: deepCalls(3000), codes: ['nesting-too-deep'] },
    { name: 'a 10 MB binary file', text: decoded(randomBytes(TEN_MB)), codes: ['binary-file'] },
    { name: 'a UTF-16 file', text: decoded(utf16(readFileSync(join(ROOT, 'examples/resnet18.stride'), 'utf8'))), codes: ['utf16-file'] },
  ];
  for (const c of cases) {
    const u = uri();
    const t0 = performance.now();
    const diagnostics = await lsp.open(u, c.text);
    assert.deepEqual(diagnostics.map((d) => d.code), c.codes, c.name);
    for (const position of [{ line: 0, character: 0 }, diagnostics[0].range.start, { line: 2, character: 3 }]) {
      await lsp.request('textDocument/hover', { textDocument: { uri: u }, position });
    }
    await lsp.request('textDocument/documentSymbol', { textDocument: { uri: u } });
    assert.ok(performance.now() - t0 < 10_000, `${c.name}: ${(performance.now() - t0).toFixed(0)} ms`);
  }
  const u = uri();
  const random = await lsp.open(u, randomText(TEN_MB));
  assert.equal(random.length, 201);
  assert.match(random[200].message, /^… and [\d,]+ more problems \(Stride shows the first 200\)$/);
  await lsp.request('textDocument/hover', { textDocument: { uri: u }, position: { line: 5, character: 5 } });
  const d = await openMarked(ALEXNET);
  const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: d.uri }, position: d.at.cursor });
  assert.match(h.contents.value, /55x55x96 \(exported N×96×55×55\)/);
});

test('parameters without their shape: a request gets InvalidParams naming the field, a notification is logged and ignored', async () => {
  const logged: string[] = [];
  lsp.connection.onNotification('window/logMessage', (p: { message: string }) => {
    logged.push(p.message);
  });
  const u = uri();
  lsp.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: u, languageId: 'stride', version: 1 } });
  const invalid = (field: RegExp) => (e: { code?: number; message?: string }) => e.code === -32602 && field.test(e.message ?? '');
  await assert.rejects(lsp.request('stride/graphEdit', {}), invalid(/^stride\/graphEdit: `uri` is missing: expected a string$/));
  await assert.rejects(lsp.request('textDocument/hover', {}), invalid(/`textDocument` is missing/));
  await assert.rejects(lsp.request('textDocument/hover', { textDocument: { uri: u }, position: { line: -1, character: 0 } }), invalid(/`position\.line` must be a whole number ≥ 0, not -1/));
  await assert.rejects(lsp.request('stride/graph', null), invalid(/the parameters are missing/));
  await assert.rejects(lsp.request('stride/networkAt', { uri: u }), invalid(/`line` is missing/));
  await assert.rejects(lsp.request('stride/graphEdit', { uri: u, version: 1, edit: { kind: 'explode' } }), invalid(/`edit\.kind` must be one of "setAttribute", "insert", "delete", "move", "wrap", not the string "explode"/));
  await assert.rejects(lsp.request('stride/graphEdit', { uri: u, version: 1, edit: { kind: 'delete', stmts: ['x'] } }), invalid(/`edit\.stmts\[0\]` must be a whole number ≥ 0/));
  await assert.rejects(lsp.request('textDocument/formatting', { textDocument: { uri: u } }), invalid(/`options` is missing/));
  // The document opened without text was not opened; the server is still up and reads the next one.
  assert.equal(await lsp.request('textDocument/hover', { textDocument: { uri: u }, position: { line: 0, character: 0 } }), null);
  const text = 'network N {\n  input 8x8x1\n  relu\n}\n';
  assert.deepEqual(await lsp.open(u, text), []);
  lsp.connection.sendNotification('textDocument/didChange', { textDocument: { uri: u, version: 2 }, contentChanges: [{}] });
  lsp.connection.sendNotification('textDocument/didChange', { textDocument: { uri: u, version: 3 }, contentChanges: [{ range: { start: {} }, text: 'x' }] });
  lsp.connection.sendNotification('workspace/didChangeConfiguration', null);
  const h = await lsp.request<Hover>('textDocument/hover', { textDocument: { uri: u }, position: { line: 2, character: 3 } });
  assert.match(h.contents.value, /8x8x1/);
  assert.ok(logged.includes('ignored textDocument/didOpen: `textDocument.text` is missing: expected a string'), logged.join('\n'));
  assert.ok(logged.includes('ignored textDocument/didChange: `contentChanges[0].text` is missing: expected a string'), logged.join('\n'));
  assert.ok(logged.includes('ignored textDocument/didChange: `contentChanges[0].range.start.line` is missing: expected a whole number ≥ 0'), logged.join('\n'));
});
