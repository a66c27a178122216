import { randomBytes } from 'node:crypto';
import { PNG } from 'pngjs';
import * as vscode from 'vscode';
import { formatBytes, formatCount } from '../language/base/format.js';
import type { FeatureMap } from '../runtime/run-protocol.js';
import type { RunReport } from '../runtime/run-report.js';
import type { WebviewToHost } from '../webview/protocol.js';

/** The results of Stride: Run Network: the report, time per layer, and the conv layers' feature maps. */
export class RunPanel {
  private static current: RunPanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private source: vscode.Uri;

  private constructor(source: vscode.Uri) {
    this.source = source;
    this.panel = vscode.window.createWebviewPanel('stride.run', 'Stride run', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
    this.panel.onDidDispose(() => (RunPanel.current = undefined));
    this.panel.webview.onDidReceiveMessage((m: WebviewToHost) => {
      if (m.type === 'reveal') void this.reveal(m.line);
    });
  }

  static show(source: vscode.Uri, report: RunReport, maps: FeatureMap[]): void {
    const panel = (RunPanel.current ??= new RunPanel(source));
    panel.source = source;
    panel.panel.title = `Run: ${report.network}`;
    panel.panel.webview.html = html(report, maps, randomBytes(16).toString("base64"));
    panel.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  private async reveal(line: number): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(this.source);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
    const at = new vscode.Position(Math.max(0, line), 0);
    editor.selection = new vscode.Selection(at, at);
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
  }
}

/** Past this many layers the time per layer scrolls in its own box, so that the feature maps stay near. */
const LONG_LIST = 30;

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function ms(v: number): string {
  return v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
}

/** A feature map's channels side by side as one grey PNG, as a data URL. */
function grid(m: FeatureMap): string {
  const cols = Math.min(m.channels, 8);
  const rows = Math.ceil(m.channels / cols);
  const gap = 1;
  const width = cols * (m.width + gap) - gap;
  const height = rows * (m.height + gap) - gap;
  const png = new PNG({ width, height });
  png.data.fill(255);
  for (let k = 0; k < m.channels; k++) {
    const ox = (k % cols) * (m.width + gap);
    const oy = Math.floor(k / cols) * (m.height + gap);
    for (let y = 0; y < m.height; y++)
      for (let x = 0; x < m.width; x++) {
        const v = m.pixels[(k * m.height + y) * m.width + x];
        const i = ((oy + y) * width + ox + x) * 4;
        png.data[i] = png.data[i + 1] = png.data[i + 2] = v;
      }
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

function html(r: RunReport, maps: FeatureMap[], nonce: string): string {
  const o = r.output;
  const t = r.timings;
  const rows: [string, string][] = [
    ['provider', `<b>${r.provider.toUpperCase()}</b> — ${esc(r.reason)}`],
    ['input', `${esc(r.input.source)}, ${r.input.shape.join('×')}`],
    ['output', `<span id="output-shape">${o.shape.join('×')}</span> (${esc(o.name)}): min ${o.min.toPrecision(4)}, max ${o.max.toPrecision(4)}, mean ${o.mean.toPrecision(4)}, std ${o.std.toPrecision(4)}`],
    ...(r.top5 ? [['top-5', r.top5.map((c) => `#${c.index} ${(100 * c.probability).toFixed(1)}%`).join(', ')] as [string, string]] : []),
    ['latency', `<span id="latency">p50 ${ms(t.p50Ms)}</span> · p90 ${ms(t.p90Ms)} over ${formatCount(t.iterations)} runs · first run ${ms(t.firstRunMs)} · session ${ms(t.sessionMs)} · ${t.throughput.toFixed(1)} samples/s`],
    ['memory', `peak ${formatBytes(r.peakMemory)}`],
  ];
  const layers = r.layers ?? [];
  const longest = Math.max(...layers.map((l) => l.ms), 1e-9);
  const bars = layers
    .map((l) => `<div class="bar" data-line="${l.line}" title="line ${l.line}: ${esc(l.name)}"><span class="name">${esc(l.name)}</span><span class="track"><span class="fill" data-width="${((100 * l.ms) / longest).toFixed(1)}"></span></span><span class="ms">${ms(l.ms)}</span></div>`)
    .join('');
  const figures = maps.map((m) => `<figure data-line="${m.line}"><img alt="${esc(m.layer)}" src="${grid(m)}"><figcaption>${esc(m.layer)} · line ${m.line} · ${m.channels} of its channels, ${m.height}×${m.width}</figcaption></figure>`).join('');
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 12px; }
table { border-collapse: collapse; } td { padding: 2px 12px 2px 0; vertical-align: top; } td:first-child { color: var(--vscode-descriptionForeground); }
.bar { display: grid; grid-template-columns: 16em 1fr 6em; gap: 8px; cursor: pointer; padding: 1px 0; }
.bar:hover { background: var(--vscode-list-hoverBackground); }
.track { background: var(--vscode-editorWidget-background); } .fill { display: block; height: 100%; background: var(--vscode-charts-blue); }
.ms { text-align: right; font-variant-numeric: tabular-nums; } .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.layers.long { max-height: 24em; overflow-y: auto; padding-right: 4px; border-bottom: 1px solid var(--vscode-panel-border); }
.maps { display: flex; flex-wrap: wrap; gap: 4px 16px; }
figure { margin: 8px 0; cursor: pointer; } figure img { display: block; image-rendering: pixelated; height: 120px; }
figcaption { color: var(--vscode-descriptionForeground); }
</style></head><body>
<h2>${esc(r.network)}</h2>
<table>${rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('')}</table>
${layers.length ? `<h3>Time per layer</h3><p>Mean per run, graph optimisations off while profiling; click a bar to see its line.</p><div class="layers${layers.length > LONG_LIST ? ' long' : ''}">${bars}</div>` : ''}
${maps.length ? `<h3>Feature maps</h3><p>${maps.length === 1 ? "The conv layer's output" : `The ${maps.length} conv layers' outputs`} for the input above, each channel scaled to its own range; click one to see its line.</p><div class="maps">${figures}</div>` : ''}
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
// Widths are set here: the page's policy allows no inline style attributes.
for (const el of document.querySelectorAll('[data-width]')) el.style.width = el.dataset.width + '%';
for (const el of document.querySelectorAll('[data-line]')) el.addEventListener('click', () => vscode.postMessage({ type: 'reveal', line: Number(el.dataset.line) - 1 }));
vscode.postMessage({ type: 'ready' });
</script></body></html>`;
}
