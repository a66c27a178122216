// The graph editor's webview in headless Chromium: the real bundle (dist/webview/webview.js) in the page
// graphEditorHtml writes, under its Content Security Policy, driven by the messages VS Code would send.
// Screenshots land in test-artifacts/. Skipped when /usr/bin/chromium is missing or STRIDE_E2E=0. The layout's
// geometry is checked without a browser.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import type { GraphEdit } from '../language/edits/graph-edit.js';
import { analyze } from '../language/analysis/analyze.js';
import { formatBytes, formatCompact, formatCount } from '../language/base/format.js';
import { diffNetworks, fieldChangeText, graphComparison, type GraphComparison } from '../language/views/diff.js';
import type { GraphModel, GraphNetwork } from '../language/views/graph.js';
import type { Point, Rect } from '../webview/graph/model/geometry.js';
import { layoutGraph } from '../webview/graph/layout/layered.js';
import type { Layout } from '../webview/graph/layout/layout.js';
import { defaultFold } from '../webview/graph/layout/fold.js';
import { FOLD_SCREENS, choiceKey } from '../webview/graph/model/collapse.js';
import { NODE_TEXT_PX } from '../webview/graph/model/geometry.js';
import { edgeKey, visibleGraph, type VisibleGraph } from '../webview/graph/model/visible-graph.js';
import type { WebviewToHost } from '../webview/protocol.js';
import { DARK_THEME, example, launchChromium, modelOf, openWebview, pageProblems, ROOT, startServer, webviewSkipReason, type WebviewPage } from './lib/webview-page.js';

const skip = webviewSkipReason() ?? false;
const ARTIFACTS = join(ROOT, 'test-artifacts');
const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.stride')).sort();

/** ResNet-18 with a third block in its 128-channel stage: the pair the comparison is shown on. */
const RESNET18 = example('resnet18.stride');
const DEEPER = RESNET18.replace(/^  Basic 128$/m, '  repeat 2 { Basic 128 }');

/** The comparison the language server makes of `after` with `before` (stride/diff). */
function comparisonOf(before: string, after: string, against: string): GraphComparison {
  const a = analyze(before);
  const b = analyze(after);
  return graphComparison(diffNetworks(a, a.networks[0], b, b.networks[0]), against);
}

let browser: Browser;
let server: Awaited<ReturnType<typeof startServer>>;

/** A fresh page showing `text`; returns it with the model it shows. */
async function showing(text: string, version = 1): Promise<{ wp: WebviewPage; model: GraphModel }> {
  const wp = await openWebview(browser, server.origin);
  const model = modelOf(text);
  await wp.showGraph(model, version);
  return { wp, model };
}

async function renderCount(wp: WebviewPage): Promise<number> {
  return Number(await wp.page.evaluate(() => document.body.dataset.renderCount ?? '0'));
}

/** Waits for the drawing after `before` drawings (a fold, a network switch: no new version). */
async function nextRender(wp: WebviewPage, before: number): Promise<void> {
  await wp.page.waitForFunction((n) => Number(document.body.dataset.renderCount ?? '0') > n, before, { timeout: 20_000 });
}

async function edits(wp: WebviewPage): Promise<GraphEdit[]> {
  return (await wp.posted()).flatMap((m) => (m.type === 'edit' ? [m.edit] : []));
}

async function lastPosted(wp: WebviewPage, type: WebviewToHost['type']): Promise<WebviewToHost | undefined> {
  return (await wp.posted()).filter((m) => m.type === type).at(-1);
}

/** Picks a network in the selector's drop-down, as a user does. */
async function chooseNetwork(wp: WebviewPage, name: string): Promise<void> {
  const before = await renderCount(wp);
  await wp.page.locator('[data-action="network"]').click();
  await wp.page.getByRole('option', { name, exact: true }).click();
  await nextRender(wp, before);
}

/** The scale at which box text is the editor's size, as the page reads the theme. */
const READABLE = parseFloat(DARK_THEME['--vscode-editor-font-size']) / NODE_TEXT_PX;

/** The stage's height on screen: the default fold depends on it. */
async function stageHeight(wp: WebviewPage): Promise<number> {
  return (await wp.page.locator('#diagram').boundingBox())!.height;
}

/** What the page draws of a network by default, computed as the page does. */
async function expectedFold(wp: WebviewPage, net: GraphNetwork): Promise<ReturnType<typeof defaultFold>> {
  return defaultFold(net, {}, (FOLD_SCREENS * (await stageHeight(wp))) / READABLE);
}

/** Presses a toolbar button that redraws (Collapse all, Expand all) and waits for the drawing. */
async function pressAndRedraw(wp: WebviewPage, action: string): Promise<void> {
  const before = await renderCount(wp);
  await wp.page.locator(`[data-action="${action}"]`).click();
  await nextRender(wp, before);
}

async function assertClean(wp: WebviewPage): Promise<void> {
  assert.deepEqual(await pageProblems(wp), [], 'no console errors, page errors or policy violations');
}

/** The centre of an element on screen relative to the diagram's centre, in pixels. */
async function offCentre(wp: WebviewPage, selector: string): Promise<number> {
  const svg = (await wp.page.locator('#diagram').boundingBox())!;
  const box = (await wp.page.locator(selector).boundingBox())!;
  return Math.hypot(box.x + box.width / 2 - (svg.x + svg.width / 2), box.y + box.height / 2 - (svg.y + svg.height / 2));
}

describe('graph editor webview', { skip }, () => {
  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServer();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('every example draws one box per visible layer or folded group, and every tensor with its shape', async () => {
    const wp = await openWebview(browser, server.origin);
    let version = 0;
    for (const file of EXAMPLES) {
      const model = modelOf(example(file));
      await wp.showGraph(model, ++version);
      for (const [i, net] of model.networks.entries()) {
        if (i > 0) await chooseNetwork(wp, net.name);
        const where = `${file}: ${net.name}`;
        // A network that would be more than a few screens tall opens folded: its blocks, or its outermost groups.
        const { graph: v, layout } = await expectedFold(wp, net);
        const folded = v.nodes.filter((n) => n.kind === 'group').length;
        if (layout.height * READABLE > FOLD_SCREENS * (await stageHeight(wp))) assert.ok(folded > 0, `${where}: a tall network opens folded`);
        const ids = await wp.page.locator('[data-node-id], .group-node[data-group-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id') ?? e.getAttribute('data-group-id')));
        assert.deepEqual(ids.sort(), v.nodes.map((n) => n.id).sort(), `${where}: one box per visible layer or folded group`);
        assert.equal(await wp.page.locator('.group-node').count(), folded, `${where}: the folded groups`);
        assert.equal(await wp.page.locator('.frame').count(), v.frames.length, `${where}: a frame per open group`);
        const drawn = await wp.page.locator('[data-edge]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-edge'), e.getAttribute('data-shape'), e.querySelector('.edge-label')?.textContent ?? null] as const));
        const expected = new Map(v.edges.map((e) => [edgeKey(e.from, e.to), e.shape]));
        const boxShape = new Map(v.nodes.map((n) => [n.id, n.kind === 'layer' ? n.node.shape : n.shape]));
        assert.equal(drawn.length, expected.size, `${where}: one edge per tensor`);
        for (const [key, shape, label] of drawn) {
          assert.ok(expected.has(key!), `${where}: edge ${key} is in the model`);
          assert.ok(shape, `${where}: edge ${key} has a shape`);
          assert.equal(shape, expected.get(key!), `${where}: edge ${key} carries its shape`);
          // The source box writes its output's shape; the edge repeats none of it.
          const source = key!.split('->')[0];
          if (label !== null) assert.notEqual(label, boxShape.get(source), `${where}: edge ${key} repeats the shape its source shows`);
        }
      }
    }
    await assertClean(wp);
  });

  test('screenshots: ResNet-50 and U-Net in a dark theme', async () => {
    const shot = (wp: WebviewPage, name: string) => wp.page.screenshot({ path: join(ARTIFACTS, `webview-${name}.png`) });
    const { wp } = await showing(example('resnet50.stride'));
    await shot(wp, 'resnet50');
    // A block of the second stage: the residual path and the projection shortcut side by side.
    await pressAndRedraw(wp, 'expand-all');
    await wp.page.locator('[data-action="search"] input').fill('BottleneckDown_2.conv_4');
    await wp.page.locator('[data-action="search"] input').press('Enter');
    await wp.page.locator('.node.current-match').click();
    await shot(wp, 'resnet50-block');

    // The overview: the stages' blocks collapsed, in a tall window.
    const tall = await openWebview(browser, server.origin, { width: 1280, height: 1700 });
    await tall.showGraph(modelOf(example('resnet50.stride')), 1);
    await pressAndRedraw(tall, 'collapse-all');
    await tall.page.locator('[data-action="fit"]').click();
    await tall.page.locator('[data-group-id="repeat_3"]').click();
    await shot(tall, 'resnet50-overview');

    const unet = await showing(example('unet.stride'));
    await shot(unet.wp, 'unet');
    await unet.wp.page.locator('[data-action="search"] input').fill('concat_1');
    await unet.wp.page.locator('[data-action="search"] input').press('Enter');
    await unet.wp.page.locator('[data-node-id="concat_1"]').click();
    await shot(unet.wp, 'unet-decoder');
    for (const p of [wp, tall, unet.wp]) await assertClean(p);
  });

  test('a thin bar under each layer shows what it keeps for backward, relative to the layer that keeps the most', async () => {
    // The checkpointed pair keeps nothing (it runs again in backward); flatten is a view and keeps nothing.
    const text = 'network N {\n  input 32x32x3\n  conv 8 3x3 pad 1\n  relu\n  checkpoint { conv 8 3x3 pad 1; relu }\n  maxpool 2x2\n  flatten\n  dense 10\n}\n';
    const { wp, model } = await showing(text);
    const nodes = model.networks[0].nodes;
    const max = Math.max(...nodes.map((n) => n.kept));
    assert.ok(max > 0);
    const keeping = nodes.filter((n) => n.kept > 0);
    const none = nodes.filter((n) => n.kept === 0).map((n) => n.id);
    for (const id of ['conv_2', 'relu_2', 'flatten_1']) assert.ok(none.includes(id), `${id} keeps nothing in the model: ${JSON.stringify(nodes.map((n) => [n.id, n.kept]))}`);
    assert.ok(keeping.length >= 3, 'several layers keep something');
    const widths = await wp.page.locator('[data-node-id]').evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-node-id'), e.querySelector('.kept-bar')?.getAttribute('width') ?? null, e.querySelector('.macs-track')?.getAttribute('width') ?? null] as const),
    );
    const track = Number(widths.find(([, , t]) => t !== null)![2]);
    for (const [id, width] of widths) {
      const n = nodes.find((x) => x.id === id)!;
      if (n.kept === 0) assert.equal(width, null, `${id}: no bar`);
      else assert.ok(Math.abs(Number(width) - Math.max(1, (track * n.kept) / max)) < 0.06, `${id}: width ${width} for ${n.kept} of ${max} bytes on a ${track} px scale`);
    }
    const widest = keeping.find((n) => n.kept === max)!;
    assert.equal(Number(widths.find(([id]) => id === widest.id)![1]), track, 'the layer that keeps the most fills the scale');

    // The tooltip and the side panel say how much, as the rest of Stride writes bytes.
    const tip = (id: string) => wp.page.locator(`[data-node-id="${id}"] > title`).textContent();
    assert.match((await tip(widest.id)) ?? '', new RegExp(`keeps ${formatBytes(max).replace('.', '\\.')} for backward`));
    assert.match((await tip('conv_2')) ?? '', /keeps nothing for backward/);
    await wp.page.locator(`[data-node-id="${widest.id}"]`).click();
    assert.match(await wp.page.locator('#selection').innerText(), new RegExp(`kept for backward\\s+${formatBytes(max).replace('.', '\\.')}`));
    await wp.page.screenshot({ path: join(ARTIFACTS, 'webview-kept-bars.png') });
    await assertClean(wp);
  });

  test('a click selects a layer and reveals its line; Shift-click adds to the selection', async () => {
    const { wp, model } = await showing(example('resnet50.stride'));
    const net = model.networks[0];
    const conv = net.nodes.find((n) => n.id === 'conv_1')!;
    await wp.page.locator('[data-node-id="conv_1"]').click();
    assert.deepEqual(await lastPosted(wp, 'reveal'), { type: 'reveal', line: conv.line });
    assert.ok(await wp.page.locator('[data-node-id="conv_1"]').evaluate((e) => e.classList.contains('selected')));
    const facts = await wp.page.locator('#selection').innerText();
    assert.match(facts, /112x112x64/);
    assert.match(facts, /9,408/, 'params read with thousands separators');
    await wp.page.locator('[data-node-id="batchnorm_1"]').click({ modifiers: ['Shift'] });
    const selected = await wp.page.locator('.node.selected').evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id')));
    assert.deepEqual(selected.sort(), ['batchnorm_1', 'conv_1']);
    assert.match(await wp.page.locator('#selection').innerText(), /2 selected/);
    // A click on the background clears it.
    const svg = (await wp.page.locator('#diagram').boundingBox())!;
    await wp.page.mouse.click(svg.x + 10, svg.y + svg.height - 10);
    assert.equal(await wp.page.locator('.node.selected').count(), 0);
    await assertClean(wp);
  });

  test('the cursor line highlights the layers it made and brings them on screen', async () => {
    const { wp, model } = await showing(example('resnet50.stride'));
    await pressAndRedraw(wp, 'expand-all');
    const dense = model.networks[0].nodes.find((n) => n.op === 'dense')!;
    await wp.send({ type: 'cursor', line: dense.line });
    await wp.page.waitForFunction((id) => document.querySelector(`[data-node-id="${id}"]`)?.classList.contains('cursor'), dense.id);
    assert.ok((await offCentre(wp, `[data-node-id="${dense.id}"]`)) < 60, 'the layer, at the bottom of the network, is brought on screen');
    // A block's body line made a layer in every call of the block.
    const bodyLine = model.networks[0].nodes.find((n) => n.id === 'Bottleneck_1.conv_1')!.line;
    await wp.send({ type: 'cursor', line: bodyLine });
    await wp.page.waitForFunction(() => document.querySelectorAll('.node.cursor').length > 1);
    const lit = await wp.page.locator('.node.cursor').count();
    assert.equal(lit, model.networks[0].nodes.filter((n) => n.line === bodyLine).length);
    await assertClean(wp);
  });

  test('an attribute changed in the side panel asks for a setAttribute edit', async () => {
    const { wp, model } = await showing(example('resnet50.stride'));
    const conv = model.networks[0].nodes.find((n) => n.id === 'conv_1')!;
    await wp.page.locator('[data-node-id="conv_1"]').click();
    const kernel = wp.page.locator('[data-attr="kernel"]');
    assert.equal(await kernel.evaluate((e) => (e as HTMLElement & { value: string }).value), '7x7', 'the written value');
    assert.equal(await wp.page.locator('[data-attr="dilation"]').evaluate((e) => (e as HTMLElement & { placeholder: string }).placeholder), '1', 'the default as placeholder');
    await kernel.locator('input').fill('5x5');
    await kernel.locator('input').press('Enter');
    assert.deepEqual(await edits(wp), [{ kind: 'setAttribute', stmt: conv.stmt, name: 'kernel', value: '5x5' }]);
    // A flag is a checkbox: unticking `nobias` removes it.
    await wp.page.locator('[data-attr="nobias"]').click();
    assert.deepEqual((await edits(wp)).at(-1), { kind: 'setAttribute', stmt: conv.stmt, name: 'nobias', value: '' });
    // The model is not changed here: the panel still shows the text's value until the host sends the new graph.
    assert.equal(await kernel.evaluate((e) => (e as HTMLElement & { value: string }).value), '5x5');
    assert.match((await wp.page.locator('[data-node-id="conv_1"]').textContent()) ?? '', /7x7/);
    await assertClean(wp);
  });

  test('an enum attribute is a single select', async () => {
    const { wp, model } = await showing('network Up {\n  input 8x8x3\n  upsample 2 mode bilinear\n}\n');
    const up = model.networks[0].nodes.find((n) => n.op === 'upsample')!;
    await wp.page.locator(`[data-node-id="${up.id}"]`).click();
    const mode = wp.page.locator('[data-attr="mode"]');
    assert.equal(await mode.evaluate((e) => e.tagName), 'VSCODE-SINGLE-SELECT');
    assert.equal(await mode.evaluate((e) => (e as HTMLElement & { value: string }).value), 'bilinear');
    await mode.evaluate((e) => {
      (e as HTMLElement & { value: string }).value = 'nearest';
      e.dispatchEvent(new Event('change', { bubbles: true }));
    });
    assert.deepEqual(await edits(wp), [{ kind: 'setAttribute', stmt: up.stmt, name: 'mode', value: 'nearest' }]);
    await assertClean(wp);
  });

  test('palette, delete, move and wrap ask for their edits; an edit error shows', async () => {
    const { wp, model } = await showing(example('alexnet.stride'));
    const net = model.networks[0];
    const [a, b] = [net.nodes[1], net.nodes[2]];
    await wp.page.locator('[data-op="relu"]').click();
    assert.deepEqual((await edits(wp)).at(-1), { kind: 'insert', after: { network: net.name }, text: 'relu' });
    await wp.page.locator(`[data-node-id="${a.id}"]`).click();
    await wp.page.locator('[data-action="palette-filter"] input').fill('batchnorm');
    assert.equal(await wp.page.locator('[data-op]').count(), 1, 'the filter leaves batchnorm');
    await wp.page.locator('[data-op="batchnorm"]').click();
    assert.deepEqual((await edits(wp)).at(-1), { kind: 'insert', after: a.stmt, text: 'batchnorm' });

    await wp.page.locator('[data-action="delete"]').click();
    assert.deepEqual((await edits(wp)).at(-1), { kind: 'delete', stmts: [a.stmt] });
    await wp.page.locator('[data-action="move-up"]').click();
    assert.deepEqual((await edits(wp)).at(-1), { kind: 'move', stmt: a.stmt, by: -1 });
    await wp.page.locator('[data-action="move-down"]').click();
    assert.deepEqual((await edits(wp)).at(-1), { kind: 'move', stmt: a.stmt, by: 1 });
    await wp.page.locator('#diagram').focus();
    await wp.page.keyboard.press('Alt+ArrowUp');
    assert.deepEqual((await edits(wp)).at(-1), { kind: 'move', stmt: a.stmt, by: -1 });
    await wp.page.keyboard.press('Delete');
    assert.deepEqual((await edits(wp)).at(-1), { kind: 'delete', stmts: [a.stmt] });

    await wp.page.locator(`[data-node-id="${b.id}"]`).click({ modifiers: ['Shift'] });
    await wp.page.locator('[data-action="wrap"]').click();
    await wp.page.locator('[data-action="wrap-count"] input').fill('3');
    await wp.page.locator('[data-action="wrap-confirm"]').click();
    assert.deepEqual((await edits(wp)).at(-1), { kind: 'wrap', stmts: [a.stmt, b.stmt].sort((x, y) => x - y), count: 3 });

    const requestId = (await wp.posted()).filter((m) => m.type === 'edit').length;
    await wp.send({ type: 'editResult', requestId, error: 'the statements are not next to each other' });
    await wp.page.waitForSelector('#edit-error:not([hidden])');
    assert.match(await wp.page.locator('#edit-error').innerText(), /not next to each other/);
    await assertClean(wp);
  });

  test('an update redraws keeping the view and the selection; `select` picks the edited statement', async () => {
    const text = example('resnet50.stride');
    const { wp, model } = await showing(text);
    await wp.page.locator('[data-node-id="maxpool_1"]').click();
    await wp.page.locator('[data-action="zoom-in"]').click();
    const svg = (await wp.page.locator('#diagram').boundingBox())!;
    await wp.page.mouse.move(svg.x + 30, svg.y + 30);
    await wp.page.mouse.down();
    await wp.page.mouse.move(svg.x + 90, svg.y - 20, { steps: 4 });
    await wp.page.mouse.up();
    const view = await wp.page.locator('.viewport').getAttribute('transform');
    assert.ok(view && view !== 'translate(0,0) scale(1)');

    // One line edited: the stem's kernel.
    const edited = text.replace('conv 64 7x7 stride 2 pad 3 nobias', 'conv 64 5x5 stride 2 pad 2 nobias');
    assert.notEqual(edited, text);
    const ms = await wp.showGraph(modelOf(edited), 2);
    assert.ok(ms < 1000, `redraw took ${ms} ms`);
    assert.equal(await wp.page.locator('.viewport').getAttribute('transform'), view, 'the view is kept');
    assert.ok(await wp.page.locator('[data-node-id="maxpool_1"]').evaluate((e) => e.classList.contains('selected')), 'the selection is kept');
    assert.match((await wp.page.locator('[data-node-id="conv_1"]').textContent()) ?? '', /5x5/, 'the new value is drawn');

    const target = model.networks[0].nodes.find((n) => n.id === 'relu_1')!;
    await wp.showGraph(modelOf(edited), 3, target.stmt - (text.length - edited.length));
    assert.deepEqual(await wp.page.locator('.node.selected').evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id'))), ['relu_1']);
    await assertClean(wp);
  });

  test('groups collapse and expand; the choice is kept across updates and reloads', async () => {
    const text = example('resnet50.stride');
    const { wp, model } = await showing(text);
    await pressAndRedraw(wp, 'expand-all');
    const inside = model.networks[0].nodes.filter((n) => n.id.startsWith('BottleneckDown_1.')).length;
    const boxes = await wp.page.locator('[data-node-id]').count();
    let before = await renderCount(wp);
    await wp.page.locator('.frame[data-group-id="BottleneckDown_1"] > [data-action="collapse"]').click();
    await nextRender(wp, before);
    const group = wp.page.locator('.group-node[data-group-id="BottleneckDown_1"]');
    assert.equal(await group.count(), 1, 'the group is one box');
    assert.equal(await wp.page.locator('[data-node-id]').count(), boxes - inside);
    assert.match((await group.textContent()) ?? '', /12 layers/);
    assert.match((await group.textContent()) ?? '', /56x56x256/, 'its output shape');
    assert.equal(await wp.page.locator('[data-edge="maxpool_1->BottleneckDown_1"]').count(), 1, 'edges in are routed to it');
    const net = model.networks[0];
    const outside = new Set(net.edges.filter((e) => e.from.startsWith('BottleneckDown_1.') && !e.to.startsWith('BottleneckDown_1.')).map((e) => e.to));
    assert.equal(outside.size, 2, 'the block feeds the next block and its shortcut');
    assert.equal(await wp.page.locator('[data-edge^="BottleneckDown_1->"]').count(), outside.size, 'edges out leave from it');
    const state = (await wp.savedState()) as { collapsed: Record<string, boolean> };
    assert.equal(state.collapsed['ResNet50/BottleneckDown_1'], true);

    await wp.showGraph(modelOf(text.replace('conv 64 7x7', 'conv 64 5x5')), 2);
    assert.equal(await group.count(), 1, 'still collapsed after an update');

    const reopened = await openWebview(browser, server.origin, { state });
    await reopened.showGraph(model, 1);
    assert.equal(await reopened.page.locator('.group-node[data-group-id="BottleneckDown_1"]').count(), 1, 'still collapsed after a reload');

    before = await renderCount(wp);
    await group.locator('[data-action="expand"]').click();
    await nextRender(wp, before);
    assert.equal(await wp.page.locator('[data-node-id]').count(), boxes);
    await assertClean(wp);
    await assertClean(reopened);
  });

  test('a network of more than 300 layers, too tall with its blocks folded, opens with its outermost groups collapsed', async () => {
    const text = `block B(c) {\n  residual {\n    conv c 3x3 pad 1\n    batchnorm\n    relu\n    conv c 3x3 pad 1\n    batchnorm\n  }\n  relu\n}\nnetwork Big {\n  input 32x32x16\n  repeat 25 { B 16 }\n  repeat 25 { B 16 }\n  globalavgpool\n}\n`;
    const { wp, model } = await showing(text);
    assert.ok(model.networks[0].nodes.length > 300);
    assert.deepEqual(await wp.page.locator('.group-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-group-id'))), ['repeat_1', 'repeat_2']);
    const layers = model.networks[0].groups.find((g) => g.id === 'repeat_1')!.layers;
    assert.match((await wp.page.locator('[data-group-id="repeat_1"]').textContent()) ?? '', new RegExp(`${layers} layers`));
    await assertClean(wp);
  });

  test('search finds layers and centres each match in turn', async () => {
    const { wp } = await showing(example('resnet50.stride'));
    await pressAndRedraw(wp, 'expand-all');
    const search = wp.page.locator('[data-action="search"] input');
    await search.fill('dense');
    await search.press('Enter');
    await wp.page.waitForSelector('.node.current-match');
    assert.equal(await wp.page.locator('.node.current-match').getAttribute('data-node-id'), 'dense_1');
    assert.ok((await offCentre(wp, '[data-node-id="dense_1"]')) < 30, 'the match is centred');
    await search.fill('BottleneckDown_3.conv');
    assert.equal(await wp.page.locator('.node.match').count(), 4);
    await search.press('Enter');
    await search.press('Enter');
    assert.equal(await wp.page.locator('.node.current-match').getAttribute('data-node-id'), 'BottleneckDown_3.conv_2');
    assert.ok((await offCentre(wp, '.node.current-match')) < 30);
    assert.match(await wp.page.locator('#search-count').innerText(), /2 of 4/);
    await assertClean(wp);
  });

  test('export posts the diagram as SVG and as PNG', async () => {
    const { wp } = await showing(example('unet.stride'));
    await wp.page.locator('[data-action="export-svg"]').click();
    await wp.page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'saveImage'));
    const svg = (await lastPosted(wp, 'saveImage')) as Extract<WebviewToHost, { type: 'saveImage' }>;
    assert.equal(svg.format, 'svg');
    assert.equal(svg.name, 'UNet');
    assert.match(svg.data, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.ok(svg.data.includes('data-node-id="convtranspose_1"') && svg.data.includes('256x256x64'));
    assert.ok(!svg.data.includes('var(--'), 'theme colours are resolved');
    assert.ok(!svg.data.includes('scale('), 'drawn at scale 1, whatever the view on screen');
    assert.ok(!svg.data.includes('▾'), 'no fold toggles in the picture');
    writeFileSync(join(ARTIFACTS, 'webview-unet-export.svg'), svg.data);

    await wp.page.locator('[data-action="export-png"]').click();
    await wp.page.waitForFunction(() => (window as unknown as { __posted: { type: string; format?: string }[] }).__posted.some((m) => m.type === 'saveImage' && m.format === 'png'), undefined, { timeout: 20_000 });
    const png = (await lastPosted(wp, 'saveImage')) as Extract<WebviewToHost, { type: 'saveImage' }>;
    const bytes = Buffer.from(png.data, 'base64');
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    assert.ok(bytes.readUInt32BE(16) > 300 && bytes.readUInt32BE(20) > 1000, 'of the whole diagram');
    const image = PNG.sync.read(bytes);
    const colours = new Set<number>();
    for (let i = 0; i < image.data.length && colours.size < 50; i += 4 * 97) colours.add(image.data.readUInt32BE(i));
    assert.ok(colours.size >= 5, `the diagram is drawn, not only its background (${colours.size} colours)`);
    writeFileSync(join(ARTIFACTS, 'webview-unet-export.png'), bytes);
    await assertClean(wp);
  });

  test('diagnostics mark their layers and the banner; bad messages are ignored', async () => {
    const text = 'network Broken {\n  input 32x32x3\n  conv 16 3x3 stride 2\n  conv 16 40x40\n  relu\n}\n}\n';
    const { wp, model } = await showing(text);
    const bad = model.networks[0].nodes.filter((n) => n.diagnostics.length > 0);
    assert.deepEqual(bad.map((n) => n.diagnostics[0].severity), ['warning', 'error'], 'the text has a warning and an error on layers');
    for (const n of bad) {
      const el = wp.page.locator(`[data-node-id="${n.id}"]`);
      assert.ok(await el.evaluate((e, sev) => e.classList.contains(sev), n.diagnostics[0].severity), `${n.id} is marked`);
      assert.ok(((await el.locator('title').first().textContent()) ?? '').includes(n.diagnostics[0].message), 'its message is its tooltip');
    }
    await wp.page.locator(`[data-node-id="${bad[0].id}"]`).click();
    assert.ok((await wp.page.locator('#selection').innerText()).includes(bad[0].diagnostics[0].message), 'and in the side panel');
    assert.equal(model.diagnostics.length, 1, 'and one on no layer');
    assert.ok((await wp.page.locator('#banner').innerText()).includes(model.diagnostics[0].message), 'file diagnostics in the banner');
    await wp.page.locator('#banner .diag').click();
    assert.deepEqual(await lastPosted(wp, 'reveal'), { type: 'reveal', line: model.diagnostics[0].line });
    assert.match((await wp.page.locator('[data-node-id="conv_2"]').textContent()) ?? '', /\?/, 'a shape left unknown by an error reads as unknown');
    assert.match((await wp.page.locator('[data-node-id="relu_1"]').textContent()) ?? '', /≈15x15x16/, 'a shape past it reads as assumed');

    await wp.send({ type: 'no-such-message' } as never);
    await wp.page.evaluate(() => window.postMessage('just a string', '*'));
    await wp.page.evaluate(() => window.postMessage({ type: 'graph', version: 7, model: { networks: 'nope' }, palette: [] }, '*'));
    await wp.page.evaluate(() => window.postMessage({ type: 'cursor', line: 'three' }, '*'));
    // A node the drawing cannot read (no diagnostics list) ends as a message, not a broken page.
    const odd = structuredClone(model);
    delete (odd.networks[0].nodes[1] as { diagnostics?: unknown }).diagnostics;
    await wp.showGraph(odd, 7);
    assert.match(await wp.page.locator('#message').innerText(), /could not be drawn/);
    const empty = await wp.showGraph({ networks: [], statements: {}, diagnostics: [] }, 8);
    assert.ok(empty >= 0);
    assert.match(await wp.page.locator('#message').innerText(), /no network/);
    await wp.showGraph(model, 9);
    assert.ok((await wp.page.locator('[data-node-id]').count()) > 0, 'still draws after all that');
    await assertClean(wp);
  });
  // ---------------------------------------------------------------------------------- a comparison

  /** A box's classes, the sign of its comparison badge and its box's stroke colour, by id. */
  async function marks(wp: WebviewPage): Promise<Map<string, { classes: readonly string[]; badge: string | null; stroke: string }>> {
    const rows = await wp.page.locator('.node').evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-node-id') ?? e.getAttribute('data-group-id')!, [...e.classList], e.querySelector(':scope > .cmp-badge text')?.textContent ?? null, getComputedStyle(e.querySelector(':scope > .box:not(.sheet)')!).stroke] as const),
    );
    return new Map(rows.map(([id, classes, badge, stroke]) => [id, { classes, badge, stroke }]));
  }

  /** Sends a comparison (or its end) and waits until the page shows it (or shows none). */
  async function compare(wp: WebviewPage, c: GraphComparison | undefined): Promise<void> {
    await wp.send({ type: 'compare', comparison: c });
    await wp.page.waitForFunction((on) => document.getElementById('compare')!.hidden === !on, c !== undefined);
  }

  /** The theme's colour as the page resolves it (`rgb(…)`), for a variable VS Code sets. */
  function rgb(hex: string): string {
    const n = parseInt(hex.slice(1), 16);
    return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
  }

  test('a comparison colours what was added and changed, each with its sign; the side panel gives the deltas; the totals theirs; End comparison asks the host', async () => {
    const { wp, model } = await showing(DEEPER);
    const net = model.networks[0];
    const c = comparisonOf(RESNET18, DEEPER, 'resnet18.stride');
    // One more Basic 128: two 3x3 convs of 128 to 128 channels without bias, two batchnorms of 128 (scale, shift, mean, variance).
    assert.equal(c.totals.find((t) => t.field === 'params')!.delta, 2 * 128 * 128 * 9 + 2 * 4 * 128);
    assert.deepEqual([c.counts.added, c.counts.removed], [7, 0]);
    await compare(wp, c);
    const bar = await wp.page.locator('#compare').innerText();
    assert.ok(bar.includes(`compared with resnet18.stride: 7 added, 0 removed, ${c.counts.changed} changed`), bar);
    assert.ok(c.counts.changed > 0, 'the layers after the new block see further: their receptive field changed');

    // Folded as it opens: a group whose layers were all added is added, one with some added or changed is changed.
    const inside = (group: string) => net.nodes.filter((n) => { for (let g = net.groups.find((x) => x.id === n.group); g; g = net.groups.find((x) => x.id === g!.parent)) if (g.id === group) return true; return false; });
    const expectedGroup = (group: string): 'added' | 'changed' | undefined => {
      const layers = inside(group).map((n) => c.nodes[n.id]?.status);
      return layers.every((s) => s === 'added') ? 'added' : layers.some((s) => s !== undefined) ? 'changed' : undefined;
    };
    const sign = { added: '+', changed: '~' } as const;
    const check = async (where: string) => {
      const shown = await marks(wp);
      let marked = 0;
      for (const [id, m] of shown) {
        const layer = net.nodes.find((n) => n.id === id);
        const want = layer ? c.nodes[id]?.status : expectedGroup(id);
        const cmp = m.classes.filter((k) => k === 'cmp-added' || k === 'cmp-changed');
        assert.deepEqual(cmp, want ? [`cmp-${want}`] : [], `${where}: ${id}`);
        assert.equal(m.badge, want ? sign[want] : null, `${where}: ${id}'s sign`);
        if (want) marked++;
        // A change of the receptive field alone is the knock-on of the new block: drawn dashed, apart from the block's own.
        if (layer && want === 'changed') assert.equal(m.classes.includes('cmp-field-only'), c.nodes[id].changes.every((x) => x.field === 'receptiveField'), `${where}: ${id}`);
      }
      assert.ok(marked > 0, `${where}: something is marked`);
      return shown;
    };
    await check('folded');
    await pressAndRedraw(wp, 'expand-all');
    const shown = await check('expanded');
    const added = net.nodes.filter((n) => c.nodes[n.id]?.status === 'added');
    assert.equal(added.length, 7);
    assert.deepEqual([...new Set(added.map((n) => n.group))].length, 1, 'the added layers are one Basic call');
    const block = added[0].group!;
    assert.ok(await wp.page.locator(`.frame[data-group-id="${block}"]`).evaluate((e) => e.classList.contains('cmp-added') && e.querySelector(':scope > .cmp-badge > text')?.textContent === '+'), 'its frame is marked added');
    // The theme's git decoration colours: the dark theme's, and the page follows a theme change.
    assert.equal(shown.get(added[0].id)!.stroke, rgb(DARK_THEME['--vscode-gitDecoration-addedResourceForeground']));
    const changed = net.nodes.find((n) => c.nodes[n.id]?.status === 'changed')!;
    assert.equal(shown.get(changed.id)!.stroke, rgb(DARK_THEME['--vscode-gitDecoration-modifiedResourceForeground']));
    await wp.page.evaluate(() => document.documentElement.style.setProperty('--vscode-gitDecoration-addedResourceForeground', '#00ff00'));
    assert.equal((await marks(wp)).get(added[0].id)!.stroke, 'rgb(0, 255, 0)');
    await wp.page.evaluate((v) => document.documentElement.style.setProperty('--vscode-gitDecoration-addedResourceForeground', v), DARK_THEME['--vscode-gitDecoration-addedResourceForeground']);

    // The side panel: an added layer says so; a changed one lists its changes and its figures before.
    await wp.page.locator(`[data-node-id="${added[0].id}"]`).dispatchEvent('click');
    assert.match(await wp.page.locator('#selection .compare').innerText(), /Added: not in resnet18\.stride/);
    const dense = net.nodes.find((n) => n.op === 'dense')!;
    const denseDiff = c.nodes[dense.id];
    assert.equal(denseDiff.status, 'changed');
    await wp.page.locator(`[data-node-id="${dense.id}"]`).dispatchEvent('click');
    const panel = await wp.page.locator('#selection .compare').innerText();
    for (const ch of denseDiff.changes) assert.ok(panel.includes(fieldChangeText(ch)), `${fieldChangeText(ch)} in ${panel}`);
    assert.match(panel, new RegExp(`In resnet18\\.stride:\\s+line\\s+${denseDiff.before!.line}\\s+as written\\s+dense 1000`));
    // The new block on screen, the layer after it selected: its receptive field moved with the block.
    const search = wp.page.locator('[data-action="search"] input');
    await search.fill(added.at(-1)!.id);
    await search.press('Enter');
    const afterBlock = net.nodes[net.nodes.findIndex((n) => n.id === added.at(-1)!.id) + 1];
    await wp.page.locator(`[data-node-id="${afterBlock.id}"]`).dispatchEvent('click');
    assert.match(await wp.page.locator('#selection .compare').innerText(), /Changed:\s+RF \d+ → \d+/);
    await wp.page.screenshot({ path: join(ARTIFACTS, 'webview-compare.png') });

    // The toolbar totals with their deltas.
    const totals = await wp.page.locator('#totals').innerText();
    const delta = (f: string) => c.totals.find((t) => t.field === f)!.delta;
    assert.ok(totals.includes(`${formatCount(net.nodes.length)} layers (+${delta('layers')}) · ${formatCompact(net.params)} params (+${formatCompact(delta('params'))}) · ${formatCompact(net.macs)} MACs (+${formatCompact(delta('macs'))})`), totals);

    // A malformed comparison is ignored; one of another network marks nothing and says so.
    await wp.page.evaluate(() => window.postMessage({ type: 'compare', comparison: { against: 3 } }, '*'));
    await wp.send({ type: 'compare', comparison: { ...c, network: 'Other' } });
    await wp.page.waitForFunction(() => /network Other/.test(document.getElementById('compare')!.innerText));
    assert.equal(await wp.page.locator('.cmp-badge').count(), 0);
    assert.doesNotMatch(await wp.page.locator('#totals').innerText(), /\(\+/);
    await compare(wp, c);

    // End comparison asks the host; the host's answer, no comparison, takes every mark away.
    await wp.clearPosted();
    await wp.page.locator('[data-action="end-compare"]').click();
    assert.deepEqual(await lastPosted(wp, 'endCompare'), { type: 'endCompare' });
    await compare(wp, undefined);
    assert.equal(await wp.page.locator('.cmp-added, .cmp-changed, .cmp-badge, .removed-marker').count(), 0);
    assert.equal(await wp.page.locator('#selection .compare').count(), 0);
    assert.doesNotMatch(await wp.page.locator('#totals').innerText(), /\(/);
    await assertClean(wp);
  });

  test('removed layers are marked where they were, listed above the diagram, and told in the side panel of the layer they followed', async () => {
    const { wp, model } = await showing(RESNET18);
    const net = model.networks[0];
    const c = comparisonOf(DEEPER, RESNET18, 'resnet18-deeper.stride');
    assert.deepEqual([c.counts.added, c.counts.removed], [0, 7]);
    const after = c.removed[0].after!;
    assert.ok(c.removed.every((r) => r.after === after), 'one Basic call removed, all after one layer');
    await compare(wp, c);
    await pressAndRedraw(wp, 'expand-all');
    const marker = wp.page.locator(`.removed-marker[data-removed-after="${after}"]`);
    assert.equal(await wp.page.locator('.removed-marker').count(), 1);
    assert.equal(await marker.locator(':scope > text').textContent(), '− 7 removed');
    assert.ok(((await marker.locator('title').textContent()) ?? '').includes(c.removed[0].side.name), 'its tooltip names them');
    // In the gap under the layer it followed, before the next one.
    const box = (await wp.page.locator(`[data-node-id="${after}"] > .box`).boundingBox())!;
    const next = net.edges.find((e) => e.from === after)!.to;
    const nextBox = (await wp.page.locator(`[data-node-id="${next}"] > .box`).boundingBox())!;
    const tag = (await marker.locator('rect').boundingBox())!;
    assert.ok(tag.y >= box.y + box.height && tag.y + tag.height <= nextBox.y, `the marker (${tag.y}) between ${after} and ${next}`);
    // The bar lists them; a click shows the layer they followed, whose side panel names them.
    const listed = await wp.page.locator('.cmp-removed-item').allInnerTexts();
    assert.deepEqual(listed, c.removed.map((r) => r.side.name));
    await wp.page.locator('.cmp-removed-item').first().click();
    assert.ok(await wp.page.locator(`[data-node-id="${after}"]`).evaluate((e) => e.classList.contains('selected')));
    const panel = await wp.page.locator('#selection .compare').innerText();
    assert.match(panel, /Removed after it: 7 layers/);
    for (const r of c.removed) assert.ok(panel.includes(`${r.side.name} (line ${r.side.line}): ${r.side.text}`), `${r.side.name} in ${panel}`);
    await wp.page.screenshot({ path: join(ARTIFACTS, 'webview-compare-removed.png') });
    // A click on the marker selects that layer too.
    await wp.page.locator('[data-node-id="conv_1"]').dispatchEvent('click');
    await marker.dispatchEvent('click');
    assert.ok(await wp.page.locator(`[data-node-id="${after}"]`).evaluate((e) => e.classList.contains('selected')));
    await compare(wp, undefined);
    assert.equal(await wp.page.locator('.removed-marker, .cmp-removed-item').count(), 0);
    await assertClean(wp);
  });

  // ---------------------------------------------------------------------------------- beside the text

  /** A page as wide as the graph editor opened beside the text in a 1600-pixel window. */
  const BESIDE = { width: 780, height: 900 };

  test('beside the text the side panel is folded; the toolbar button opens it and the choice is kept', async () => {
    const narrow = await openWebview(browser, server.origin, BESIDE);
    await narrow.showGraph(modelOf(example('resnet50.stride')), 1);
    const side = narrow.page.locator('#side');
    assert.equal(await side.isVisible(), false, 'folded when narrow');
    const stage = (await narrow.page.locator('#diagram').boundingBox())!;
    assert.ok(stage.width >= BESIDE.width - 2, `the diagram takes the whole width (${stage.width} px)`);
    assert.equal(await narrow.page.locator('[data-action="toggle-side"]').getAttribute('aria-pressed'), 'false');
    const search = narrow.page.locator('[data-action="search"] input');
    await search.fill('dense');
    await search.press('Enter');
    await narrow.page.locator('[data-action="toggle-side"]').click();
    assert.equal(await side.isVisible(), true, 'the button opens it');
    assert.ok((await offCentre(narrow, '.node.current-match')) < 30, 'what was in the middle stays there');
    assert.ok((await narrow.page.locator('#diagram').boundingBox())!.width < stage.width - 200, 'beside the diagram');
    assert.equal(((await narrow.savedState()) as { side?: boolean }).side, true, 'the choice is kept');
    // A layer clicked with the panel open shows there.
    await narrow.page.locator('.node.current-match').click();
    assert.match(await narrow.page.locator('#selection').innerText(), /dense_1/);
    await narrow.page.locator('[data-action="toggle-side"]').click();
    assert.equal(await side.isVisible(), false, 'and folds it again');

    const wide = await openWebview(browser, server.origin, { width: 1400, height: 900 });
    await wide.showGraph(modelOf(example('resnet50.stride')), 1);
    assert.equal(await wide.page.locator('#side').isVisible(), true, 'open when there is room');
    await assertClean(narrow);
    await assertClean(wide);
  });

  test('the first view starts at the input with box text at the editor font size, not fitted', async () => {
    for (const file of ['resnet50.stride', 'unet.stride', 'vgg16.stride']) {
      const wp = await openWebview(browser, server.origin, BESIDE);
      const model = modelOf(example(file));
      await wp.showGraph(model, 1);
      const input = model.networks[0].nodes[0];
      assert.equal(input.op, 'input');
      const svg = (await wp.page.locator('#diagram').boundingBox())!;
      const box = (await wp.page.locator(`[data-node-id="${input.id}"] .box`).boundingBox())!;
      assert.ok(box.y >= svg.y && box.y - svg.y < 60, `${file}: the input is at the top (${(box.y - svg.y).toFixed(0)} px down)`);
      assert.ok(box.x >= svg.x && box.x + box.width <= svg.x + svg.width, `${file}: and on screen`);
      // Text height in CSS pixels: the glyphs' box, and the font size the view scales it to.
      const text = await wp.page.locator(`[data-node-id="${input.id}"] .shape`).evaluate((e) => {
        const m = (e as SVGGraphicsElement).getScreenCTM()!;
        return { height: e.getBoundingClientRect().height, size: parseFloat(getComputedStyle(e).fontSize) * Math.hypot(m.a, m.b) };
      });
      assert.ok(text.height >= 11, `${file}: box text is ${text.height.toFixed(1)} px tall`);
      assert.ok(Math.abs(text.size - 14) < 0.1, `${file}: at the editor's 14 px (${text.size.toFixed(2)})`);
      if (file === 'unet.stride') await wp.page.screenshot({ path: join(ARTIFACTS, 'webview-beside-unet.png') });
      if (file === 'resnet50.stride') await wp.page.screenshot({ path: join(ARTIFACTS, 'webview-beside-resnet50.png') });
      await assertClean(wp);
    }
  });

  test('the toolbar wraps rather than cut its totals off', async () => {
    for (const width of [BESIDE.width, 520]) {
      const wp = await openWebview(browser, server.origin, { width, height: 700 });
      await wp.showGraph(modelOf(example('densenet121.stride')), 1);
      const totals = wp.page.locator('#totals');
      assert.match(await totals.innerText(), /layers · .* params · .* MACs/);
      const fit = await totals.evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth, right: e.getBoundingClientRect().right }));
      assert.ok(fit.scroll <= fit.client, `${width} px: the totals are whole (${fit.scroll} > ${fit.client})`);
      assert.ok(fit.right <= width, `${width} px: and inside the page`);
      for (const b of await wp.page.locator('#toolbar vscode-button').all()) assert.ok((await b.boundingBox())!.x + (await b.boundingBox())!.width <= width, `${width} px: every button is on the page`);
      await assertClean(wp);
    }
  });

  test('Collapse all folds the outermost groups, Expand all opens every one', async () => {
    const { wp, model } = await showing(example('resnet50.stride'));
    const net = model.networks[0];
    const outer = net.groups.filter((g) => g.parent === undefined).map((g) => g.id);
    await pressAndRedraw(wp, 'collapse-all');
    assert.deepEqual((await wp.page.locator('.group-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-group-id')))).sort(), [...outer].sort());
    assert.equal(await wp.page.locator('.frame').count(), 0);
    const inside = net.nodes.filter((n) => n.group !== undefined).length;
    assert.equal(await wp.page.locator('[data-node-id]').count(), net.nodes.length - inside, 'the layers outside any group stay');
    await wp.page.screenshot({ path: join(ARTIFACTS, 'webview-resnet50-collapsed.png') });

    await pressAndRedraw(wp, 'expand-all');
    assert.equal(await wp.page.locator('.group-node').count(), 0);
    assert.equal(await wp.page.locator('[data-node-id]').count(), net.nodes.length);
    assert.equal(await wp.page.locator('.frame').count(), net.groups.length);
    const state = (await wp.savedState()) as { collapsed: Record<string, boolean> };
    for (const g of net.groups) assert.equal(state.collapsed[choiceKey(net.name, g.id)], false, `${g.id} is kept open`);
    // A network without groups has nothing to fold.
    const flat = await showing(example('alexnet.stride'));
    assert.equal(await flat.wp.page.locator('[data-action="collapse-all"]').getAttribute('disabled'), '');
    await assertClean(wp);
    await assertClean(flat.wp);
  });

  test('ResNet-50, dozens of screens tall open, opens with its blocks folded into a few screens', async () => {
    const { wp, model } = await showing(example('resnet50.stride'));
    const net = model.networks[0];
    const screen = await stageHeight(wp);
    const fold = await expectedFold(wp, net);
    assert.equal(fold.fold, 'blocks');
    const blocks = net.groups.filter((g) => g.kind === 'block').map((g) => g.id);
    assert.deepEqual((await wp.page.locator('.group-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-group-id')))).sort(), [...blocks].sort(), 'one box per block call');
    assert.equal(await wp.page.locator('.frame.kind-repeat').count(), net.groups.filter((g) => g.kind === 'repeat').length, 'the repeats stay frames');
    const drawn = await wp.page.locator('.viewport').evaluate((e) => (e as SVGGraphicsElement).getBoundingClientRect().height);
    assert.ok(drawn <= FOLD_SCREENS * screen, `${drawn.toFixed(0)} px tall on a ${screen.toFixed(0)} px screen`);
    // The short U-Net opens as it is, in a window as tall as VS Code's editor.
    const tall = await openWebview(browser, server.origin, { width: 1280, height: 1000 });
    await tall.showGraph(modelOf(example('unet.stride')), 1);
    assert.equal(await tall.page.locator('.group-node').count(), 0);
    await assertClean(wp);
    await assertClean(tall);
  });

  test('the minimap shows the whole diagram; a click on it moves the view there', async () => {
    const { wp, model } = await showing(example('resnet50.stride'));
    await pressAndRedraw(wp, 'expand-all');
    const map = wp.page.locator('#minimap');
    assert.equal(await map.isVisible(), true);
    const canvas = (await map.locator('canvas').boundingBox())!;
    assert.ok(canvas.height > 200 && canvas.height <= 221 && canvas.width < canvas.height, `as tall as the map goes, a tall network narrow (${canvas.width}x${canvas.height})`);
    const outline = async () => (await map.locator('.minimap-view').boundingBox())!;
    const before = await outline();
    assert.ok(before.y - canvas.y < 3, 'the view outlined at the top');
    // The bottom of the map: the network's head.
    await map.locator('canvas').click({ position: { x: canvas.width / 2, y: canvas.height - 2 } });
    const after = await outline();
    assert.ok(after.y > canvas.y + canvas.height / 2, 'the outline follows the view');
    const dense = model.networks[0].nodes.find((n) => n.op === 'dense')!;
    const svg = (await wp.page.locator('#diagram').boundingBox())!;
    const box = (await wp.page.locator(`[data-node-id="${dense.id}"]`).boundingBox())!;
    assert.ok(box.y > svg.y && box.y + box.height < svg.y + svg.height, 'the last layer is on screen');
    await wp.page.screenshot({ path: join(ARTIFACTS, 'webview-minimap.png') });
    // With everything on screen there is nothing to find: the map goes.
    const small = await showing('network Small {\n  input 28x28x1\n  conv 8 3x3\n  relu\n}\n');
    assert.equal(await small.wp.page.locator('#minimap').isVisible(), false);
    await assertClean(wp);
    await assertClean(small.wp);
  });

  test('U-Net is a U: each skip runs across, from the encoder to the decoder layer at its height', async () => {
    const { wp, model } = await showing(example('unet.stride'));
    await pressAndRedraw(wp, 'expand-all');
    const net = model.networks[0];
    const concats = net.nodes.filter((n) => n.op === 'concat');
    assert.equal(concats.length, 4);
    for (const c of concats) {
      const skip = net.edges.filter((e) => e.to === c.id)[1];
      const a = (await wp.page.locator(`[data-node-id="${skip.from}"]`).boundingBox())!;
      const b = (await wp.page.locator(`[data-node-id="${c.id}"]`).boundingBox())!;
      assert.ok(Math.abs(a.y - b.y) < 1, `${c.id} is level with ${skip.from} (${a.y} vs ${b.y})`);
      assert.ok(b.x > a.x + a.width, `${c.id} is right of ${skip.from}`);
      const d = (await wp.page.locator(`[data-edge="${skip.from}->${c.id}"] path`).getAttribute('d'))!;
      const ys = [...d.matchAll(/[ML][\d.-]+,([\d.-]+)/g)].map((m) => m[1]);
      assert.equal(new Set(ys).size, 1, `the skip ${skip.from} → ${c.id} is one horizontal line: ${d}`);
    }
    // The decoder goes up: the output is above the bottom of the U.
    const out = (await wp.page.locator('[data-node-id="conv_1"]').boundingBox())!;
    const bottom = (await wp.page.locator('[data-node-id="Double_5.relu_2"]').boundingBox())!;
    assert.ok(out.y < bottom.y, 'the output is at the top of the right arm');
    await wp.page.locator('[data-action="fit"]').click();
    await wp.page.screenshot({ path: join(ARTIFACTS, 'webview-unet-u.png') });
    await assertClean(wp);
  });

  test('a layer in a block shows the values of its call; the side panel also its statement as written', async () => {
    const { wp, model } = await showing(example('resnet50.stride'));
    await pressAndRedraw(wp, 'expand-all');
    const cases: [string, string, string][] = [
      ['BottleneckDown_2.conv_4', '512 1x1 stride 2 nobias', 'c*4 1x1 stride stride nobias'],
      ['BottleneckDown_1.conv_2', '64 3x3 stride 1 pad 1 nobias', 'c 3x3 stride stride pad 1 nobias'],
      ['Bottleneck_3.conv_3', '512 1x1 nobias', 'c*4 1x1 nobias'],
    ];
    const nodes = new Map(model.networks[0].nodes.map((n) => [n.id, n]));
    for (const [id, values, written] of cases) {
      assert.equal(nodes.get(id)!.label, values);
      assert.equal(nodes.get(id)!.written, written);
      const box = wp.page.locator(`[data-node-id="${id}"]`);
      // The box cuts a long label; its tooltip has all of it.
      const shown = (await box.locator('.label').textContent())!.replace(/…$/, '');
      assert.ok(shown.length >= 12 && values.startsWith(shown), `${id} shows this call's values: ${shown}`);
      assert.ok((await box.locator('title').first().textContent())!.includes(`conv ${values}`));
      await box.dispatchEvent('click');
      const panel = await wp.page.locator('#selection').innerText();
      assert.match(panel, new RegExp(`this call\\s+conv ${values.replace(/\*/g, '\\*')}`));
      assert.match(panel, new RegExp(`written\\s+conv ${written.replace(/\*/g, '\\*')}`));
    }
    // A statement outside any block is shown as written, once.
    await wp.page.locator('[data-node-id="conv_1"]').click();
    assert.doesNotMatch(await wp.page.locator('#selection').innerText(), /this call|written/);
    await assertClean(wp);
  });

  test('find a layer by id, by a value of its call, by its shape, or by several words', async () => {
    const { wp, model } = await showing(example('resnet50.stride'));
    await pressAndRedraw(wp, 'expand-all');
    const net = model.networks[0];
    const search = wp.page.locator('[data-action="search"] input');
    const matches = async (q: string) => {
      await search.fill(q);
      return (await wp.page.locator('.node.match').evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id')))).sort();
    };
    const where = (pred: (n: GraphNetwork['nodes'][number]) => boolean) => net.nodes.filter(pred).map((n) => n.id).sort();
    assert.deepEqual(await matches('Bottleneck_3.conv_2'), ['Bottleneck_3.conv_2'], 'an id');
    assert.deepEqual(await matches('7x7x2048'), where((n) => n.shape === '7x7x2048'), 'a shape');
    assert.ok((await matches('7x7x2048')).length >= 10);
    // 2048 channels: the expanding convs of the last stage, by their call's value, and every layer of that width.
    assert.deepEqual(await matches('2048'), where((n) => n.label.includes('2048') || (n.shape ?? '').includes('2048')), 'a value');
    assert.ok((await matches('2048')).includes('BottleneckDown_4.conv_3'), 'a value of the call, written c*4');
    assert.deepEqual(await matches('conv stride 2'), where((n) => n.op === 'conv' && / stride 2\b/.test(n.label)), 'words together');
    assert.equal((await matches('conv stride 2')).length, 7, 'the stem and the 3x3 and projection convs of three stages');
    // A layer folded away is found as its group.
    await pressAndRedraw(wp, 'collapse-all');
    await search.fill('BottleneckDown_4.conv_3');
    assert.deepEqual(await wp.page.locator('.node.match').evaluateAll((els) => els.map((e) => e.getAttribute('data-group-id'))), ['BottleneckDown_4']);
    await assertClean(wp);
  });

});

// ------------------------------------------------------------------------------------ layout geometry

/** Less than this is rounding, not overlap. */
const EPS = 0.01;

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w - EPS && b.x < a.x + a.w - EPS && a.y < b.y + b.h - EPS && b.y < a.y + a.h - EPS;
}

function contains(outer: Rect, inner: Rect): boolean {
  return inner.x >= outer.x - EPS && inner.y >= outer.y - EPS && inner.x + inner.w <= outer.x + outer.w + EPS && inner.y + inner.h <= outer.y + outer.h + EPS;
}

/** A segment as a rectangle with no width or no height. */
function segment(p: Point, q: Point): Rect {
  return { x: Math.min(p.x, q.x), y: Math.min(p.y, q.y), w: Math.abs(p.x - q.x), h: Math.abs(p.y - q.y) };
}

/** Whether a segment enters a rectangle's inside (running along its border does not). */
function crosses(s: Rect, r: Rect): boolean {
  return s.x < r.x + r.w - EPS && s.x + s.w > r.x + EPS && s.y < r.y + r.h - EPS && s.y + s.h > r.y + EPS;
}

/** Everything wrong with a layout's geometry, one line each. */
function geometryProblems(g: VisibleGraph, l: Layout): string[] {
  const out: string[] = [];
  const parentOf = new Map(g.frames.map((f) => [f.id, f.parent]));
  const framesAround = (parent: string | undefined) => {
    const chain: string[] = [];
    for (let f = parent; f !== undefined; f = parentOf.get(f)) chain.push(f);
    return chain;
  };
  const rect = (id: string) => l.boxes.get(id) ?? l.frames.get(id)!;
  const boxes = g.nodes.map((n) => ({ id: n.id, at: rect(n.id), frames: framesAround(n.parent) }));
  for (const [i, b] of boxes.entries()) {
    for (const c of boxes.slice(i + 1)) if (overlaps(b.at, c.at)) out.push(`boxes ${b.id} and ${c.id} overlap`);
    for (const f of b.frames) if (!contains(rect(f), b.at)) out.push(`${b.id} is not inside its frame ${f}`);
    for (const f of g.frames) if (!b.frames.includes(f.id) && overlaps(b.at, rect(f.id))) out.push(`${b.id} overlaps frame ${f.id}, which it is not in`);
  }
  for (const [i, f] of g.frames.entries()) {
    if (f.parent !== undefined && !contains(rect(f.parent), rect(f.id))) out.push(`frame ${f.id} is not inside ${f.parent}`);
    for (const h of g.frames.slice(i + 1)) if (h.parent === f.parent && overlaps(rect(f.id), rect(h.id))) out.push(`sibling frames ${f.id} and ${h.id} overlap`);
  }
  const inFrames = new Map(boxes.map((b) => [b.id, b.frames]));
  for (const e of g.edges) {
    const key = edgeKey(e.from, e.to);
    const route = l.edges.get(key);
    if (!route || route.length < 2) {
      out.push(`${key} has no route`);
      continue;
    }
    const [from, to] = [rect(e.from), rect(e.to)];
    const [start, end] = [route[0], route[route.length - 1]];
    // Down a column: from a box's bottom to the next one's top centre. In a U the decoder goes up (top to
    // bottom centre), and a skip leaves its source's right side for the left side of its merge.
    const at = (p: Point, y: number, x0: number, x1: number) => Math.abs(p.y - y) <= EPS && p.x >= x0 - EPS && p.x <= x1 + EPS;
    const onSide = (p: Point, x: number, y0: number, y1: number) => Math.abs(p.x - x) <= EPS && p.y >= y0 - EPS && p.y <= y1 + EPS;
    if (!at(start, from.y + from.h, from.x, from.x + from.w) && !at(start, from.y, from.x, from.x + from.w) && !onSide(start, from.x + from.w, from.y, from.y + from.h)) out.push(`${key} does not start on the border of ${e.from}`);
    const centre = { x: to.x + to.w / 2, y: to.y + to.h / 2 };
    const ends = [{ x: centre.x, y: to.y }, { x: centre.x, y: to.y + to.h }, { x: to.x, y: centre.y }];
    if (!ends.some((p) => Math.abs(p.x - end.x) <= EPS && Math.abs(p.y - end.y) <= EPS)) out.push(`${key} does not end at the middle of the top, bottom or left side of ${e.to}`);
    const ownFrames = new Set([...inFrames.get(e.from)!, ...inFrames.get(e.to)!]);
    for (let i = 0; i + 1 < route.length; i++) {
      const s = segment(route[i], route[i + 1]);
      if (s.w > EPS && s.h > EPS) out.push(`${key} has a slanted segment`);
      for (const b of boxes) if (b.id !== e.from && b.id !== e.to && crosses(s, b.at)) out.push(`${key} runs through ${b.id}`);
      for (const f of g.frames) if (!ownFrames.has(f.id) && crosses(s, rect(f.id))) out.push(`${key} runs across frame ${f.id}, which holds neither of its ends`);
    }
  }
  return out;
}

describe('graph layout', () => {
  test('U-Net is laid out as a U however it is folded; a network without nested skips keeps one column', () => {
    const net = modelOf(example('unet.stride')).networks[0];
    const folds: [string, (g: { id: string; kind: string }) => boolean][] = [
      ['expanded', () => false],
      ['blocks folded', (g) => g.kind === 'block'],
    ];
    for (const [how, collapsed] of folds) {
      const g = visibleGraph(net, collapsed);
      const l = layoutGraph(g);
      for (const c of net.nodes.filter((n) => n.op === 'concat')) {
        const skip = net.edges.filter((e) => e.to === c.id)[1];
        const a = l.boxes.get(g.shownAs.get(skip.from)!)!;
        const b = l.boxes.get(c.id)!;
        assert.ok(Math.abs(a.y - b.y) < EPS && b.x > a.x + a.w, `${how}: ${c.id} level with and right of ${skip.from}`);
        const route = l.edges.get(edgeKey(g.shownAs.get(skip.from)!, c.id))!;
        assert.equal(route.length, 2, `${how}: the skip into ${c.id} is one straight line`);
      }
      // Half as tall as one column, near enough: the encoder's height and a little.
      const skips = new Set(net.nodes.filter((n) => n.op === 'concat').map((n) => edgeKey(g.shownAs.get(net.edges.filter((e) => e.to === n.id)[1].from)!, n.id)));
      const column = layoutGraph({ ...g, edges: g.edges.filter((e) => !skips.has(edgeKey(e.from, e.to))) });
      assert.ok(l.height < 0.75 * column.height, `${how}: ${l.height.toFixed(0)} px tall, one column ${column.height.toFixed(0)} px`);
    }
    // A U of `levels` levels written flat: from three nested skips it is drawn as a U, with fewer as one column.
    const flatU = (levels: number) => {
      const lines = ['network U {', '  input 64x64x8'];
      for (let i = 1; i <= levels; i++) lines.push(`  conv ${8 * i} 3x3 pad 1 as e${i}`, '  maxpool 2x2');
      lines.push('  conv 64 3x3 pad 1');
      for (let i = levels; i >= 1; i--) lines.push(`  convtranspose ${8 * i} 2x2 stride 2`, `  concat e${i}`, `  conv ${8 * i} 3x3 pad 1`);
      return [...lines, '}', ''].join('\n');
    };
    for (const levels of [2, 3, 5]) {
      const u = modelOf(flatU(levels)).networks[0];
      assert.ok(u.complete, `${levels} levels: the test network is sound`);
      const ug = visibleGraph(u, () => false);
      const ul = layoutGraph(ug);
      const level = u.nodes.filter((n) => n.op === 'concat').map((c) => Math.abs(ul.boxes.get(c.id)!.y - ul.boxes.get(u.edges.filter((e) => e.to === c.id)[1].from)!.y) < EPS);
      assert.deepEqual(level, level.map(() => levels >= 3), `${levels} levels: merges level with their sources only in a U`);
      assert.deepEqual(geometryProblems(ug, ul), [], `${levels} levels`);
    }
    // ResNet-50's shortcuts nest nowhere: the boxes of its main path share one column.
    const resnet = modelOf(example('resnet50.stride')).networks[0];
    const g = visibleGraph(resnet, () => true);
    const xs = new Set(g.nodes.map((n) => layoutGraph(g).boxes.get(n.id)!.x));
    assert.equal(xs.size, 1);
  });

  test('every example keeps its geometry: boxes apart, frames nested, edges between box borders around boxes', () => {
    for (const file of EXAMPLES) {
      for (const net of modelOf(example(file)).networks) {
        const folds: [string, (g: { id: string }) => boolean][] = [
          ['expanded', () => false],
          ['outer groups collapsed', () => true],
          ['every other group collapsed', (g) => net.groups.findIndex((x) => x.id === g.id) % 2 === 1],
        ];
        for (const [how, collapsed] of folds) {
          const g = visibleGraph(net, collapsed);
          const l = layoutGraph(g);
          assert.deepEqual(geometryProblems(g, l), [], `${file}: ${net.name}, ${how}`);
          assert.deepEqual(layoutGraph(g), l, `${file}: ${net.name}, ${how}: the same layout every time`);
        }
      }
    }
  });
});
