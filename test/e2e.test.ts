// End-to-end journeys in a real VS Code (code-server 4.139.1 = VS Code 1.139.1, offline, driven through
// Chromium): what a user sees when they open, read and edit a `.stride` file. The first run on a machine
// installs Chromium (apt-get), Node 24 and code-server into .cache/ (about 2–4 minutes); later runs reuse
// it. Screenshots of every step land in test-artifacts/. Set STRIDE_E2E=0 to skip this file.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelProto } from '../runtime/onnx/proto.js';
import { analyze } from '../language/index.js';
import { diffNetworks } from '../language/views/diff.js';
import { exportNetwork } from '../runtime/export.js';
import { ensureE2E, ROOT } from './e2e/setup.js';
import { startVSCode, waitFor, type StartOptions, type VSCode } from './e2e/vscode.js';

const disabled = process.env.STRIDE_E2E === '0';
const skip = disabled ? 'STRIDE_E2E=0: end-to-end tests in VS Code are switched off' : false;
const JOURNEY_TIMEOUT = 120_000;

const alexnet = { 'alexnet-notes.stride': { from: join(ROOT, 'examples', 'alexnet-notes.stride') } };
const CONV1 = 'conv 96 11x11 stride 4';

/** Starts VS Code, runs the journey, and on failure keeps a screenshot and prints the extension's logs. */
async function journey(t: TestContext, name: string, opts: StartOptions, fn: (vs: VSCode, step: (what: string) => void) => Promise<void>): Promise<void> {
  const t0 = Date.now();
  const vs = await startVSCode({ ...opts, name });
  t.diagnostic(`VS Code ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (run folder ${vs.runDir})`);
  // Where the time goes, step by step, for a journey that has several.
  const step = (what: string): void => t.diagnostic(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  try {
    await fn(vs, step);
  } catch (e) {
    const shot = await vs.screenshot('FAILED').catch(() => '(no screenshot)');
    process.stderr.write(`\n[e2e] ${name} failed; screenshot ${shot}\n[e2e] logs:\n${vs.logs()}\n`);
    throw e;
  } finally {
    await vs.close();
    t.diagnostic(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

describe('VS Code end to end', () => {
  before(
    () => {
      if (disabled) return;
      ensureE2E();
      for (const f of ['dist/extension.js', 'dist/server.js']) {
        assert.ok(existsSync(join(ROOT, f)), `${f} is missing: run \`npm run build\` before the end-to-end tests`);
      }
    },
    { timeout: 20 * 60_000 },
  );

  test('hover and inlay hints explain the AlexNet notes', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    await journey(t, 'hover-hints', { workspaceFiles: alexnet }, async (vs) => {
      await vs.openFile('alexnet-notes.stride');
      await vs.screenshot('opened');
      // On a cold start the extension's contributions can register after the file opens.
      const statusMode = vs.page.locator('[id="status.editor.mode"]');
      const mode = await waitFor(async () => {
        const text = await statusMode.innerText();
        return /Stride/.test(text) && text;
      }, 'the status bar to name the language Stride', 30_000).catch(async () => statusMode.innerText());
      assert.match(mode, /Stride/, 'the status bar names the language');

      // The first hovers can come before the language server is up: hoverWord retries until it matches.
      const hover = await vs.hoverWord('conv', { line: CONV1, expect: '55x55x96', timeoutMs: 30_000 });
      await vs.screenshot('hover-conv1');
      assert.ok(hover.includes('55x55x96'), `hover shows the output shape: ${hover}`);
      assert.ok(hover.includes('(227 − 11 + 2·0) / 4 + 1 = 55'), `hover shows the size formula: ${hover}`);

      const hints = await waitFor(
        async () => {
          const all = await vs.inlayHints();
          return all.some((h) => h.text.includes('55x55x96 · 34,944 params')) && all;
        },
        'an inlay hint "55x55x96 · 34,944 params"',
        20_000,
      ).catch(async (e: unknown) => {
        throw new Error(`${String(e)}; hints shown: ${JSON.stringify(await vs.inlayHints())}`);
      });
      await vs.screenshot('inlay-hints');
      const conv1 = hints.find((h) => h.text.includes('34,944 params'));
      const lines = await vs.readEditorLines();
      assert.equal(lines.find((l) => l.lineNumber === conv1?.lineNumber)?.text.includes(CONV1), true, 'the hint sits on the conv1 line');
      assert.ok(
        hints.some((h) => h.text.includes('27x27x256 · 614,656 params')),
        `conv2 has its hint too: ${JSON.stringify(hints)}`,
      );
      assert.deepEqual((await vs.problemsCount()).total, 0, 'the notes have no problems');
    });
  });

  test('a stride that does not tile is flagged, and the pad quick fix clears it', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    // (8 − 3) / 2 is not whole: `conv 8 3x3 stride 2` on 8x8 leaves the last row and column unread. (On 7x7 it
    // tiles exactly, so that would not do.)
    const start = 'network Tiny {\n  input 8x8x1\n}\n';
    await journey(t, 'stride-fix', { workspaceFiles: { 'tiny.stride': start } }, async (vs) => {
      await vs.openFile('tiny.stride');
      // Once the server answers a hover, its diagnostics are in too.
      await vs.hoverWord('input', { line: 'input 8x8x1', expect: '8x8x1', timeoutMs: 30_000 });
      const before = await vs.waitForProblems((p) => p.total === 0, 10_000, 'no problems in the starting file');
      await vs.screenshot('start');

      await vs.insertLineAfter('input 8x8x1', 'conv 8 3x3 stride 2');
      const broken = await vs.waitForProblems((p) => p.warnings > before.warnings, 20_000, 'a stride-does-not-tile warning');
      await vs.screenshot('warning');
      assert.equal(broken.errors, 0, `a warning, not an error: ${broken.label}`);
      const hover = await vs.hoverWord('2', { line: 'conv 8 3x3 stride 2', expect: /tile/, timeoutMs: 15_000 });
      assert.match(hover, /does not tile/, `the hover over the stride explains the warning: ${hover}`);
      await vs.screenshot('warning-hover');

      const offered = await vs.quickFix('pad', { word: '2', line: 'conv 8 3x3 stride 2' });
      t.diagnostic(`quick fixes offered: ${JSON.stringify(offered)}`);
      assert.ok(
        offered.some((o) => /^pad\b/.test(o)),
        `a fix whose title starts with "pad" is offered: ${JSON.stringify(offered)}`,
      );
      const fixed = await waitFor(
        async () => {
          const text = await vs.readEditorText();
          return /conv 8 3x3 stride 2 pad\b/.test(text) && text;
        },
        'the pad fix to edit the conv line',
        10_000,
      );
      await vs.waitForProblems((p) => p.total === 0, 20_000, 'the warning to clear after the fix');
      await vs.screenshot('fixed');
      assert.match(fixed, /conv 8 3x3 stride 2 pad \(0, 0, 1, 1\)/, `the fix pads the bottom and right: ${fixed}`);
    });
  });

  test('breaking AlexNet conv1 raises warnings and its pad fix removes one', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    await journey(t, 'alexnet-stride', { workspaceFiles: alexnet }, async (vs) => {
      await vs.openFile('alexnet-notes.stride');
      await vs.hoverWord('conv', { line: CONV1, expect: '55x55x96', timeoutMs: 30_000 });
      const before = await vs.problemsCount();
      await vs.replaceWord('4', '5', { line: CONV1 });
      const broken = await vs.waitForProblems((p) => p.warnings > before.warnings, 20_000, 'warnings after stride 5');
      await vs.screenshot('stride-5');
      const hover = await vs.hoverWord('conv', { line: 'conv 96 11x11 stride 5', expect: '44x44x96', timeoutMs: 15_000 });
      assert.ok(hover.includes('⌊(227 − 11 + 2·0) / 5⌋ + 1 = 44'), `the formula shows the floor: ${hover}`);

      await vs.quickFix('pad', { word: '5', line: 'conv 96 11x11 stride 5' });
      await waitFor(async () => (await vs.readEditorText()).includes('conv 96 11x11 stride 5 pad'), 'the pad fix on conv1', 10_000);
      const after = await vs.waitForProblems((p) => p.warnings < broken.warnings, 20_000, 'fewer warnings after the fix');
      await vs.screenshot('stride-5-padded');
      t.diagnostic(`warnings: ${before.warnings} → ${broken.warnings} (stride 5) → ${after.warnings} (padded)`);
    });
  });

  test('over the memory budget, the quick fix sets stride.batchSize in the workspace settings; the warning clears, and Undo brings it back', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    const text = 'network Big {\n  input 224x224x3\n  repeat 4 { conv 64 3x3 pad 1; relu }\n}\n';
    const settings = { 'stride.batchSize': 256, 'stride.dtype': 'float16', 'stride.optimizer': 'adam', 'stride.memoryBudgetGiB': 1 };
    // The batch that fits, as the core computes it with the same settings.
    const n = analyze(text, { batch: 256, dtype: 'float16', optimizer: 'adam', budget: 1024 ** 3 }).networks[0].memory.maxBatch!;
    assert.ok(n >= 1 && n < 256, `the network fits a smaller batch: ${n}`);
    await journey(t, 'batch-size-fix', { workspaceFiles: { 'big.stride': text }, settings }, async (vs) => {
      const workspaceSettings = join(vs.workspace, '.vscode', 'settings.json');
      const written = (): unknown => (existsSync(workspaceSettings) ? (JSON.parse(readFileSync(workspaceSettings, 'utf8')) as Record<string, unknown>)['stride.batchSize'] : undefined);
      await vs.openFile('big.stride');
      await vs.hoverWord('Big', { line: 'network Big', expect: /does not fit/, timeoutMs: 30_000 });
      await vs.waitForProblems((p) => p.warnings === 1, 20_000, 'the over-budget warning');
      await vs.screenshot('over-budget');

      const offered = await vs.quickFix('Set the batch size', { word: 'Big', line: 'network Big' });
      t.diagnostic(`quick fixes offered: ${JSON.stringify(offered)}`);
      assert.ok(offered.some((o) => o.includes(`Set the batch size to ${n} (stride.batchSize)`)), `the fix names the batch and the setting: ${JSON.stringify(offered)}`);
      await waitFor(async () => written() === n, `stride.batchSize = ${n} in .vscode/settings.json`, 15_000);
      const told = await vs.waitForNotification(/batch size set to/, 15_000);
      assert.equal(told.message, `Stride: batch size set to ${n} in the workspace settings (was 256).`);
      assert.ok(told.buttons.includes('Undo'), `it offers Undo: ${JSON.stringify(told.buttons)}`);
      await vs.screenshot('batch-set-notification');
      // The server re-analyses with the new batch: the warning goes and the hover reads the new batch.
      await vs.waitForProblems((p) => p.total === 0, 20_000, 'the warning to clear at the new batch');
      const lens = async () => (await vs.page.locator('.codelens-decoration').allInnerTexts()).join(' ');
      await waitFor(async () => /to train/.test(await lens()) && !/over the/.test(await lens()), 'the code lens to drop "over the 1 GiB budget"', 15_000);
      const hover = await vs.hoverWord('Big', { line: 'network Big', expect: `at batch ${n},`, timeoutMs: 15_000 });
      assert.doesNotMatch(hover, /does not fit/, hover);
      await vs.screenshot('batch-set');

      // The toast has hidden itself by now: its Undo is in the notification centre.
      await vs.runCommand('Notifications: Show Notifications');
      await vs.clickNotificationButton(/batch size set to/, 'Undo');
      await waitFor(async () => written() === undefined, 'Undo to remove stride.batchSize from the workspace settings', 15_000);
      await vs.waitForProblems((p) => p.warnings === 1, 20_000, 'the warning back at batch 256');
      await waitFor(async () => /over the 1 GiB budget/.test(await lens()), 'the code lens to say "over the 1 GiB budget" again', 15_000);
      await vs.screenshot('undone');
    });
  });

  test('"Stride: Show Summary" shows the summary table: the verdict first, sortable columns, totals, a row click shows its line', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    await journey(t, 'summary', { workspaceFiles: alexnet }, async (vs) => {
      await vs.openFile('alexnet-notes.stride');
      // The command is offered once the extension is active (its palette entry has `editorLangId == stride`).
      await vs.hoverWord('conv', { line: CONV1, expect: '55x55x96', timeoutMs: 30_000 });
      await vs.runCommand('Stride: Show Summary');
      // Anywhere but the source file, which mentions 34,944 in a comment.
      const shown = await vs.findText('34,944', { timeoutMs: 20_000, exclude: CONV1 });
      await vs.screenshot('summary');
      const tabs = (await vs.page.locator('.tabs-container .tab').allInnerTexts()).map((l) => l.replace(/\s+/g, ' ').trim());
      t.diagnostic(`summary shown in the ${shown.where}; tabs: ${JSON.stringify(tabs)}`);
      assert.equal(shown.where, 'webview', 'a webview table, not a text document');
      assert.ok(tabs.some((l) => l.includes('Summary: alexnet-notes.stride')), JSON.stringify(tabs));
      assert.match(shown.text, /^network AlexNetNotes line \d+\s+Training needs [\d.]+ [KMG]iB at batch 1, float32/, 'the verdict comes first');
      assert.ok(shown.text.includes('62,378,344'), `the total parameter count is shown: ${shown.text.slice(0, 2000)}`);
      const panel = vs.webview();
      // Sorted by parameters, largest first: AlexNet's first fully connected layer (37.7M).
      await panel.locator('table.layers thead button', { hasText: 'params' }).click();
      const first = await panel.locator('table.layers tbody tr').first().innerText();
      assert.match(first.replace(/\s+/g, ' '), /^dense_1 \d+ dense 4096 37,752,832 /, first);
      await vs.screenshot('summary-sorted-by-params');
      // A click on a row shows its line in the text.
      await panel.locator('table.layers tbody tr').first().click();
      await waitFor(async () => {
        const label = await vs.activeTabLabel();
        return label.includes('alexnet-notes') && !label.includes('Summary');
      }, 'the source shown again', 10_000);
    });
  });

  test('the Get Started walkthrough: each step is completed by doing it — an example opened, a hover read, a diagnostic fixed, the graph opened, a run', { timeout: 3 * JOURNEY_TIMEOUT, skip }, async (t) => {
    await journey(t, 'walkthrough', { workspaceFiles: { 'README.md': '# designs\n' } }, async (vs, step) => {
      await vs.runCommand('Welcome: Open Walkthrough...');
      await vs.quickInput();
      await vs.page.keyboard.type('Get started with Stride');
      await vs.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Get started with Stride' }).first().click();
      const welcome = vs.page.locator('.gettingStartedContainer');
      await welcome.locator('.getting-started-step', { hasText: 'Open an example network' }).first().waitFor({ state: 'visible', timeout: 20_000 });
      const done = () => welcome.locator('.getting-started-step .codicon-getting-started-step-checked').count();
      assert.equal(await done(), 0, 'no step is done yet');
      await vs.screenshot('walkthrough-start');
      step('walkthrough shown');

      // 1. The step's own button opens the example list; AlexNet as the notes describe it comes first.
      await welcome.locator('.getting-started-step', { hasText: 'Open an example network' }).first().click();
      const button = welcome.locator('.getting-started-step.expanded .step-description-container a', { hasText: 'Open an Example' });
      await button.first().click();
      const pick = await vs.quickInput(30_000);
      assert.equal(pick.title, 'Open a Stride example');
      const first = vs.page.locator('.quick-input-widget .monaco-list-row').first();
      assert.match(await first.innerText(), /alexnet-notes\.stride/);
      // Typed into the list's own box, then Enter: the one row left is taken (a click can land while the list
      // still moves, and a bare Enter before the box has the keyboard goes to the page behind it). The list
      // stays open while the walkthrough page takes the focus back.
      const box = vs.page.locator('.quick-input-widget .quick-input-box input').first();
      await sleep(1_000);
      assert.equal(await box.isVisible(), true, 'the example list is still open a second later');
      await box.fill('alexnet-notes');
      await waitFor(async () => (await vs.page.locator('.quick-input-widget .monaco-list-row').count()) === 1, 'the list filtered to one example', 10_000);
      await box.press('Enter');
      await vs.page.locator('.tabs-container .tab.active', { hasText: 'alexnet-notes' }).waitFor({ state: 'visible', timeout: 20_000 });
      // Copied into the folder: in the explorer, editable.
      await vs.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'alexnet-notes.stride' }).first().waitFor({ state: 'visible', timeout: 10_000 });
      step('example opened');

      // 2. A hover; 3. a diagnostic and its quick fix.
      await vs.hoverWord('conv', { line: CONV1, expect: '55x55x96', timeoutMs: 30_000 });
      const before = await vs.problemsCount();
      await vs.replaceWord('4', '5', { line: CONV1 });
      const broken = await vs.waitForProblems((p) => p.warnings > before.warnings, 20_000, 'warnings after stride 5');
      await vs.quickFix('pad', { word: '5', line: 'conv 96 11x11 stride 5' });
      await vs.waitForProblems((p) => p.warnings < broken.warnings, 20_000, 'a warning fixed');
      step('diagnostic fixed');

      // 4. The graph; 5. a run.
      await vs.runCommand('Stride: Open Graph Editor');
      await waitFor(async () => (await vs.webviewText(1_000)).includes('conv'), 'the graph editor', 30_000);
      // The text again (the graph is beside it, in the second group, holding the keyboard): its tab, then Run.
      await vs.page.locator('.editor-group-container').first().locator('.tabs-container .tab', { hasText: 'alexnet-notes' }).first().click();
      await vs.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
      await vs.runCommand('Stride: Run Network');
      await waitFor(async () => (await vs.findText('Time per layer', { timeoutMs: 1_000 }).catch(() => undefined)) !== undefined, 'the run panel', 90_000);
      step('graph opened and run');

      // Back on the walkthrough, all five steps are checked.
      await vs.page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
      await waitFor(async () => (await done()) === 5, 'all five steps checked', 20_000).catch(async (e: unknown) => {
        throw new Error(`${String(e)}: ${await done()} checked; ${await welcome.innerText()}`);
      });
      await vs.screenshot('walkthrough-done');
    });
  });

  test('a changed layer in VS Code\'s diff editor shows its figures before and after; Compare with… the last committed version', { timeout: 2 * JOURNEY_TIMEOUT, skip }, async (t) => {
    const resnet = { 'resnet18.stride': { from: join(ROOT, 'examples', 'resnet18.stride') } };
    await journey(t, 'diff-hover', { workspaceFiles: resnet, commit: true, settings: { 'git.enabled': true } }, async (vs, step) => {
      await vs.openFile('resnet18.stride');
      await vs.hoverWord('conv', { line: 'conv 64 7x7 stride 2 pad 3 nobias', expect: '112x112x64', timeoutMs: 30_000 });
      await vs.gotoLine(58);
      await vs.replaceWord('1000', '10', { line: 'dense 1000' });
      await vs.page.keyboard.press('Control+S');
      await waitFor(async () => !(await vs.page.locator('.tabs-container .tab.active.dirty').count()), 'the file saved', 10_000);
      step('edited and saved');

      // Source Control's diff of the file (a click on its change): the committed version on the left, the file on the right.
      await vs.runCommand('Source Control: Focus on Changes View');
      await vs.page.locator('.scm-view .monaco-list-row', { hasText: 'resnet18.stride' }).first().click({ timeout: 20_000 });
      const modified = vs.page.locator('.monaco-diff-editor .editor.modified');
      const line = modified.locator('.view-line', { hasText: 'dense 10' }).first();
      await line.waitFor({ state: 'visible', timeout: 20_000 });
      const hover = vs.page.locator('.monaco-hover:not(.hidden)', { hasText: 'Compared with the version before' });
      const text = await waitFor(async () => {
        const box = (await line.boundingBox())!;
        // On `dense`, after the two spaces of indentation.
        await vs.page.mouse.move(box.x + 5, box.y + box.height / 2);
        await vs.page.mouse.move(box.x + 30, box.y + box.height / 2);
        await sleep(600);
        return (await hover.count()) > 0 && (await hover.first().innerText());
      }, 'the before/after hover in the diff editor', 30_000);
      await vs.screenshot('diff-editor-hover');
      t.diagnostic(text);
      assert.match(text.replace(/\s+/g, ' '), /dense_1`?: as written dense 1000 → dense 10; output 1000 → 10; params 513,000 → 5,130 \(−507,870\)/);
      step('hover in the diff editor');

      // Compare with… the last committed version: the comparison view beside the text.
      await vs.page.keyboard.press('Escape');
      await vs.runCommand('Stride: Compare with…');
      await vs.quickInput();
      await vs.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Last committed version' }).first().click();
      const shown = await vs.findText('1 changed', { timeoutMs: 20_000 });
      assert.equal(shown.where, 'webview');
      assert.match(shown.text, /resnet18\.stride compared with resnet18\.stride@HEAD/);
      assert.match(shown.text, /0 added, 0 removed, 1 changed, 69 the same/);
      assert.match(shown.text.replace(/\s+/g, ' '), /params 11,699,112 11,191,242 −507,870/);
      await vs.screenshot('compare-view');
    });
  });

  test('▶ Run on ResNet-18 shows the provider, the 1×1000 output, the time per layer and the feature maps', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    const resnet = { 'resnet18.stride': { from: join(ROOT, 'examples', 'resnet18.stride') } };
    await journey(t, 'run-resnet18', { workspaceFiles: resnet }, async (vs) => {
      await vs.openFile('resnet18.stride');
      // Waiting for the first hover is waiting for the language server, which provides the code lenses.
      await vs.hoverWord('conv', { line: 'conv 64 7x7 stride 2 pad 3 nobias', expect: '112x112x64', timeoutMs: 30_000 });
      const lens = vs.page.locator('.codelens-decoration a', { hasText: 'Run' });
      await waitFor(async () => (await lens.count()) > 0, 'the ▶ Run code lens above `network ResNet18`', 20_000);
      await lens.first().click();

      // While it runs, a cancellable notification says what runs; the runtime's progress moves its bar.
      const running = await vs.waitForNotification('Stride: running ResNet18 on ONNX Runtime', 20_000);
      t.diagnostic(`progress notification: ${running.message} [${running.buttons.join(', ')}]`);
      // The progress lasts about a second for ResNet-18 on a CPU: watch the toasts on their own, often.
      const progressMessages = new Set<string>();
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          for (const m of await vs.notifications()) {
            const at = /timed run \d+ of \d+/.exec(m);
            if (at) progressMessages.add(at[0]);
          }
          await sleep(50);
        }
      })();
      const text = await waitFor(async () => {
        const failed = (await vs.notifications()).find((m) => /^Stride: (?!running)/.test(m));
        if (failed) throw new Error(`the run failed: ${failed}`);
        const shown = await vs.webviewText(1_000);
        return shown.includes('Feature maps') && shown;
      }, 'the run panel with its feature maps', 90_000)
        .catch(async (e: unknown) => {
          throw new Error(`${String(e)}; notifications: ${JSON.stringify(await vs.notifications())}`);
        })
        .finally(() => (watching = false));
      await watcher;
      t.diagnostic(`progress seen: ${JSON.stringify([...progressMessages])}`);
      await vs.screenshot('run-panel');
      t.diagnostic(text.slice(0, 400));
      assert.match(text, /provider\s*(CPU|CUDA) — (CPU|CUDA)\b/, 'the provider and why');
      assert.match(text, /output\s*1×1000 \(dense_\d+\)/, 'the classifier output');
      assert.match(text, /top-5\s*#\d+/, 'the top-5 classes');
      assert.match(text, /latency\s*p50 [\d.]+ ms/);
      assert.match(text, /Time per layer/);

      // One figure per conv layer: the stem, two per Basic block, and the three 1x1 projections.
      const panel = vs.webview();
      const figures = panel.locator('figure');
      const captions = (await panel.locator('figure figcaption').allInnerTexts()).map((c) => c.trim());
      assert.equal(captions.length, 20, `20 conv layers have feature maps: ${JSON.stringify(captions)}`);
      assert.match(captions[0] ?? '', /^conv_1 · line 39 · 16 of its channels, 112×112$/, `the stem conv comes first: ${captions[0]}`);
      assert.ok(captions.some((c) => /^BasicDown_\d+\.conv_3 · line 29 · 16 of its channels, 7×7$/.test(c)), `the last projection's maps: ${JSON.stringify(captions)}`);
      const images = await figures.locator('img').evaluateAll((imgs) => (imgs as HTMLImageElement[]).map((i) => ({ ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, h: i.naturalHeight })));
      assert.ok(images.length === 20 && images.every((i) => i.ok), `every feature map image decodes: ${JSON.stringify(images)}`);
      await figures.last().scrollIntoViewIfNeeded();
      await vs.screenshot('feature-maps');
    });
  });

  test('the run panel: the time list sorted with shares and totals per op and block, random weights said, Run again at batch 2; Set Up GPU says what this machine lacks', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    const resnet = { 'resnet18.stride': { from: join(ROOT, 'examples', 'resnet18.stride') } };
    await journey(t, 'run-panel-gpu', { workspaceFiles: resnet }, async (vs, step) => {
      await vs.openFile('resnet18.stride');
      await vs.hoverWord('conv', { line: 'conv 64 7x7 stride 2 pad 3 nobias', expect: '112x112x64', timeoutMs: 30_000 });
      const lens = vs.page.locator('.codelens-decoration a', { hasText: 'Run' });
      await waitFor(async () => (await lens.count()) > 0, 'the ▶ Run code lens', 20_000);
      await lens.first().click();
      const panel = vs.webview();
      await waitFor(async () => /Time per layer/.test(await vs.webviewText(1_000)), 'the run panel', 90_000);
      step('run panel shown');
      const text = await vs.webviewText(1_000);
      // The provider is named once, with why CUDA did not load; no doubled "CPU — CPU:".
      assert.match(text, /provider\s*CPU — CUDA did not load: its libraries are not installed/);
      assert.doesNotMatch(text, /CPU — CPU/);
      assert.match(text, /weights\s*random \(seeded He initialisation\)/);
      assert.match(text, /The weights are random \(seeded He initialisation\): the output and the feature maps below are noise/);
      const cuda = panel.locator('#cuda-notice button');
      assert.deepEqual((await cuda.allInnerTexts()).map((b) => b.trim()), ['Set Up GPU', 'Use CPU', 'Copy details']);
      assert.ok((await panel.locator('#random-weights button', { hasText: 'Load weights…' }).count()) === 1, 'the notice offers to load weights');

      // Every layer, slowest first; a time that shows as 0.00 ms draws no bar.
      const layerRows = panel.locator('.times[data-group="layers"] .bar');
      const rows = await layerRows.evaluateAll((els) => els.map((e) => ({ ms: Number((e as HTMLElement).dataset.ms), shown: e.querySelector('.ms')!.textContent, pct: e.querySelector('.pct')!.textContent, bar: e.querySelector('.fill') !== null })));
      const a = analyze(readFileSync(join(ROOT, 'examples', 'resnet18.stride'), 'utf8'));
      const layerCount = exportNetwork(a, a.networks[0]).layers.length;
      assert.equal(rows.length, layerCount, 'one row per ResNet-18 layer');
      assert.ok(rows.every((r, i) => i === 0 || r.ms <= rows[i - 1].ms), `slowest first: ${JSON.stringify(rows.slice(0, 5))}`);
      assert.ok(rows.every((r) => /^\d+\.\d%$/.test(r.pct ?? '')), 'each row has its share');
      assert.ok(rows.filter((r) => r.shown === '0.00 ms').every((r) => !r.bar), 'no bar for 0.00 ms');
      assert.ok(rows.filter((r) => r.shown !== '0.00 ms').every((r) => r.bar), 'a bar for every other row');
      assert.match(text, new RegExp(`[\\d.]+ ms per run over ${layerCount} layers`));
      await vs.screenshot('time-slowest-first');
      await panel.locator('button[data-sort="order"]').click();
      const inOrder = await layerRows.evaluateAll((els) => els.map((e) => e.querySelector('.name')!.textContent));
      // In order: the stem conv first, whose kernel also ran its batchnorm and relu (the optimised graph).
      assert.equal(inOrder[0], 'conv_1 + 2 fused', 'in order, the stem conv comes first');
      assert.equal(inOrder[1], 'batchnorm_1 in conv_1');

      // Per op: conv leads; the shares add up to the whole.
      await panel.locator('button[data-view="op"]').click();
      const ops = await panel.locator('.times[data-group="op"] .bar').evaluateAll((els) => els.map((e) => ({ name: e.querySelector('.name')!.textContent, pct: Number(e.querySelector('.pct')!.textContent!.replace('%', '')) })));
      assert.equal(ops[0].name, 'conv × 20', `ops in order: ${JSON.stringify(ops)}`);
      await panel.locator('button[data-sort="time"]').click();
      const opsByTime = await panel.locator('.times[data-group="op"] .bar').evaluateAll((els) => els.map((e) => ({ name: e.querySelector('.name')!.textContent, pct: Number(e.querySelector('.pct')!.textContent!.replace('%', '')) })));
      assert.ok(Math.abs(opsByTime.reduce((a, o) => a + o.pct, 0) - 100) < 0.5, `shares add up: ${JSON.stringify(opsByTime)}`);
      assert.match(opsByTime[0].name ?? '', /^conv × 20$/, 'conv takes the most time');
      await vs.screenshot('time-per-op');
      await panel.locator('button[data-view="block"]').click();
      const blocks = (await panel.locator('.times[data-group="block"] .bar .name').allInnerTexts()).map((b) => b.trim()).sort();
      // One row per top-level block call, and one for the network's own layers, each with its layer count.
      const calls = new Map<string, number>();
      for (const l of exportNetwork(a, a.networks[0]).layers) {
        const call = l.name.includes('.') ? l.name.slice(0, l.name.indexOf('.')) : 'not in a block';
        calls.set(call, (calls.get(call) ?? 0) + 1);
      }
      assert.deepEqual(blocks, [...calls].map(([call, n]) => `${call} × ${n}`).sort());
      await vs.screenshot('time-per-block');

      // Run again at batch 2, from the panel.
      await panel.locator('#batch').fill('2');
      await panel.locator('button[data-action="rerun"]').click();
      await waitFor(async () => /input\s*random \(seed 0\), 2×3×224×224/.test(await vs.webviewText(1_000)), 'the panel to show the run at batch 2', 90_000);
      assert.equal(await panel.locator('#batch').inputValue(), '2', 'the batch is kept');
      step('ran again at batch 2');

      // Set Up GPU on a machine without an NVIDIA GPU: what it lacks, and what to do.
      await vs.runCommand('Stride: Set Up GPU (CUDA)');
      const lacking = await vs.waitForNotification(/Stride: Set Up GPU: no NVIDIA driver/, 30_000);
      t.diagnostic(`${lacking.message} [${lacking.buttons.join(', ')}]`);
      assert.match(lacking.message, /no NVIDIA driver: \/proc\/driver\/nvidia\/version does not exist and nvidia-smi is not on PATH\. Stride runs networks on the CPU here/);
      assert.deepEqual(lacking.buttons, ['Use CPU', 'Copy details']);
      // The progress notification of the set-up is gone: the message is the last word.
      await waitFor(async () => !(await vs.notifications()).some((m) => /setting up the GPU/.test(m)), 'the set-up progress to close', 10_000);
      await vs.screenshot('set-up-gpu');
    });
  });

  test('Export ONNX asks where to write: Escape writes nothing, an existing model is replaced only when confirmed, the source is refused', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    const OLD_MODEL = 'weights trained elsewhere: not to be replaced unasked\n';
    const files = { 'lenet5.stride': { from: join(ROOT, 'examples', 'lenet5.stride') }, 'lenet5.onnx': OLD_MODEL };
    await journey(t, 'export-onnx', { workspaceFiles: files }, async (vs, step) => {
      const ws = vs.workspace;
      const source = readFileSync(join(ws, 'lenet5.stride'));
      await vs.openFile('lenet5.stride');
      await vs.hoverWord('conv', { line: 'conv 6 5x5', expect: '28x28x6', timeoutMs: 30_000 });
      const dialog = vs.page.locator('.quick-input-widget');

      step('the file is open');
      // 1. The save dialog starts at the default path; Escape cancels and nothing is written.
      await vs.runCommand('Stride: Export ONNX');
      // The dialog fills in its path as it reads the folder.
      const asked = await waitFor(async () => {
        const q = await vs.quickInput();
        return q.title.includes('to ONNX') && q.value.endsWith('.onnx') && q;
      }, 'the save dialog', 15_000).catch(async () => await vs.quickInput());
      await vs.screenshot('save-dialog');
      assert.equal(asked.title, 'Export lenet5.stride to ONNX');
      assert.equal(asked.value, join(ws, 'lenet5.onnx'), 'the dialog is prefilled with the default path beside the source');
      await vs.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await sleep(1_500);
      assert.equal(readFileSync(join(ws, 'lenet5.onnx'), 'utf8'), OLD_MODEL, 'cancelling leaves the existing model alone');
      assert.deepEqual(readdirSync(ws).sort(), ['lenet5.onnx', 'lenet5.stride'], 'cancelling writes no file');

      step('cancelled');
      // 2. Accepting the default: the dialog's own confirmation comes first, then the export replaces the file.
      await vs.runCommand('Stride: Export ONNX');
      await waitFor(async () => {
        const q = await vs.quickInput();
        return q.title.includes('to ONNX') && q.value.endsWith('lenet5.onnx');
      }, 'the save dialog again', 15_000);
      await vs.page.keyboard.press('Enter');
      const confirm = await waitFor(async () => {
        const q = await vs.quickInput();
        return /already exists/.test(q.title) && q;
      }, 'the overwrite confirmation', 15_000);
      await vs.screenshot('overwrite-confirmation');
      assert.match(confirm.title, /lenet5\.onnx already exists\. Are you sure you want to overwrite it\?/);
      await vs.page.keyboard.press('Enter');
      const done = await vs.waitForNotification(/Stride: exported LeNet5/, 30_000);
      await waitFor(async () => !(await vs.notifications()).some((m) => m.includes('exporting')), 'the export progress to close', 10_000).catch(() => undefined);
      await sleep(500); // the toast slides in
      await vs.screenshot('exported');
      t.diagnostic(`notification: ${done.message} [${done.buttons.join(', ')}]`);
      assert.match(done.message, /^Stride: exported LeNet5 to lenet5\.onnx \(\d+ layers, [\d.]+ KiB\)$/, 'the message names the path');
      assert.ok(done.buttons.includes('Reveal in Explorer'), `it offers to reveal the file: ${JSON.stringify(done.buttons)}`);
      const bytes = readFileSync(join(ws, 'lenet5.onnx'));
      const model = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as {
        producer_name?: string;
        opset_import?: { version?: number }[];
        graph?: { node?: { op_type?: string }[]; initializer?: { name?: string }[] };
      };
      const ops = (model.graph?.node ?? []).map((n) => n.op_type);
      assert.ok(ops.filter((o) => o === 'Conv').length === 2 && ops.includes('Gemm'), `an ONNX model of LeNet-5: ${JSON.stringify(ops)}`);
      assert.ok((model.graph?.initializer ?? []).some((i) => i.name === 'conv_1.weight'), 'with its weights');
      assert.deepEqual(readdirSync(ws).sort(), ['lenet5.onnx', 'lenet5.stride'], 'no temporary file is left beside it');

      step('exported');
      await vs.clickNotificationButton(/Stride: exported LeNet5/, 'Reveal in Explorer');
      await waitFor(
        async () => (await vs.page.locator('.explorer-folders-view .monaco-list-row.selected', { hasText: 'lenet5.onnx' }).count()) > 0,
        'the explorer to select lenet5.onnx',
        10_000,
      );

      step('revealed');
      // 3. A path that is the source (here a link to it) is refused, even after the dialog's confirmation.
      symlinkSync('lenet5.stride', join(ws, 'model.onnx'));
      await vs.runCommand('Stride: Export ONNX');
      await waitFor(async () => {
        const q = await vs.quickInput();
        return q.title.includes('to ONNX') && q.value.endsWith('lenet5.onnx');
      }, 'the save dialog a third time', 15_000);
      await dialog.locator('.quick-input-box input').first().fill(join(ws, 'model.onnx'));
      await vs.page.keyboard.press('Enter');
      await waitFor(async () => /already exists/.test((await vs.quickInput()).title), 'the overwrite confirmation for model.onnx', 15_000);
      await vs.page.keyboard.press('Enter');
      const refused = await vs.waitForNotification(/the network's source/, 20_000);
      await sleep(500); // the toast slides in
      await vs.screenshot('source-refused');
      assert.equal(refused.message, "Stride: model.onnx is lenet5.stride, the network's source, under another name; exporting there would replace it. Choose another .onnx file.");
      assert.ok(readFileSync(join(ws, 'lenet5.stride')).equals(source), 'the source is untouched');
      assert.ok(lstatSync(join(ws, 'model.onnx')).isSymbolicLink(), 'the link is untouched');
      assert.ok(readFileSync(join(ws, 'lenet5.onnx')).equals(bytes), 'the model written before is untouched');
      step('refused');
    });
  });

  test('Export PyTorch offers lenet5.py: Escape writes nothing, accepting writes the module with its line comments', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    const files = { 'lenet5.stride': { from: join(ROOT, 'examples', 'lenet5.stride') } };
    await journey(t, 'export-pytorch', { workspaceFiles: files }, async (vs, step) => {
      const ws = vs.workspace;
      const target = join(ws, 'lenet5.py');
      await vs.openFile('lenet5.stride');
      await vs.hoverWord('conv', { line: 'conv 6 5x5', expect: '28x28x6', timeoutMs: 30_000 });
      const dialog = vs.page.locator('.quick-input-widget');
      const saveDialog = async (what: string) =>
        await waitFor(async () => {
          const q = await vs.quickInput();
          return q.title.includes('to PyTorch') && q.value.endsWith('.py') && q;
        }, what, 15_000);

      step('the file is open');
      // 1. The save dialog offers lenet5.py beside the source; Escape cancels and nothing is written.
      await vs.runCommand('Stride: Export PyTorch');
      const asked = await saveDialog('the save dialog');
      await vs.screenshot('save-dialog');
      assert.equal(asked.title, 'Export lenet5.stride to PyTorch');
      assert.equal(asked.value, target, 'the dialog is prefilled with lenet5.py beside the source');
      await vs.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
      await sleep(1_500);
      assert.ok(!existsSync(target), 'cancelling writes no lenet5.py');
      assert.deepEqual(readdirSync(ws).sort(), ['lenet5.stride'], 'cancelling writes no file');

      step('cancelled');
      // 2. Accepting the default writes the module.
      await vs.runCommand('Stride: Export PyTorch');
      await saveDialog('the save dialog again');
      await vs.page.keyboard.press('Enter');
      const done = await vs.waitForNotification(/Stride: exported LeNet5/, 20_000);
      await sleep(500); // the toast slides in
      await vs.screenshot('exported');
      assert.equal(done.message, 'Stride: exported LeNet5 to lenet5.py as PyTorch');
      const py = readFileSync(target, 'utf8');
      assert.ok(py.startsWith('"""LeNet5, written by `stride export --format pytorch` from lenet5.stride.'), `the module docstring comes first: ${JSON.stringify(py.slice(0, 120))}`);
      assert.match(py, /^class LeNet5\(nn\.Module\):$/m);
      assert.match(py, /self\.conv_1 = nn\.Conv2d\(1, 6, 5\) {2}# L\d+ → 28x28x6$/m, 'the first conv with its source line and shape');
      assert.ok((py.match(/  # L\d+ → /g) ?? []).length >= 10, 'every layer has its line comment');
      assert.deepEqual(readdirSync(ws).sort(), ['lenet5.py', 'lenet5.stride'], 'no temporary file is left beside it');
      step('exported');
    });
  });

  test('Import ONNX Model turns a ResNet-18 .onnx into a .stride and .safetensors, and opens the text', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    // The model is made by the project's own exporter (random weights): 69 ONNX nodes, about 45 MiB.
    const a = analyze(readFileSync(join(ROOT, 'examples', 'resnet18.stride'), 'utf8'));
    const scratch = mkdtempSync(join(tmpdir(), 'stride-e2e-onnx-'));
    const onnx = join(scratch, 'resnet18.onnx');
    writeFileSync(onnx, exportNetwork(a, a.networks[0]!).bytes);
    try {
      await journey(t, 'import-onnx', { workspaceFiles: { 'resnet18.onnx': { from: onnx } } }, async (vs, step) => {
        const ws = vs.workspace;
        // VS Code shows its "not displayed in the text editor because it is very large" placeholder in the tab.
        await vs.page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'resnet18.onnx' }).first().click();
        await vs.page.locator('.tabs-container .tab.active', { hasText: 'resnet18.onnx' }).waitFor({ state: 'visible' });
        await vs.screenshot('onnx-open');

        step('the model is open');
        // The command imports the model shown: the save dialog offers resnet18.stride beside it.
        await vs.runCommand('Stride: Import ONNX Model');
        const asked = await waitFor(async () => {
          const q = await vs.quickInput();
          return q.title.startsWith('Import resnet18.onnx') && q.value.endsWith('.stride') && q;
        }, 'the save dialog', 20_000);
        await vs.screenshot('save-dialog');
        assert.equal(asked.title, 'Import resnet18.onnx as a Stride network (its weights go beside it as .safetensors)');
        assert.equal(asked.value, join(ws, 'resnet18.stride'));
        await vs.page.keyboard.press('Enter');
        const done = await vs.waitForNotification(/Stride: imported resnet18\.onnx/, 30_000);
        assert.equal(done.message, 'Stride: imported resnet18.onnx as resnet18 (69 layers, 2 blocks); weights in resnet18.safetensors');

        step('imported');
        assert.ok(existsSync(join(ws, 'resnet18.stride')), 'resnet18.stride is written');
        assert.ok(existsSync(join(ws, 'resnet18.safetensors')), 'resnet18.safetensors is written');
        const text = readFileSync(join(ws, 'resnet18.stride'), 'utf8');
        assert.match(text, /^network resnet18 \{$/m);
        const weights = readFileSync(join(ws, 'resnet18.safetensors'));
        assert.ok(weights.length > 40 * 2 ** 20, `the weights are all there: ${weights.length} bytes`);
        // The new text is open in an editor, and the language server explains it.
        await vs.page.locator('.tabs-container .tab.active', { hasText: 'resnet18.stride' }).waitFor({ state: 'visible', timeout: 10_000 });
        await vs.findText('network resnet18', { timeoutMs: 15_000 });
        const hover = await vs.hoverWord('conv', { line: 'conv 64 7x7 stride 2 pad 3', expect: '112x112x64', timeoutMs: 30_000 });
        await vs.screenshot('imported-hover');
        t.diagnostic(`hover: ${hover.replace(/\s+/g, ' ').slice(0, 200)}`);
        step('hovered');
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('the graph editor beside LeNet-5: a kernel edited in the side panel changes the text; undo brings both back', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    const lenet = { 'lenet5.stride': { from: join(ROOT, 'examples', 'lenet5.stride') } };
    await journey(t, 'graph-editor', { workspaceFiles: lenet }, async (vs) => {
      await vs.openFile('lenet5.stride');
      await vs.hoverWord('conv', { line: 'conv 6 5x5', expect: '28x28x6', timeoutMs: 30_000 });
      await vs.runCommand('Stride: Open Graph Editor');
      const graph = vs.webview();
      const conv = graph.locator('[data-node-id="conv_1"]');
      await conv.waitFor({ state: 'visible', timeout: 30_000 });
      assert.match(await conv.textContent() ?? '', /28x28x6/);
      await vs.screenshot('graph-open');

      // A click selects the node and puts the text cursor on its line; the side panel (folded beside the text
      // until opened) shows its attributes.
      await graph.locator('[data-action="toggle-side"]').click();
      await conv.click();
      // The text editor's breadcrumbs name the statement under its cursor.
      await waitFor(async () => (await vs.page.locator('.breadcrumbs-control').allInnerTexts()).some((t) => t.includes('conv 6 5x5')), 'the text cursor on the conv line', 10_000);
      const kernel = graph.locator('[data-attr="kernel"] input');
      await kernel.waitFor({ state: 'visible', timeout: 10_000 });
      await kernel.fill('3x3');
      await kernel.press('Enter');
      await waitFor(async () => /conv 6 3x3 +# → 28x28x6/.test(await vs.readEditorText()), 'the text to follow the side panel', 15_000);
      await waitFor(async () => /30x30x6/.test((await conv.textContent()) ?? ''), 'the graph to redraw with the new shape', 15_000);
      await vs.screenshot('graph-edited');

      // Undo in the text editor: the text and then the graph go back.
      await vs.clickWord('tanh', { line: 11 });
      await vs.page.keyboard.press('Control+Z');
      await waitFor(async () => /conv 6 5x5 +# → 28x28x6/.test(await vs.readEditorText()), 'undo to restore the text', 15_000);
      await waitFor(async () => /28x28x6/.test((await conv.textContent()) ?? ''), 'the graph to follow the undo', 15_000);
      await vs.screenshot('graph-undone');

      // The cursor in the text highlights the node its line made.
      await vs.clickWord('conv', { line: 'conv 16 5x5' });
      const conv2 = graph.locator('[data-node-id="conv_2"]');
      await waitFor(async () => /\bcursor\b/.test((await conv2.getAttribute('class')) ?? ''), 'the second conv to be highlighted', 10_000);
    });
  });

  test('a new file: 2-space indentation, completion snippets with placeholders ranked by context, hints with their arrow, the network hover leading with its verdict', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    // A folder with something in it: the explorer shows a row once it is ready.
    await journey(t, 'new-file', { workspaceFiles: { 'README.md': '# Networks\n' } }, async (vs, step) => {
      const { page } = vs;
      // Once the palette lists a Stride command the extension's contributions are in, its defaults for
      // `[stride]` among them (a file opened before then keeps the indentation it was opened with).
      // The palette lists the commands known when it opens: it is opened afresh until the command is there.
      const listed = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Stride: Import ONNX Model' }).first();
      await waitFor(
        async () => {
          await page.keyboard.press('Escape');
          await page.keyboard.press('F1');
          await page.locator('.quick-input-widget input').fill('>Stride: Import ONNX');
          return await listed.waitFor({ state: 'visible', timeout: 2_000 }).then(() => true, () => false);
        },
        'the palette to list Stride: Import ONNX Model',
        30_000,
      );
      await page.keyboard.press('Escape');
      // A new file, as a user makes one: the explorer's New File button, a name, Enter.
      await page.locator('.pane-header').first().hover();
      await page.locator('.pane-header .action-label[aria-label^="New File"]').first().click();
      const name = page.locator('.explorer-folders-view .monaco-inputbox input').first();
      await name.waitFor({ state: 'visible', timeout: 10_000 });
      await name.fill('new.stride');
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab.active', { hasText: 'new.stride' }).waitFor({ state: 'visible', timeout: 10_000 });
      await vs.screenshot('new-file');
      const indentation = page.locator('[id="status.editor.indentation"]');
      await waitFor(async () => /Spaces: 2/.test(await indentation.innerText().catch(() => '')), 'the status bar to say "Spaces: 2"', 30_000).catch(async () => {
        throw new Error(`indentation in the status bar: ${await indentation.innerText().catch(() => '(none)')}`);
      });
      // The brace closes itself; Enter opens the body indented by 2, as the examples and the formatter are.
      await page.keyboard.type('network Tiny {');
      await page.keyboard.press('Enter');
      await page.keyboard.type('input 32x32x3');
      await waitFor(async () => (await vs.readEditorText()) === 'network Tiny {\n  input 32x32x3\n}', 'the body indented by 2 spaces', 10_000).catch(async (e: unknown) => {
        throw new Error(`${String(e)}; the text: ${JSON.stringify(await vs.readEditorText())}`);
      });
      await vs.hoverWord('input', { line: 'input 32x32x3', expect: '32x32x3', timeoutMs: 30_000 });
      await vs.gotoLine(2, '  input 32x32x3'.length + 1);
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      step('typed the input');

      const rows = page.locator('.editor-widget.suggest-widget.visible .monaco-list-row');
      /** Opens the suggestions (Ctrl+Space) and returns their labels as listed, top first. */
      const suggest = async (what: string): Promise<string[]> => {
        return waitFor(
          async () => {
            if ((await rows.count()) === 0) {
              await page.keyboard.press('Control+Space');
              await sleep(300);
            }
            const labels = (await rows.locator('.label-name').allInnerTexts()).map((l) => l.trim());
            return labels.length > 3 && labels;
          },
          what,
          15_000,
        );
      };
      // After the input a conv comes first; accepted, it is a snippet with its channels selected to type over.
      const afterInput = await suggest('the suggestions after the input');
      await vs.screenshot('suggest-after-input');
      assert.equal(afterInput[0], 'conv', `first after the input: ${JSON.stringify(afterInput)}`);
      await page.keyboard.press('Tab');
      await waitFor(async () => (await vs.readEditorText()).includes('conv 64 3x3'), 'the conv snippet inserted', 10_000);
      await page.keyboard.type('16');
      await page.keyboard.press('Tab');
      await page.keyboard.type('5x5');
      await page.keyboard.press('Escape');
      await waitFor(async () => (await vs.readEditorText()).includes('  conv 16 5x5\n'), 'both placeholders filled: conv 16 5x5', 10_000);
      step('accepted the conv snippet');

      // After a conv: its batchnorm, relu and pooling first. Typing narrows the list; Tab takes maxpool 2x2.
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      const afterConv = await suggest('the suggestions after the conv');
      assert.deepEqual(afterConv.slice(0, 3), ['batchnorm', 'relu', 'maxpool'], `first after a conv: ${JSON.stringify(afterConv)}`);
      await vs.screenshot('suggest-after-conv');
      await page.keyboard.type('maxp');
      await waitFor(async () => (await rows.locator('.label-name').allInnerTexts())[0]?.trim() === 'maxpool', 'maxpool on top', 10_000);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Escape');
      await waitFor(async () => (await vs.readEditorText()) === 'network Tiny {\n  input 32x32x3\n  conv 16 5x5\n  maxpool 2x2\n}', 'the network as typed', 10_000);
      await vs.waitForProblems((p) => p.total === 0, 20_000, 'no problems in what completion wrote');
      step('accepted the maxpool snippet');

      // conv 16 5x5 on 32x32: 28x28x16, 5·5·3·16 + 16 = 1,216 params; the pool halves it. The input has none.
      const hints = await waitFor(
        async () => {
          const all = await vs.inlayHints();
          return all.some((h) => h.text === '→ 14x14x16') && all;
        },
        'the hint "→ 14x14x16" on the maxpool line',
        20_000,
      ).catch(async (e: unknown) => {
        throw new Error(`${String(e)}; hints shown: ${JSON.stringify(await vs.inlayHints())}`);
      });
      await vs.screenshot('hints');
      assert.deepEqual(
        hints.map((h) => [h.lineNumber, h.text]),
        [
          [3, '→ 28x28x16 · 1,216 params'],
          [4, '→ 14x14x16'],
        ],
      );
      // Apart from the code it follows: a gap before the hint, and the arrow.
      const gap = await page.evaluate(() => {
        const line = Array.from(document.querySelectorAll('.editor-instance .view-lines > .view-line')).find((l) => (l.textContent ?? '').replace(/\u00a0/g, ' ').includes('conv 16 5x5'));
        const spans = Array.from(line?.querySelectorAll<HTMLElement>('span') ?? []).filter((x) => x.children.length === 0);
        // VS Code draws the padding as an injected span of its own before the label's.
        const code = spans.findIndex((x) => /inlay|dyn-rule-/i.test(x.className)) - 1;
        const label = spans.findIndex((x) => x.textContent?.includes('→'));
        return code >= 0 && label > code ? spans[label].getBoundingClientRect().left - spans[code].getBoundingClientRect().right : undefined;
      });
      assert.ok(gap !== undefined && gap >= 1, `a gap between the code and its hint: ${gap} px`);
      step(`the hint ${gap.toFixed(1)} px after the code`);

      const hover = await vs.hoverWord('Tiny', { line: 'network Tiny', expect: /Training takes/, timeoutMs: 15_000 });
      await vs.screenshot('network-hover');
      const verdict = hover.indexOf('Training takes');
      assert.ok(verdict >= 0 && verdict < hover.indexOf('params') && verdict < hover.indexOf('parameters'), `the verdict before the tables: ${hover}`);
    });
  });

  test('the graph editor beside ResNet-50 at 1600x1000: readable from the input, its blocks folded, the panel folded away, a block layer with its call values', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    const resnet = { 'resnet50.stride': { from: join(ROOT, 'examples', 'resnet50.stride') } };
    await journey(t, 'graph-beside', { workspaceFiles: resnet, viewport: { width: 1600, height: 1000 } }, async (vs, step) => {
      await vs.openFile('resnet50.stride');
      await vs.hoverWord('conv', { line: 'conv 64 7x7', expect: '112x112x64', timeoutMs: 30_000 });
      await vs.runCommand('Stride: Open Graph Editor');
      const graph = vs.webview();
      const input = graph.locator('[data-node-id="input_1"]');
      await input.waitFor({ state: 'visible', timeout: 30_000 });
      step('graph shown');
      // Box text in CSS pixels: the glyphs' height, and the font size the view scales it to.
      const text = await input.locator('.shape').evaluate((e) => {
        const m = (e as SVGGraphicsElement).getScreenCTM()!;
        return { height: e.getBoundingClientRect().height, size: parseFloat(getComputedStyle(e).fontSize) * Math.hypot(m.a, m.b) };
      });
      t.diagnostic(`box text ${text.height.toFixed(1)} px tall, font ${text.size.toFixed(1)} px`);
      assert.ok(text.height >= 11 && text.size >= 11, `box text is ${text.height.toFixed(1)} px tall at ${text.size.toFixed(1)} px`);
      const stage = await graph.locator('#diagram').evaluate((e) => e.getBoundingClientRect().toJSON() as DOMRect);
      const box = await input.locator('.box').evaluate((e) => e.getBoundingClientRect().toJSON() as DOMRect);
      assert.ok(box.y >= stage.y && box.y - stage.y < 80 && box.x >= stage.x && box.right <= stage.right, 'the input is at the top, on screen');
      assert.ok(stage.width < 900, `beside the text (${stage.width.toFixed(0)} px wide)`);
      assert.equal(await graph.locator('#side').isVisible(), false, 'the side panel is folded beside the text');
      assert.ok((await graph.locator('.group-node').count()) >= 16, 'the bottlenecks are folded');
      assert.equal(await graph.locator('#minimap').isVisible(), true, 'a minimap');
      const totals = await graph.locator('#totals').evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth, text: e.textContent }));
      assert.ok(totals.scroll <= totals.client, `the totals are whole: ${totals.text}`);
      await vs.screenshot('beside');

      // A block opened: its layers show the values of this call; the panel, opened, the written form too.
      await graph.locator('[data-action="expand-all"]').click();
      const search = graph.locator('[data-action="search"] input');
      await search.fill('BottleneckDown_2.conv_4');
      await search.press('Enter');
      const conv = graph.locator('[data-node-id="BottleneckDown_2.conv_4"]');
      await waitFor(async () => /current-match/.test((await conv.getAttribute('class')) ?? ''), 'the search to find the projection conv', 10_000);
      assert.match((await conv.locator('.label').textContent()) ?? '', /^512 1x1 stride 2/);
      await graph.locator('[data-action="toggle-side"]').click();
      await conv.click();
      await waitFor(async () => /written\s+conv c\*4 1x1 stride stride/.test(await graph.locator('#selection').innerText()), 'the side panel to show the written form', 10_000);
      await vs.screenshot('block-values');
    });
  });

  test('Compare with… another file: ResNet-18 with a third block in a stage, 7 layers added in the compare view and marked in the graph editor', { timeout: JOURNEY_TIMEOUT, skip }, async (t) => {
    const resnet = readFileSync(join(ROOT, 'examples', 'resnet18.stride'), 'utf8');
    // The 128-channel stage: BasicDown 128, then two Basic 128 instead of one.
    const deeper = resnet.replace(/^  Basic 128$/m, '  repeat 2 { Basic 128 }');
    assert.notEqual(deeper, resnet);
    const a = analyze(resnet);
    const b = analyze(deeper);
    const diff = diffNetworks(a, a.networks[0], b, b.networks[0]);
    const added = diff.layers.filter((l) => l.status === 'added').map((l) => l.b!.name);
    assert.equal(added.length, 7);
    const files = { 'resnet18.stride': { from: join(ROOT, 'examples', 'resnet18.stride') }, 'resnet18-deeper.stride': deeper };
    await journey(t, 'compare', { workspaceFiles: files }, async (vs, step) => {
      await vs.openFile('resnet18-deeper.stride');
      await vs.hoverWord('conv', { line: 'conv 64 7x7', expect: '112x112x64', timeoutMs: 30_000 });
      await vs.runCommand('Stride: Compare with…');
      await vs.page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Another .stride file…' }).click({ timeout: 15_000 });
      // code-server's own open dialog: a quick input holding a path, the folder of the file compared to start.
      await waitFor(async () => (await vs.quickInput()).value.startsWith(vs.workspace), 'the open dialog', 15_000);
      await vs.screenshot('open-dialog');
      await vs.page.locator('.quick-input-widget .quick-input-box input').first().fill(join(vs.workspace, 'resnet18.stride'));
      await vs.page.keyboard.press('Enter');
      step('resnet18.stride chosen');
      const shown = await waitFor(async () => {
        const text = await vs.webviewText(1_000);
        return /7 added, 0 removed/.test(text) && text;
      }, 'the compare view', 30_000);
      await vs.screenshot('compare-view');
      assert.ok(shown.includes('+295,936'), `the params delta of one Basic 128: ${shown.slice(0, 1500)}`);
      const tabs = (await vs.page.locator('.tabs-container .tab').allInnerTexts()).map((l) => l.replace(/\s+/g, ' ').trim());
      assert.ok(tabs.some((l) => l.includes('resnet18-deeper.stride ↔ resnet18.stride')), JSON.stringify(tabs));

      step('compare view');
      // The text editor kept the focus: the graph editor opens for it, and overlays the comparison.
      await vs.clickWord('conv', { line: 'conv 64 7x7' });
      await vs.runCommand('Stride: Open Graph Editor');
      const graph = vs.webview();
      const bar = graph.locator('#compare');
      await waitFor(async () => /compared with resnet18\.stride: 7 added, 0 removed/.test((await bar.innerText().catch(() => '')) ?? ''), 'the graph editor to show the comparison', 30_000);
      await graph.locator('[data-action="expand-all"]').click();
      const first = graph.locator(`[data-node-id="${added[0]}"]`);
      await first.waitFor({ state: 'attached', timeout: 10_000 });
      const marked = await graph.locator('.node.cmp-added').evaluateAll((els) => els.map((e) => [e.getAttribute('data-node-id'), e.querySelector('.cmp-badge text')?.textContent] as const));
      assert.deepEqual(marked.map(([id]) => id).sort(), [...added].sort(), 'the added Basic layers are marked added');
      assert.ok(marked.every(([, sign]) => sign === '+'), 'each with its sign');
      const search = graph.locator('[data-action="search"] input');
      await search.fill(added[0]);
      await search.press('Enter');
      await waitFor(async () => /current-match/.test((await first.getAttribute('class')) ?? ''), `the search to find ${added[0]}`, 10_000);
      await vs.screenshot('graph-overlay');
    });
  });
});
