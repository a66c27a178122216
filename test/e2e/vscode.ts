/// <reference lib="dom" />
// A real VS Code (code-server, served on loopback) driven by playwright-core and Debian's Chromium, with this
// repository loaded as an unpacked extension. Facts behind the choices: ../../../shared/E2E-VSCODE.md.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { ensureE2E, isolatedEnv, shortTmpDir, type E2EPaths } from './setup.js';

/** Settings that keep the screen clean and the run quiet and deterministic (E2E-VSCODE.md), plus a few that
 * keep typing predictable: no suggest widget popping up and eating an Enter. Callers may override any. */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.acceptSuggestionOnEnter': 'off',
  'editor.hover.delay': 150,
  'editor.minimap.enabled': false,
  'editor.codeLens': true,
  'editor.inlayHints.enabled': 'on',
  'files.autoSave': 'off',
  'git.enabled': false,
};

export interface StartOptions {
  /** Files to create in the workspace folder: relative path → contents, or `{ from: absolutePath }` to copy. */
  workspaceFiles?: Record<string, string | { from: string }>;
  /** User settings merged over DEFAULT_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Prefix for screenshot names (default: the run id). */
  name?: string;
  /** Browser viewport (default 1600×1000). */
  viewport?: { width: number; height: number };
  /** Make the workspace a git repository with its files committed (for Source Control and its diffs). */
  commit?: boolean;
}

export interface HoverOptions {
  /** Which line: a 1-based line number, or text the line contains. Default: the first visible match. */
  line?: number | string;
  /** Which occurrence of the word on that line (0-based). */
  occurrence?: number;
  /** Keep retrying until the hover text contains this (the first hovers may come before the server is up). */
  expect?: string | RegExp;
  /** Total time to keep trying (default 20 s). */
  timeoutMs?: number;
}

export interface Problems {
  errors: number;
  warnings: number;
  infos: number;
  /** errors + warnings + infos */
  total: number;
  /** The status bar item's accessible label, e.g. "Errors: 0, Warnings: 1". */
  label: string;
}

export interface VisibleLine {
  lineNumber: number;
  text: string;
}

export interface VSCode {
  page: Page;
  context: BrowserContext;
  baseUrl: string;
  /** The workspace folder opened in the window. */
  workspace: string;
  /** This run's folder (user data, extensions, logs, HOME...). */
  runDir: string;
  paths: E2EPaths;
  close(): Promise<void>;
  /** Saves `test-artifacts/<name>-<step>.png` and returns its path. */
  screenshot(step: string): Promise<string>;
  openFile(name: string): Promise<void>;
  hoverWord(word: string, opts?: HoverOptions): Promise<string>;
  runCommand(title: string): Promise<void>;
  problemsCount(): Promise<Problems>;
  /** Waits until `pred(problems)` holds; returns the last reading (throws on timeout). */
  waitForProblems(pred: (p: Problems) => boolean, timeoutMs?: number, what?: string): Promise<Problems>;
  /** Moves the cursor to a 1-based line and column (Go to Line). */
  gotoLine(line: number, column?: number): Promise<void>;
  /** Types at a 1-based line and column. */
  typeAt(line: number, column: number, text: string): Promise<void>;
  /** Puts the cursor at the end of a line (1-based number, or text it contains) and presses Enter, then types. */
  insertLineAfter(line: number | string, text: string): Promise<void>;
  /** Selects `word` (on the given line) and types `replacement` over it. */
  replaceWord(word: string, replacement: string, opts?: { line?: number | string; occurrence?: number }): Promise<void>;
  /** Clicks in the middle of `word` (on the given line), placing the cursor there. */
  clickWord(word: string, opts?: { line?: number | string; occurrence?: number }): Promise<void>;
  /** The rendered lines of the active editor (from the DOM; it scrolls through the file to collect them all). */
  readEditorLines(): Promise<VisibleLine[]>;
  readEditorText(): Promise<string>;
  /** Inlay hint labels as rendered, with their line numbers. */
  inlayHints(): Promise<{ lineNumber: number; text: string }[]>;
  /**
   * Opens the quick-fix menu (Ctrl+.) — at `word` when given, else at the next problem (F8) — and applies
   * the first action whose title contains `titleSubstring`. Returns the titles that were offered.
   */
  quickFix(titleSubstring: string, at?: { word: string; line?: number | string; occurrence?: number }): Promise<string[]>;
  /** Text of the (last) webview's content; '' when none shows text within the timeout. */
  webviewText(timeoutMs?: number): Promise<string>;
  /** The content frame of the last webview opened (a panel or a custom editor), to locate elements in. */
  webview(): FrameLocator;
  /**
   * Waits until an editor, a webview or the panel shows `text` (for commands that open "something": a
   * virtual document, a webview panel, an output channel). Returns where, and all the text shown there.
   */
  findText(text: string, opts?: { timeoutMs?: number; exclude?: string }): Promise<{ where: 'editor' | 'webview' | 'panel'; text: string }>;
  /** The active editor tab's label. */
  activeTabLabel(): Promise<string>;
  /** The messages of the notification toasts on screen now. */
  notifications(): Promise<string[]>;
  /**
   * Waits for a notification toast whose message matches; returns its message and the labels of its
   * buttons. A matching notification that has already left the toasts is looked up in the notification centre.
   */
  waitForNotification(match: string | RegExp, timeoutMs?: number): Promise<{ message: string; buttons: string[] }>;
  /** Clicks the button labelled `label` on the notification whose message matches. */
  clickNotificationButton(match: string | RegExp, label: string): Promise<void>;
  /** Waits for the quick input (palette, simple file dialog, prompts) to show; returns its title and value. */
  quickInput(timeoutMs?: number): Promise<{ title: string; value: string }>;
  /** Everything the extension host and output channels logged (for a failure message). */
  logs(): string;
}

const DEFAULT_VIEWPORT = { width: 1600, height: 1000 };
const ACTIVE_EDITOR = '.editor-group-container.active .editor-instance .monaco-editor';
const ANY_EDITOR = '.editor-instance .monaco-editor';
let runCounter = 0;

/** Process groups of servers still running: ended on exit even when a test forgot (or timed out before) close(). */
const livePgids = new Set<number>();
process.on('exit', () => {
  for (const pgid of livePgids) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Polls `fn` until it returns a value other than undefined/false; throws with `what` on timeout. */
export async function waitFor<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await sleep(everyMs);
  }
}

function log(msg: string): void {
  process.stderr.write(`[e2e] ${msg}\n`);
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Keeps the newest `keep` run folders; each holds a user-data dir and a browser profile (tens of MB). */
function pruneRuns(runs: string, keep: number): void {
  if (!existsSync(runs)) return;
  const dirs = readdirSync(runs)
    .map((n) => join(runs, n))
    .filter((p) => statSync(p).isDirectory())
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const d of dirs.slice(keep)) rmSync(d, { recursive: true, force: true });
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The text of `str` made comparable with Monaco's rendering (which uses no-break spaces). */
function norm(s: string): string {
  return s.replace(/\u00a0/g, ' ');
}

export async function startVSCode(opts: StartOptions = {}): Promise<VSCode> {
  const paths = ensureE2E();
  mkdirSync(paths.runs, { recursive: true });
  pruneRuns(paths.runs, 6);
  // Short: code-server puts a Unix socket (107-byte path limit) in the user-data dir under the run folder.
  const id = `${Date.now().toString(36)}-${process.pid}-${++runCounter}`;
  const runDir = join(paths.runs, id);
  const ud = join(runDir, 'ud');
  const exts = join(runDir, 'exts');
  const ws = join(runDir, 'ws');
  const profile = join(runDir, 'browser');
  for (const d of [ud, join(ud, 'User'), exts, ws, profile]) mkdirSync(d, { recursive: true });
  const name = opts.name ?? id;
  mkdirSync(paths.artifacts, { recursive: true });

  // Workspace files.
  for (const [rel, content] of Object.entries(opts.workspaceFiles ?? {})) {
    const dest = join(ws, rel);
    mkdirSync(dirname(dest), { recursive: true });
    if (typeof content === 'string') writeFileSync(dest, content);
    else cpSync(content.from, dest);
  }
  if (opts.commit) {
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Stride', '-c', 'user.email=stride@example.invalid', ...args], { cwd: ws, stdio: 'ignore' });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'the networks as committed');
  }

  // User settings.
  writeFileSync(join(ud, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...(opts.settings ?? {}) }, null, 2) + '\n');

  // The extension under test, unpacked: a link named publisher.name-version in a fresh extensions folder (no
  // extensions.json yet, so code-server scans the folder and records it).
  const pkg = readJson(join(paths.root, 'package.json'));
  const extId = `${String(pkg.publisher)}.${String(pkg.name)}`;
  symlinkSync(paths.root, join(exts, `${extId}-${String(pkg.version)}`), 'dir');

  // code-server, in its own process group so that close() can end it and its children together.
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // Sockets and temporary files of this run (server and browser) live under one short /tmp folder.
  const tmp = shortTmpDir();
  writeFileSync(join(runDir, 'tmpdir.txt'), tmp + '\n');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...isolatedEnv(runDir, join(tmp, 's')),
    PATH: `${paths.node24Bin}:${process.env.PATH ?? ''}`,
  };
  // Keep the variables of a VS Code this test may itself run in from leaking into the server.
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  const serverLog = join(runDir, 'code-server.log');
  const logFd = openSync(serverLog, 'a');
  const args = [
    paths.codeServer,
    '--config', '/dev/null',
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', ud,
    '--extensions-dir', exts,
    ws,
  ];
  const t0 = Date.now();
  const server: ChildProcess = spawn(paths.node24, args, { cwd: runDir, env, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let serverExited = false;
  if (server.pid) livePgids.add(server.pid);
  server.on('exit', () => {
    serverExited = true;
    if (server.pid) livePgids.delete(server.pid);
  });

  let context: BrowserContext | undefined;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      await context?.close();
    } catch {
      /* already gone */
    }
    if (!serverExited && server.pid) {
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      for (let i = 0; i < 50 && !serverExited; i++) await sleep(100);
      if (!serverExited) {
        try {
          process.kill(-server.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  };

  try {
    // Ready when /healthz answers.
    for (;;) {
      if (serverExited) throw new Error(`code-server exited early; its log:\n${readFileSync(serverLog, 'utf8')}`);
      try {
        const r = await fetch(`${baseUrl}/healthz`);
        if (r.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() - t0 > 60_000) throw new Error(`code-server did not answer /healthz within 60 s; log:\n${readFileSync(serverLog, 'utf8')}`);
      await sleep(150);
    }
    log(`code-server up on ${baseUrl} in ${Date.now() - t0} ms (run ${runDir})`);

    context = await chromium.launchPersistentContext(profile, {
      executablePath: paths.chromium,
      headless: true,
      viewport: opts.viewport ?? DEFAULT_VIEWPORT,
      env: { ...process.env, ...isolatedEnv(join(runDir, 'browser-env'), join(tmp, 'b')), HOME: profile },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // tsx compiles with esbuild's keepNames, which wraps nested functions in `__name(fn, "name")`; functions
    // passed to page.evaluate carry those calls into the page, so the page needs a `__name`.
    await context.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((fn) => fn);' });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    await page.goto(`${baseUrl}/?folder=${encodeURIComponent(ws)}`);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: 60_000 }).catch(() => undefined);
    log(`workbench ready after ${Date.now() - t0} ms`);

    const vs = makeApi({ page, context, baseUrl, ws, runDir, ud, paths, name, close });
    return vs;
  } catch (e) {
    await close();
    throw e;
  }
}

interface Parts {
  page: Page;
  context: BrowserContext;
  baseUrl: string;
  ws: string;
  runDir: string;
  ud: string;
  paths: E2EPaths;
  name: string;
  close: () => Promise<void>;
}

function makeApi({ page, context, baseUrl, ws, runDir, ud, paths, name, close }: Parts): VSCode {
  // The active group's editor (a command may open another editor beside the first).
  const editor = (): Locator => page.locator(`${ACTIVE_EDITOR}, ${ANY_EDITOR}`).first();
  let shot = 0;

  /** Rendered lines of the active editor with their line numbers (matched through their `top`). */
  const visibleLines = async (): Promise<VisibleLine[]> =>
    await page.evaluate(([active, any]) => {
      const ed = document.querySelector(active) ?? document.querySelector(any);
      if (!ed) return [];
      const numbers = new Map<string, number>();
      for (const el of Array.from(ed.querySelectorAll<HTMLElement>('.margin-view-overlays > div'))) {
        const n = el.querySelector('.line-numbers');
        if (n && n.textContent) numbers.set(el.style.top, Number(n.textContent.trim()));
      }
      const out: { lineNumber: number; text: string }[] = [];
      for (const el of Array.from(ed.querySelectorAll<HTMLElement>('.view-lines > .view-line'))) {
        const lineNumber = numbers.get(el.style.top);
        if (lineNumber === undefined) continue;
        // Leave out injected text (inlay hints and the like): it is not part of the document.
        let text = '';
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
          const parent = (t as Text).parentElement;
          if (parent && /inlay|dyn-rule-|ced-|injected/.test(parent.className)) continue;
          text += (t as Text).data;
        }
        out.push({ lineNumber, text: text.replace(/\u00a0/g, ' ') });
      }
      return out.sort((a, b) => a.lineNumber - b.lineNumber);
    }, [ACTIVE_EDITOR, ANY_EDITOR] as const);

  /**
   * The viewport rectangle of occurrence `occurrence` of `word` on the given line of the active editor,
   * measured with a DOM Range over the rendered text nodes, so that it works however the tokenizer split the
   * line. Injected text (inlay hints) is left out of both the line match and the word search.
   */
  const wordRect = async (word: string, line: number | string | undefined, occurrence: number) =>
    await page.evaluate(
      ({ word, line, occurrence, active, any }) => {
        const ed = document.querySelector(active) ?? document.querySelector(any);
        if (!ed) return { error: 'no editor is open' };
        const numbers = new Map<string, number>();
        for (const el of Array.from(ed.querySelectorAll<HTMLElement>('.margin-view-overlays > div'))) {
          const n = el.querySelector('.line-numbers');
          if (n && n.textContent) numbers.set(el.style.top, Number(n.textContent.trim()));
        }
        const lines = Array.from(ed.querySelectorAll<HTMLElement>('.view-lines > .view-line'))
          .map((el) => {
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            const nodes: Text[] = [];
            for (let t = walker.nextNode(); t; t = walker.nextNode()) {
              const parent = (t as Text).parentElement;
              if (parent && /inlay|dyn-rule-|ced-|injected/.test(parent.className)) continue;
              nodes.push(t as Text);
            }
            const text = nodes.map((t) => t.data).join('').replace(/\u00a0/g, ' ');
            return { nodes, n: numbers.get(el.style.top) ?? 0, text };
          })
          .sort((a, b) => a.n - b.n);
        const isWordChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
        for (const l of lines) {
          if (typeof line === 'number' && l.n !== line) continue;
          if (typeof line === 'string' && !l.text.includes(line)) continue;
          const nodes = l.nodes;
          const full = l.text;
          let from = 0;
          let seen = 0;
          for (;;) {
            const at = full.indexOf(word, from);
            if (at < 0) break;
            from = at + 1;
            // Whole words only when the word itself is a word.
            if (isWordChar(word[0]) && isWordChar(full[at - 1])) continue;
            if (isWordChar(word[word.length - 1]) && isWordChar(full[at + word.length])) continue;
            if (seen++ < occurrence) continue;
            // Map [at, at + word.length) onto text nodes.
            const range = document.createRange();
            let pos = 0;
            let started = false;
            for (const t of nodes) {
              const len = t.data.length;
              if (!started && at < pos + len) {
                range.setStart(t, at - pos);
                started = true;
              }
              if (started && at + word.length <= pos + len) {
                range.setEnd(t, at + word.length - pos);
                break;
              }
              pos += len;
            }
            const r = range.getBoundingClientRect();
            return { x: r.x, y: r.y, width: r.width, height: r.height, lineNumber: l.n };
          }
        }
        return { error: `"${word}" not found on ${line === undefined ? 'any visible line' : `line ${JSON.stringify(line)}`}; visible lines:\n${lines.map((l) => `${l.n}: ${l.text}`).join('\n')}` };
      },
      { word, line, occurrence, active: ACTIVE_EDITOR, any: ANY_EDITOR },
    );

  const locateWord = async (word: string, line: number | string | undefined, occurrence: number) => {
    if (typeof line === 'number') await revealLine(line);
    const r = await wordRect(word, line, occurrence);
    if ('error' in r) throw new Error(String(r.error));
    return r;
  };

  const focusEditor = async (): Promise<void> => {
    await editor().waitFor({ state: 'visible' });
    // Focus without moving the cursor: the editor's own input element.
    const input = editor().locator('textarea, .native-edit-context').first();
    if ((await input.count()) > 0) await input.focus();
  };

  const gotoLine = async (line: number, column?: number): Promise<void> => {
    await focusEditor();
    await page.keyboard.press('Control+G');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    // The Go to Line picker is Quick Open with a ':' prefix; without it the text searches file names.
    await input.fill(column === undefined ? `:${line}` : `:${line}:${column}`);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' }).catch(() => undefined);
  };

  const revealLine = async (line: number): Promise<void> => {
    const lines = await visibleLines();
    // Not the first or last rendered line: those may be partly scrolled out.
    if (lines.slice(1, -1).some((l) => l.lineNumber === line)) return;
    await gotoLine(line);
    await sleep(150);
  };

  /** Closes hovers and the like, which may cover the text to click, and moves the mouse out of the way. */
  const dismissWidgets = async (): Promise<void> => {
    await page.mouse.move(5, 300);
    await page.keyboard.press('Escape');
    await page.locator('.monaco-hover:not(.hidden)').first().waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined);
  };

  const hoverText = async (): Promise<string> => {
    const hovers = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content');
    const n = await hovers.count();
    const texts: string[] = [];
    for (let i = 0; i < n; i++) {
      const h = hovers.nth(i);
      if (await h.isVisible()) texts.push(norm(await h.innerText()));
    }
    return texts.join('\n').trim();
  };

  const api: VSCode = {
    page,
    context,
    baseUrl,
    workspace: ws,
    runDir,
    paths,
    close,

    async screenshot(step) {
      const file = join(paths.artifacts, `${name}-${String(++shot).padStart(2, '0')}-${step.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
      await page.screenshot({ path: file });
      log(`screenshot ${file}`);
      return file;
    },

    async openFile(file) {
      const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: basename(file) }).first();
      if ((await row.count()) > 0 && file === basename(file)) {
        await row.click();
      } else {
        // Quick Open finds files in subfolders too.
        await page.keyboard.press('Control+P');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ state: 'visible' });
        await input.fill(file);
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: basename(file) }).first().waitFor({ state: 'visible' });
        await page.keyboard.press('Enter');
      }
      await page.locator('.tabs-container .tab.active', { hasText: basename(file) }).waitFor({ state: 'visible' });
      await editor().locator('.view-lines .view-line').first().waitFor({ state: 'visible' });
      await focusEditor();
    },

    async hoverWord(word, o = {}) {
      const deadline = Date.now() + (o.timeoutMs ?? 20_000);
      let last = '';
      for (let attempt = 0; ; attempt++) {
        const r = await locateWord(word, o.line, o.occurrence ?? 0);
        const x = r.x + r.width / 2;
        const y = r.y + r.height / 2;
        // Away first (so that a new hover starts), then onto the word twice, a few pixels apart.
        await page.keyboard.press('Escape');
        await page.mouse.move(5, 300);
        await sleep(100);
        await page.mouse.move(x - 1, y);
        await sleep(80);
        await page.mouse.move(x + 2, y + 1);
        const until = Date.now() + 3_000;
        while (Date.now() < until) {
          const text = await hoverText();
          // "Loading..." is the placeholder while providers answer.
          if (text && !/^Loading\.\.\.$/.test(text)) {
            last = text;
            const ok = o.expect === undefined || (typeof o.expect === 'string' ? text.includes(o.expect) : o.expect.test(text));
            if (ok) return text;
          }
          await sleep(150);
        }
        if (Date.now() > deadline) {
          if (o.expect === undefined && last) return last;
          throw new Error(`hover over "${word}" ${o.expect === undefined ? 'showed nothing' : `never contained ${String(o.expect)}`} in ${attempt + 1} tries; last hover text: ${JSON.stringify(last)}`);
        }
      }
    },

    async runCommand(title) {
      const input = page.locator('.quick-input-widget input');
      // The palette lists what the context allows when it opens (`editorLangId == stride`): a hover still
      // open, or a context key set a moment late, can leave a command out, so it is opened afresh meanwhile.
      const open = async () => {
        await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        await input.waitFor({ state: 'visible' });
        await input.fill(`>${title}`);
      };
      await open();
      let reopened = Date.now();
      // The palette also lists fuzzy and "similar" matches: pick the row whose label is exactly the title.
      const rows = page.locator('.quick-input-widget .monaco-list-row');
      const labels = async (): Promise<string[]> =>
        (await rows.evaluateAll((els) => els.map((el) => el.querySelector('.label-name')?.textContent ?? el.textContent ?? ''))).map((l) => norm(l).trim());
      let offered: string[] = [];
      const deadline = Date.now() + 15_000;
      for (;;) {
        offered = await labels();
        const i = offered.indexOf(title);
        if (i >= 0) {
          await rows.nth(i).click();
          break;
        }
        if (Date.now() > deadline) {
          await page.keyboard.press('Escape');
          throw new Error(`command "${title}" is not in the command palette; it offered: ${JSON.stringify(offered)}`);
        }
        if (Date.now() - reopened > 3_000) {
          await open();
          reopened = Date.now();
        }
        await sleep(200);
      }
      // The palette closes, or the command opens its own quick input (a file dialog, a prompt) in its place.
      const widget = page.locator('.quick-input-widget');
      await waitFor(
        async () => !(await widget.isVisible()) || !(await widget.locator('.quick-input-box input').first().inputValue()).startsWith('>'),
        `the command palette to close after "${title}"`,
        10_000,
        100,
      ).catch(() => undefined);
    },

    async problemsCount() {
      const item = page.locator('[id="status.problems"]');
      await item.waitFor({ state: 'attached', timeout: 30_000 });
      const label = norm(
        (await item.getAttribute('aria-label')) ?? (await item.locator('[aria-label]').first().getAttribute('aria-label').catch(() => null)) ?? '',
      );
      const text = norm(await item.innerText());
      const count = (re: RegExp): number => Number(re.exec(label)?.[1] ?? 0);
      let errors = count(/Errors?:\s*(\d+)/i);
      let warnings = count(/Warnings?:\s*(\d+)/i);
      let infos = count(/Infos?:\s*(\d+)/i);
      if (!/Errors?:|Warnings?:|Infos?:|No Problems/i.test(label)) {
        // Fall back on the visible numbers: errors, warnings[, infos].
        const nums = (text.match(/\d+/g) ?? []).map(Number);
        [errors = 0, warnings = 0, infos = 0] = nums;
      }
      return { errors, warnings, infos, total: errors + warnings + infos, label: label || text };
    },

    async waitForProblems(pred, timeoutMs = 20_000, what = 'the expected problems') {
      const deadline = Date.now() + timeoutMs;
      let last = await api.problemsCount();
      while (!pred(last)) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; status bar says ${JSON.stringify(last.label)}`);
        await sleep(200);
        last = await api.problemsCount();
      }
      return last;
    },

    gotoLine,

    async typeAt(line, column, text) {
      await gotoLine(line, column);
      await page.keyboard.type(text);
    },

    async insertLineAfter(line, text) {
      await gotoLine(typeof line === 'number' ? line : (await locateWord(line, line, 0)).lineNumber);
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      await page.keyboard.type(text);
    },

    async clickWord(word, o = {}) {
      await dismissWidgets();
      const r = await locateWord(word, o.line, o.occurrence ?? 0);
      await page.mouse.click(r.x + r.width / 2, r.y + r.height / 2);
    },

    async replaceWord(word, replacement, o = {}) {
      const r = await locateWord(word, o.line, o.occurrence ?? 0);
      // Go to the word's column, then select it with Shift+Right: exact whatever the word separators are.
      const lines = await visibleLines();
      const text = lines.find((l) => l.lineNumber === r.lineNumber)?.text ?? '';
      await gotoLine(r.lineNumber, columnOf(text, word, o.occurrence ?? 0) + 1);
      for (let i = 0; i < word.length; i++) await page.keyboard.press('Shift+ArrowRight');
      await page.keyboard.type(replacement);
    },

    readEditorLines: async () => {
      await focusEditor();
      const all = new Map<number, string>();
      for (const l of await visibleLines()) all.set(l.lineNumber, l.text);
      // Scroll through the file when it does not fit.
      const scrollable = editor().locator('.monaco-scrollable-element.editor-scrollable').first();
      const box = await scrollable.boundingBox();
      if (box) {
        let lastMax = -1;
        for (let i = 0; i < 200; i++) {
          const max = Math.max(...all.keys());
          if (max === lastMax) break;
          lastMax = max;
          await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
          await page.mouse.wheel(0, box.height * 0.8);
          await sleep(120);
          for (const l of await visibleLines()) all.set(l.lineNumber, l.text);
        }
        await page.mouse.wheel(0, -1e6);
      }
      return [...all.entries()].sort((a, b) => a[0] - b[0]).map(([lineNumber, text]) => ({ lineNumber, text }));
    },

    async readEditorText() {
      return (await api.readEditorLines()).map((l) => l.text).join('\n');
    },

    async inlayHints() {
      return await page.evaluate(([active, any]) => {
        const ed = document.querySelector(active) ?? document.querySelector(any);
        if (!ed) return [];
        const numbers = new Map<string, number>();
        for (const el of Array.from(ed.querySelectorAll<HTMLElement>('.margin-view-overlays > div'))) {
          const n = el.querySelector('.line-numbers');
          if (n && n.textContent) numbers.set(el.style.top, Number(n.textContent.trim()));
        }
        const out: { lineNumber: number; text: string }[] = [];
        for (const line of Array.from(ed.querySelectorAll<HTMLElement>('.view-lines > .view-line'))) {
          const lineNumber = numbers.get(line.style.top) ?? 0;
          // Hints are injected text: spans whose class names mention inlay hints. The label's parts may be
          // separate spans; group consecutive ones.
          let current: string[] = [];
          const flush = () => {
            const t = current.join('').replace(/\u00a0/g, ' ').trim();
            if (t) out.push({ lineNumber, text: t });
            current = [];
          };
          for (const span of Array.from(line.querySelectorAll<HTMLElement>('span'))) {
            if (span.children.length > 0) continue;
            if (/inlay|dyn-rule-/i.test(span.className)) current.push(span.textContent ?? '');
            else flush();
          }
          flush();
        }
        return out.sort((a, b) => a.lineNumber - b.lineNumber);
      }, [ACTIVE_EDITOR, ANY_EDITOR] as const);
    },

    async quickFix(titleSubstring, at) {
      if (at) {
        await api.clickWord(at.word, { line: at.line, occurrence: at.occurrence });
      } else {
        await focusEditor();
        await page.keyboard.press('F8');
        await sleep(300);
        await page.keyboard.press('Escape');
      }
      const menu = page.locator('.action-widget');
      const deadline = Date.now() + 15_000;
      let offered: string[] = [];
      for (;;) {
        await page.keyboard.press('Control+.');
        try {
          await menu.locator('.monaco-list-row').first().waitFor({ state: 'visible', timeout: 3_000 });
          offered = (await menu.locator('.monaco-list-row').allInnerTexts()).map((t) => norm(t).trim());
        } catch {
          offered = [];
        }
        const row = menu.locator('.monaco-list-row.action', { hasText: titleSubstring }).first();
        if ((await row.count()) > 0) {
          await row.click();
          await menu.waitFor({ state: 'hidden' }).catch(() => undefined);
          return offered;
        }
        await page.keyboard.press('Escape');
        if (Date.now() > deadline) {
          const hint = await page.locator('.monaco-editor .contentWidgets').innerText().catch(() => '');
          throw new Error(`no quick fix containing "${titleSubstring}"; offered: ${JSON.stringify(offered)}; widgets: ${JSON.stringify(norm(hint))}`);
        }
        await sleep(500);
      }
    },

    webview() {
      return page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
    },

    async webviewText(timeoutMs = 20_000) {
      const body = this.webview().locator('body');
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        try {
          last = norm(await body.innerText({ timeout: 2_000 }));
          if (last.trim()) return last;
        } catch {
          /* no webview (yet) */
        }
        await sleep(300);
      }
      return last;
    },

    async findText(text, { timeoutMs = 20_000, exclude } = {}) {
      const deadline = Date.now() + timeoutMs;
      // A place that shows `exclude` (say, the source file the command was run on) does not count.
      const counts = (t: string): boolean => t.includes(text) && (exclude === undefined || !t.includes(exclude));
      let seen: string[] = [];
      for (;;) {
        seen = [];
        const editors = await page.locator('.editor-instance .monaco-editor .view-lines').allInnerTexts().catch(() => [] as string[]);
        for (const t of editors.map(norm)) {
          seen.push(`editor: ${t.slice(0, 300)}`);
          if (counts(t)) return { where: 'editor' as const, text: t };
        }
        for (const frame of page.frames()) {
          // Webviews only: not the main page, nor the hidden frame that hosts web-worker extensions.
          if (frame === page.mainFrame() || /webWorkerExtensionHost/i.test(frame.url())) continue;
          const t = norm(await frame.locator('body').innerText({ timeout: 1_000 }).catch(() => ''));
          if (t) seen.push(`webview: ${t.slice(0, 300)}`);
          if (counts(t)) return { where: 'webview' as const, text: t };
        }
        const panel = norm(await page.locator('.part.panel').innerText({ timeout: 1_000 }).catch(() => ''));
        if (panel) seen.push(`panel: ${panel.slice(0, 300)}`);
        if (counts(panel)) return { where: 'panel' as const, text: panel };
        if (Date.now() > deadline) throw new Error(`nothing on screen shows ${JSON.stringify(text)} after ${timeoutMs} ms; shown:\n${seen.join('\n')}`);
        await sleep(300);
      }
    },

    async activeTabLabel() {
      const active = page.locator('.editor-group-container.active .tabs-container .tab.active');
      const tab = (await active.count()) > 0 ? active.first() : page.locator('.tabs-container .tab.active').first();
      return norm(await tab.innerText()).replace(/\s+/g, ' ').trim();
    },

    async notifications() {
      const messages = await page.locator('.notifications-toasts .notification-toast .notification-list-item-message').allInnerTexts().catch(() => [] as string[]);
      return messages.map((m) => norm(m).trim());
    },

    async waitForNotification(match, timeoutMs = 20_000) {
      const matches = (t: string): boolean => (typeof match === 'string' ? t.includes(match) : match.test(t));
      const deadline = Date.now() + timeoutMs;
      let seen: string[] = [];
      for (;;) {
        const items = page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item');
        const n = await items.count();
        seen = [];
        for (let i = 0; i < n; i++) {
          const item = items.nth(i);
          const message = norm(await item.locator('.notification-list-item-message').first().innerText({ timeout: 1_000 }).catch(() => '')).trim();
          if (!message) continue;
          seen.push(message);
          if (matches(message)) {
            const buttons = (await item.locator('.notification-list-item-buttons-container .monaco-button').allInnerTexts()).map((b) => norm(b).trim());
            return { message, buttons };
          }
        }
        if (Date.now() > deadline) throw new Error(`no notification matching ${String(match)} within ${timeoutMs} ms; notifications shown: ${JSON.stringify(seen)}`);
        await sleep(150);
      }
    },

    async clickNotificationButton(match, label) {
      await api.waitForNotification(match);
      const toast = page
        .locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item')
        .filter({ has: page.locator('.notification-list-item-message', { hasText: match }) })
        .first();
      // The buttons show while the pointer is over the toast.
      await toast.hover();
      await toast.locator('.notification-list-item-buttons-container .monaco-button', { hasText: label }).first().click();
    },

    async quickInput(timeoutMs = 15_000) {
      const widget = page.locator('.quick-input-widget');
      await widget.waitFor({ state: 'visible', timeout: timeoutMs });
      const title = norm(await widget.locator('.quick-input-title').innerText().catch(() => '')).trim();
      const value = await widget.locator('.quick-input-box input').first().inputValue();
      return { title, value };
    },

    logs() {
      const files = filesUnder(join(ud, 'logs')).filter((f) => /exthost|output|Stride|stride|remoteagent|server/i.test(f) && f.endsWith('.log'));
      const parts = files.map((f) => `--- ${f.slice(runDir.length + 1)}\n${readFileSync(f, 'utf8').slice(-6000)}`);
      const serverLog = join(runDir, 'code-server.log');
      if (existsSync(serverLog)) parts.unshift(`--- code-server.log\n${readFileSync(serverLog, 'utf8').slice(-4000)}`);
      return parts.join('\n');
    },
  };
  return api;
}

/** 0-based column of occurrence `occurrence` of `word` (as a whole word when it is one) in `text`. */
function columnOf(text: string, word: string, occurrence: number): number {
  const isWordChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);
  let from = 0;
  let seen = 0;
  for (;;) {
    const at = text.indexOf(word, from);
    if (at < 0) throw new Error(`"${word}" not in ${JSON.stringify(text)}`);
    from = at + 1;
    if (isWordChar(word[0]) && isWordChar(text[at - 1])) continue;
    if (isWordChar(word[word.length - 1]) && isWordChar(text[at + word.length])) continue;
    if (seen++ === occurrence) return at;
  }
}

