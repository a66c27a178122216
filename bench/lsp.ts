import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ANALYSIS_NODE_FLAGS } from '../runtime/node-flags.js';
import { ROOT } from '../test/lib/cli.js';
import { LspClient } from '../test/lib/lsp.js';
import { figure, note, quantile, target, type Language } from './lib.js';
import { deepNetwork } from './networks.js';

/** The editor's costs, measured through a real JSON-RPC client against `dist/server.js`. */

interface AsyncBenchmark {
  name: string;
  run: (language: Language) => Promise<void>;
  nodeFlags?: readonly string[];
}

async function timed(iterations: number, warmup: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p95: quantile(samples, 0.95) };
}

/** Hover and inlay hints on ResNet-50: each a request and its answer over stdio. */
async function roundTrips(): Promise<void> {
  const lsp = await LspClient.start({ flags: [...ANALYSIS_NODE_FLAGS] });
  try {
    const text = readFileSync(join(ROOT, 'examples/resnet50.stride'), 'utf8');
    const uri = 'file:///bench/resnet50.stride';
    await lsp.open(uri, text);
    const lines = text.split('\n');
    // A layer inside a block (expanded 16 times) and one in the network body.
    const positions = ['conv c 3x3', 'BottleneckDown 128'].map((needle) => {
      const line = lines.findIndex((l) => l.includes(needle));
      return { line, character: lines[line].indexOf(needle) + 1 };
    });
    let i = 0;
    const hover = await timed(300, 50, () => lsp.request('textDocument/hover', { textDocument: { uri }, position: positions[i++ % positions.length] }));
    const range = { start: { line: 0, character: 0 }, end: { line: lines.length, character: 0 } };
    const hints = await timed(300, 50, () => lsp.request('textDocument/inlayHint', { textDocument: { uri }, range }));
    note(`ResNet-50: ${lines.length} lines; hover on a block layer and a block call, inlay hints for the whole file`);
    figure('lsp-hover-resnet50-p50', hover.p50, 'ms');
    figure('lsp-hover-resnet50-p95', hover.p95, 'ms');
    target('lsp-hover-resnet50-p95', hover.p95, '<', 5, 'ms');
    figure('lsp-inlay-hints-resnet50-p50', hints.p50, 'ms');
    figure('lsp-inlay-hints-resnet50-p95', hints.p95, 'ms');
    target('lsp-inlay-hints-resnet50-p95', hints.p95, '<', 5, 'ms');
  } finally {
    await lsp.stop();
  }
}

/** From a one-line edit sent to the diagnostics of the new version arriving, in a 1,000-layer file. */
async function diagnosticsAfterEdit(): Promise<void> {
  const lsp = await LspClient.start({ flags: [...ANALYSIS_NODE_FLAGS] });
  try {
    const text = deepNetwork(1_000);
    const uri = 'file:///bench/deep1k.stride';
    await lsp.open(uri, text);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('# stretch 0'));
    let version = 1;
    // Alternate a comment's last character: every version differs and is analysed in full.
    const edit = () => {
      version++;
      const ch = version % 2 ? 'x' : 'y';
      const at = { line, character: lines[line].length };
      return lsp.change(uri, version, [{ range: { start: at, end: { line, character: at.character + (version > 2 ? 1 : 0) } }, text: ch }]);
    };
    const s = await timed(100, 20, edit);
    note(`1k-layer file: ${lines.length} lines; edit → publishDiagnostics of that version`);
    figure('lsp-diagnostics-after-edit-1k-p50', s.p50, 'ms');
    figure('lsp-diagnostics-after-edit-1k-p95', s.p95, 'ms');
    target('lsp-diagnostics-after-edit-1k-p95', s.p95, '<', 30, 'ms');
  } finally {
    await lsp.stop();
  }
}

/**
 * One edit of a 10,000-layer file, after a pause (a user's single change, not typing), to its diagnostics,
 * against the analysis of the same text in this process (under the server's V8 settings), interleaved.
 */
async function singleEditLarge({ analyze }: Language): Promise<void> {
  const lsp = await LspClient.start({ flags: [...ANALYSIS_NODE_FLAGS] });
  try {
    const text = deepNetwork(10_000);
    const uri = 'file:///bench/deep10k.stride';
    await lsp.open(uri, text);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('# stretch 0'));
    let version = 1;
    const edits: number[] = [];
    const analyses: number[] = [];
    for (let i = 0; i < 26; i++) {
      version++;
      const at = { line, character: lines[line].length };
      const t0 = performance.now();
      await lsp.change(uri, version, [{ range: { start: at, end: { line, character: at.character + (version > 2 ? 1 : 0) } }, text: version % 2 ? 'x' : 'y' }]);
      const edit = performance.now() - t0;
      const t1 = performance.now();
      analyze(text);
      const analysis = performance.now() - t1;
      if (i >= 6) edits.push(edit), analyses.push(analysis);
      // The pause of a user between two edits: longer than the server's wait for typing to stop.
      await new Promise((r) => setTimeout(r, 250));
    }
    edits.sort((a, b) => a - b);
    analyses.sort((a, b) => a - b);
    const ratio = quantile(edits, 0.5) / quantile(analyses, 0.5);
    note(`10k-layer file: one edit after a pause → publishDiagnostics of that version; analysis alone, interleaved`);
    figure('lsp-diagnostics-after-edit-10k-p50', quantile(edits, 0.5), 'ms');
    figure('analyse-10k-in-bench-p50', quantile(analyses, 0.5), 'ms');
    figure('lsp-diagnostics-over-analysis-10k', ratio, 'x');
    target('lsp-diagnostics-over-analysis-10k', ratio, '<=', 1.5, 'x');
  } finally {
    await lsp.stop();
  }
}

/** The platform VSIX `npm run package` builds: bundles only, no node_modules. */
async function vsixSize(): Promise<void> {
  const out = join(ROOT, 'dist', 'stride-linux-x64.vsix');
  execFileSync('npm', ['run', '-s', 'package'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  figure('vsix-size', statSync(out).size / 1024, 'KiB');
  // The package step minifies dist/; put the development build back for the tests.
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

export const lspBenchmarks: AsyncBenchmark[] = [
  { name: 'lsp-round-trips', run: roundTrips },
  { name: 'lsp-diagnostics-1k', run: diagnosticsAfterEdit },
  { name: 'lsp-diagnostics-10k', run: singleEditLarge, nodeFlags: ANALYSIS_NODE_FLAGS },
  { name: 'vsix-size', run: vsixSize },
];
