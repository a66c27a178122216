import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { analyze } from '../language/index.js';
import { formatBytes, formatCount } from '../language/base/format.js';
import { formatShape } from '../language/base/shape.js';
import { summaryTable } from '../language/views/summary-table.js';
import { nchwcBlock } from '../runtime/cpu.js';
import { summaryHtml } from '../webview/summary-html.js';
import { summaryJson } from './lib/cli.js';
import { DARK_THEME, launchChromium, ROOT, webviewSkipReason } from './lib/webview-page.js';

// Stride: Show Summary's table. Every figure it shows is `stride summary --json`'s (every example); in
// Chromium, a column's title sorts by it (numbers largest first, again reverses, a third time the text's
// order), a row click asks to reveal its line, and the verdict comes first.

const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.stride')).sort();

for (const file of examples) {
  test(`the summary table of ${file} shows --json's figures`, () => {
    const path = join(ROOT, 'examples', file);
    // The machine's NCHWc block, as the CLI and the language server use it for the inference estimate.
    const table = summaryTable(analyze(readFileSync(path, 'utf8'), { nchwcBlock: nchwcBlock() }));
    const { status, json } = summaryJson(path);
    assert.equal(status, 0);
    assert.equal(table.networks.length, json.networks.length);
    const col = (key: string) => table.columns.findIndex((c) => c.key === key);
    json.networks.forEach((want, k) => {
      const got = table.networks[k];
      assert.equal(got.name, want.name);
      assert.equal(got.rows.length, want.layers.length);
      got.rows.forEach((r, i) => {
        const l = want.layers[i];
        const cell = (key: string) => r.cells[col(key)];
        assert.equal(cell('layer').text, l.name);
        assert.equal(cell('line').text, String(l.line));
        assert.equal(cell('output').text, formatShape(l.shape!));
        assert.equal(cell('params').text, formatCount(l.params!));
        assert.equal(cell('params').sort, l.params);
        assert.equal(cell('macs').text, formatCount(l.macs!));
        assert.equal(cell('macs').sort, l.macs);
        assert.equal(cell('rf').sort, l.receptiveField);
        assert.equal(cell('kept').text, (l as { recomputed?: boolean }).recomputed ? 'recomputed' : formatBytes((l as { keptBytes: number }).keptBytes));
      });
      assert.equal(got.totals[col('params')], formatCount(want.params));
      assert.equal(got.totals[col('macs')], formatCount(want.macs));
      const memory = new Map(got.memory.map((m) => [m.label, m.value]));
      const bytes = (key: string) => formatBytes(want.memory[key] as number);
      assert.equal(memory.get('parameters'), bytes('parameters'));
      assert.equal(memory.get('train step peak'), bytes('trainingPeak'));
      assert.equal(memory.get('inference'), bytes('inference'));
      assert.ok(got.verdict.includes(bytes('training')), got.verdict);
    });
  });
}

test('with a budget, the verdict says whether training fits and the largest batch', () => {
  const text = readFileSync(join(ROOT, 'examples', 'resnet18.stride'), 'utf8');
  const fits = summaryTable(analyze(text, { batch: 8, budget: 8 * 2 ** 30 })).networks[0];
  assert.match(fits.verdict, /^Training fits the 8 GiB budget; the largest batch that fits is [\d,]+: training needs/);
  assert.equal(fits.over, false);
  const over = summaryTable(analyze(text, { batch: 512, budget: 2 ** 30 })).networks[0];
  assert.match(over.verdict, /^Training does not fit the 1 GiB budget/);
  assert.equal(over.over, true);
});

const skip = webviewSkipReason();
describe('the summary view in Chromium', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test('sorting by a column, revealing a row, the verdict first', async () => {
    const table = summaryTable(analyze(readFileSync(join(ROOT, 'examples', 'resnet18.stride'), 'utf8')));
    const page = await browser.newPage({ viewport: { width: 800, height: 1000 } });
    await page.addInitScript(`window.posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.posted.push(m), getState: () => undefined, setState: () => {} });`);
    // Served from a URL, as a webview is: the stub is defined before the page's own script runs.
    const html = summaryHtml(table, { nonce: 'n0nce', title: 'resnet18.stride — summary' });
    await page.route('http://summary.test/', (r) => r.fulfill({ body: html, contentType: 'text/html' }));
    await page.goto('http://summary.test/');
    await page.evaluate((theme) => {
      for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v);
      document.body.style.background = theme['--vscode-editor-background'];
    }, DARK_THEME);
    const column = (key: string) => table.columns.findIndex((c) => c.key === key);
    const cells = (key: string) => page.locator(`table.layers tbody tr td:nth-child(${column(key) + 1})`).allInnerTexts();
    const n = table.networks[0];
    const textOrder = n.rows.map((r) => r.cells[column('layer')].text);
    assert.deepEqual(await cells('layer'), textOrder);

    // The first words a reader meets are the verdict.
    const first = await page.locator('section.network > :not(h2)').first().innerText();
    assert.equal(first, n.verdict);

    const params = page.locator('table.layers thead button', { hasText: 'params' });
    await params.click();
    const byParams = [...n.rows].sort((a, b) => Number(b.cells[column('params')].sort) - Number(a.cells[column('params')].sort) || n.rows.indexOf(a) - n.rows.indexOf(b));
    assert.deepEqual(await cells('layer'), byParams.map((r) => r.cells[column('layer')].text));
    assert.equal(await page.locator('table.layers thead th').nth(column('params')).getAttribute('aria-sort'), 'descending');
    await params.click();
    assert.equal((await cells('params'))[0], '0', 'ascending: parameter-free layers first');
    await params.click();
    assert.deepEqual(await cells('layer'), textOrder, 'a third click: the order of the text');
    await page.locator('table.layers thead button', { hasText: 'layer' }).click();
    assert.deepEqual(await cells('layer'), [...textOrder].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));

    // The totals stay in the footer; a row click asks for its line (0-based).
    assert.equal(await page.locator('table.layers tfoot td').nth(column('params')).innerText(), n.totals[column('params')]);
    const row = n.rows.find((r) => r.cells[column('layer')].text === 'dense_1')!;
    await page.locator('table.layers tbody tr', { hasText: 'dense_1' }).click();
    assert.deepEqual(await page.evaluate(() => (window as unknown as { posted: unknown[] }).posted), [{ type: 'reveal', line: row.line - 1 }]);
    assert.ok(await page.locator('table.memory').isVisible());
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'summary-view.png') });
    await page.close();
  });
});
