/**
 * The graph editor's real bundle (dist/webview/webview.js) in headless Chromium, in the page graphEditorHtml writes,
 * served from 127.0.0.1 so that its Content Security Policy and script loading are those of a webview. The
 * page gets an `acquireVsCodeApi` stub that records what the webview posts and keeps its state, and a dark
 * theme's variables as VS Code sets them. Shared by test/webview.test.ts and bench/webview.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { analyze } from '../../language/analysis/analyze.js';
import { buildGraph, type GraphModel } from '../../language/views/graph.js';
import { palette } from '../../language/edits/palette.js';
import { graphEditorHtml } from '../../webview/graph-html.js';
import type { HostToWebview, WebviewToHost } from '../../webview/protocol.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

/** Why the webview tests cannot run here, or undefined when they can. */
export function webviewSkipReason(): string | undefined {
  if (process.env.STRIDE_E2E === '0') return 'STRIDE_E2E=0: browser tests are switched off';
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing: install Debian's chromium to run the webview tests`;
  if (!existsSync(join(ROOT, 'dist', 'webview', 'webview.js'))) return 'dist/webview/webview.js is missing: run `npm run build` first';
  return undefined;
}

/** VS Code's Dark Modern colours for the variables the editor and its web components read. */
export const DARK_THEME: Record<string, string> = {
  '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-font-weight': 'normal',
  '--vscode-editor-font-family': '"DejaVu Sans Mono", "Droid Sans Mono", monospace',
  '--vscode-editor-font-size': '14px',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-editor-foreground': '#cccccc',
  '--vscode-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-focusBorder': '#0078d4',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-editorWidget-background': '#202020',
  '--vscode-editorWidget-border': '#454545',
  '--vscode-editorLineNumber-foreground': '#6e7681',
  '--vscode-editorCursor-foreground': '#aeafad',
  '--vscode-editor-lineHighlightBackground': '#2a2d2e',
  '--vscode-editor-findMatchBorder': '#d18616',
  '--vscode-editor-findMatchHighlightBackground': '#ea5c0033',
  '--vscode-errorForeground': '#f85149',
  '--vscode-editorWarning-foreground': '#cca700',
  '--vscode-charts-foreground': '#cccccc',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-list-hoverBackground': '#2a2d2e',
  '--vscode-sideBar-background': '#181818',
  '--vscode-sideBarSectionHeader-background': '#181818',
  '--vscode-sideBarTitle-foreground': '#cccccc',
  '--vscode-icon-foreground': '#cccccc',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-border': '#ffffff12',
  '--vscode-button-hoverBackground': '#026ec1',
  '--vscode-button-secondaryBackground': '#313131',
  '--vscode-button-secondaryForeground': '#cccccc',
  '--vscode-button-secondaryHoverBackground': '#3c3c3c',
  '--vscode-button-separator': '#ffffff66',
  '--vscode-input-background': '#313131',
  '--vscode-input-foreground': '#cccccc',
  '--vscode-input-border': '#3c3c3c',
  '--vscode-input-placeholderForeground': '#989898',
  '--vscode-settings-textInputBackground': '#313131',
  '--vscode-settings-textInputForeground': '#cccccc',
  '--vscode-settings-textInputBorder': '#3c3c3c',
  '--vscode-settings-checkboxBackground': '#313131',
  '--vscode-settings-checkboxBorder': '#3c3c3c',
  '--vscode-settings-checkboxForeground': '#cccccc',
  '--vscode-settings-dropdownBackground': '#313131',
  '--vscode-settings-dropdownBorder': '#3c3c3c',
  '--vscode-settings-dropdownForeground': '#cccccc',
  '--vscode-settings-dropdownListBorder': '#454545',
  '--vscode-dropdown-background': '#313131',
  '--vscode-dropdown-border': '#3c3c3c',
  '--vscode-dropdown-foreground': '#cccccc',
  '--vscode-dropdown-listBackground': '#1f1f1f',
  '--vscode-checkbox-background': '#313131',
  '--vscode-checkbox-border': '#3c3c3c',
  '--vscode-checkbox-foreground': '#cccccc',
  '--vscode-list-activeSelectionBackground': '#04395e',
  '--vscode-list-activeSelectionForeground': '#ffffff',
  '--vscode-list-focusOutline': '#0078d4',
  '--vscode-inputValidation-errorBackground': '#5a1d1d',
  '--vscode-inputValidation-errorBorder': '#be1100',
  '--vscode-gitDecoration-addedResourceForeground': '#81b88b',
  '--vscode-gitDecoration-modifiedResourceForeground': '#e2c08d',
  '--vscode-gitDecoration-deletedResourceForeground': '#c74e39',
};

/** Serves the page and dist/; the page's policy names this server's origin as the webview's resource origin. */
export async function startServer(): Promise<{ origin: string; close: () => Promise<void> }> {
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') {
      const html = graphEditorHtml({ scriptUri: `${origin}/dist/webview/webview.js`, styleUri: `${origin}/dist/webview/webview.css`, cspSource: origin, nonce: 'dGVzdC1ub25jZQ==', title: 'test' });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    const m = /^\/dist\/webview\/(webview\.(?:js|css)(?:\.map)?)$/.exec(path);
    if (m) {
      const type = m[1].endsWith('.js') ? 'text/javascript' : m[1].endsWith('.css') ? 'text/css' : 'application/json';
      res.writeHead(200, { 'content-type': type }).end(readFileSync(join(ROOT, 'dist', 'webview', m[1])));
      return;
    }
    // No favicon: a webview asks for none.
    res.writeHead(path === '/favicon.ico' ? 204 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * The stub VS Code would provide, and a dark theme as VS Code sets it (variables on <html>). A string, not a
 * function: under tsx, functions carry helpers that do not exist in the page.
 */
function initScript(theme: Record<string, string>, state: unknown): string {
  return `(() => {
  window.__posted = [];
  window.__state = ${JSON.stringify(state)};
  window.__csp = [];
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => void window.__posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => window.__state,
    setState: (s) => void (window.__state = JSON.parse(JSON.stringify(s))),
  });
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ': ' + e.blockedURI));
  const theme = ${JSON.stringify(theme)};
  const apply = () => {
    for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v);
    document.body.classList.add('vscode-dark');
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', apply);
  else apply();
})();`;
}

export interface WebviewPage {
  page: Page;
  /** Console errors, page errors and policy violations seen so far. */
  problems: string[];
  /** Everything the webview posted, in order. */
  posted(): Promise<WebviewToHost[]>;
  clearPosted(): Promise<void>;
  /** Posts a message to the webview as VS Code does (a `message` event on its window). */
  send(m: HostToWebview): Promise<void>;
  /** Sends a `graph` message and waits until that version is drawn; returns the webview's renderMs. */
  showGraph(model: GraphModel, version: number, select?: number): Promise<number>;
  savedState(): Promise<unknown>;
}

export async function openWebview(browser: Browser, origin: string, o: { width?: number; height?: number; state?: unknown } = {}): Promise<WebviewPage> {
  const page = await browser.newPage({ viewport: { width: o.width ?? 1280, height: o.height ?? 800 } });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy|Refused to/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript({ content: initScript(DARK_THEME, o.state ?? null) });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  const pal = palette();
  const wp: WebviewPage = {
    page,
    problems,
    posted: () => page.evaluate(() => (window as unknown as { __posted: WebviewToHost[] }).__posted),
    clearPosted: () => page.evaluate(() => void ((window as unknown as { __posted: unknown[] }).__posted = [])),
    send: (m) => page.evaluate((msg) => window.postMessage(msg, '*'), m),
    async showGraph(model, version, select) {
      await wp.send({ type: 'graph', version, model, palette: pal, ...(select !== undefined ? { select } : {}) });
      await page.waitForFunction((v) => document.body.dataset.renderedVersion === String(v), version, { timeout: 20_000 });
      return Number(await page.evaluate(() => document.body.dataset.renderMs));
    },
    savedState: () => page.evaluate(() => (window as unknown as { __state: unknown }).__state),
  };
  return wp;
}

/** The diagram of a file's text, as the host sends it. */
export function modelOf(text: string): GraphModel {
  return buildGraph(analyze(text));
}

export function example(name: string): string {
  return readFileSync(join(ROOT, 'examples', name), 'utf8');
}

/** Everything the policy or the page complained about, beyond what `allowed` accepts. */
export async function pageProblems(wp: WebviewPage): Promise<string[]> {
  const csp = await wp.page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
  return [...wp.problems, ...csp.map((c) => `policy violation: ${c}`)];
}
