import { randomBytes } from 'node:crypto';
import { PNG } from 'pngjs';
import * as vscode from 'vscode';
import { showLine } from './reveal.js';
import { formatBytes, formatCount } from '../language/base/format.js';
import type { FeatureMap } from '../runtime/run-protocol.js';
import { layerTotals, NOT_IN_A_BLOCK, type RunReport, type TimeGroup } from '../runtime/run-report.js';
import type { RunPanelAction, WebviewToHost } from '../webview/protocol.js';
import { esc } from '../webview/page-html.js';

/** What a run of one network reads besides its text: remembered per network, changed from the panel. */
export interface RunSettings {
  /** An image or a .npy array; undefined: the seeded random input. */
  input?: string;
  /** A .safetensors file or an .onnx model; undefined: the seeded initialisation. */
  weights?: string;
  batch: number;
}

/** What the panel asks of the extension. */
export interface RunPanelHost {
  rerun(settings: RunSettings): void;
  setUpGpu(): void;
  useCpu(): void;
  copyDetails(text: string): void;
}

/** The results of Stride: Run Network: the report, time per layer, and the conv layers' feature maps. */
export class RunPanel {
  private static current: RunPanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private source: vscode.Uri;
  private settings: RunSettings = { batch: 1 };
  private report: RunReport | undefined;
  private host: RunPanelHost | undefined;

  private constructor(source: vscode.Uri) {
    this.source = source;
    this.panel = vscode.window.createWebviewPanel('stride.run', 'Stride run', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
    this.panel.onDidDispose(() => (RunPanel.current = undefined));
    this.panel.webview.onDidReceiveMessage((m: WebviewToHost) => {
      if (m.type === 'reveal') void showLine(this.source, m.line);
      if (m.type === 'run') void this.act(m.action, m.batch);
    });
  }

  static show(source: vscode.Uri, report: RunReport, maps: FeatureMap[], settings: RunSettings, host: RunPanelHost): void {
    const panel = (RunPanel.current ??= new RunPanel(source));
    panel.source = source;
    panel.settings = settings;
    panel.report = report;
    panel.host = host;
    panel.panel.title = `Run: ${report.network}`;
    panel.panel.webview.html = html(report, maps, settings, randomBytes(16).toString('base64'));
    panel.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  private async act(action: RunPanelAction, batch?: number): Promise<void> {
    const host = this.host;
    if (!host) return;
    const settings = { ...this.settings, batch: batch !== undefined && Number.isInteger(batch) && batch >= 1 ? batch : this.settings.batch };
    const near = vscode.Uri.joinPath(this.source, '..');
    switch (action) {
      case 'rerun':
        return host.rerun(settings);
      case 'chooseInput': {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, defaultUri: settings.input ? vscode.Uri.file(settings.input) : near, filters: { 'Image or NumPy array': ['png', 'jpg', 'jpeg', 'npy'] }, openLabel: 'Use as input', title: `The input for ${this.report?.network ?? 'the network'}` });
        if (picked?.[0]) host.rerun({ ...settings, input: picked[0].fsPath });
        return;
      }
      case 'randomInput':
        return host.rerun({ ...settings, input: undefined });
      case 'chooseWeights': {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, defaultUri: settings.weights ? vscode.Uri.file(settings.weights) : near, filters: { 'Weights (.safetensors, .onnx)': ['safetensors', 'onnx'] }, openLabel: 'Load weights', title: `Weights for ${this.report?.network ?? 'the network'}` });
        if (picked?.[0]) host.rerun({ ...settings, weights: picked[0].fsPath });
        return;
      }
      case 'randomWeights':
        return host.rerun({ ...settings, weights: undefined });
      case 'setUpGpu':
        return host.setUpGpu();
      case 'useCpu':
        return host.useCpu();
      case 'copyDetails':
        return host.copyDetails(this.report ? `Stride ran ${this.report.network} on the ${this.report.provider.toUpperCase()}: ${this.report.reason}` : '');
    }
  }
}

/** Past this many layers the time per layer scrolls in its own box, so that the feature maps stay near. */
const LONG_LIST = 30;

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

/** The name of a file as the panel shows it: its base name, the whole path in its tooltip. */
function fileName(p: string): string {
  return `<code title="${esc(p)}">${esc(p.split(/[\\/]/).pop() ?? p)}</code>`;
}

function button(action: RunPanelAction, label: string, primary = false): string {
  return `<button class="${primary ? 'primary' : 'secondary'}" data-action="${action}">${esc(label)}</button>`;
}

/** A row of the time list: a name, its bar (none for a time that shows as 0.00 ms), the time and its share. */
function timeRow(label: string, title: string, value: number, longest: number, total: number, order: number, line?: number): string {
  const drawn = value >= 0.005;
  const fill = drawn ? `<span class="fill" data-width="${((100 * value) / longest).toFixed(1)}"></span>` : '';
  const share = total > 0 ? (100 * value) / total : 0;
  return `<div class="bar${line === undefined ? ' group' : ''}" data-order="${order}" data-ms="${value}"${line === undefined ? '' : ` data-line="${line}"`} title="${esc(title)}"><span class="name">${label}</span><span class="track${drawn ? '' : ' empty'}">${fill}</span><span class="ms">${ms(value)}</span><span class="pct">${share.toFixed(1)}%</span></div>`;
}

function groupRows(groups: TimeGroup[], total: number, what: (g: TimeGroup) => string): string {
  const longest = Math.max(...groups.map((g) => g.ms), 1e-9);
  return groups.map((g, i) => timeRow(`${esc(what(g))} <span class="count">× ${g.layers}</span>`, `${what(g)}: ${g.layers} layer${g.layers === 1 ? '' : 's'}`, g.ms, longest, total, i)).join('');
}

function timeList(r: RunReport): string {
  const layers = r.layers ?? [];
  if (!layers.length) return '';
  const { total, byOp, byBlock } = layerTotals(layers);
  const longest = Math.max(...layers.map((l) => l.ms), 1e-9);
  const label = (l: (typeof layers)[number]) => `${esc(l.name)}${l.fusedInto ? ` <span class="count">in ${esc(l.fusedInto)}</span>` : l.fused ? ` <span class="count">+ ${l.fused.length} fused</span>` : ''}`;
  const title = (l: (typeof layers)[number]) => `line ${l.line}: ${l.name} (${l.op})${l.fusedInto ? `, run inside ${l.fusedInto}'s kernel` : l.fused ? `, its kernel also runs ${l.fused.join(', ')}` : ''}`;
  const rows = layers.map((l, i) => timeRow(label(l), title(l), l.ms, longest, total, i, l.line)).join('');
  const blocks = byBlock.some((g) => g.key !== NOT_IN_A_BLOCK);
  const tab = (view: string, label: string) => `<button class="tab" data-view="${view}">${label}</button>`;
  const sort = (by: string, label: string) => `<button class="tab" data-sort="${by}">${label}</button>`;
  const box = (view: string, count: number, rows: string) => `<div class="times${count > LONG_LIST ? ' long' : ''}${view === 'layers' ? '' : ' hidden'}" data-group="${view}">${rows}</div>`;
  return `<h3>Time per layer</h3>
<p id="time-total">${ms(total)} per run over ${formatCount(layers.length)} layers (mean per run of the optimised graph's kernels; a fused layer's time is on the layer whose kernel ran it). Click a layer to see its line.</p>
<div class="tabs">${tab('layers', 'Layers')}${tab('op', 'Per op')}${blocks ? tab('block', 'Per block') : ''}<span class="sep">sort</span>${sort('time', 'Slowest first')}${sort('order', 'In order')}</div>
${box('layers', layers.length, rows)}
${box('op', byOp.length, groupRows(byOp, total, (g) => g.key))}
${blocks ? box('block', byBlock.length, groupRows(byBlock, total, (g) => (g.key === NOT_IN_A_BLOCK ? 'not in a block' : g.key))) : ''}
<div class="bar total"><span class="name">total</span><span class="track empty"></span><span class="ms">${ms(total)}</span><span class="pct">100%</span></div>`;
}

function html(r: RunReport, maps: FeatureMap[], settings: RunSettings, nonce: string): string {
  const o = r.output;
  const t = r.timings;
  const provider = r.reason === 'as requested' ? `<b>${r.provider.toUpperCase()}</b>, as requested` : r.cudaProblem ? `<b>CPU</b> — CUDA did not load: ${esc(r.cudaProblem)}` : `<b>${r.provider.toUpperCase()}</b> — ${esc(r.reason)}`;
  const rows: [string, string][] = [
    ['provider', `<span id="provider">${provider}</span>`],
    ['input', `${esc(r.input.source)}, ${r.input.shape.join('×')}`],
    ['weights', r.weights ? fileName(r.weights) : 'random (seeded He initialisation)'],
    ['output', `<span id="output-shape">${o.shape.join('×')}</span> (${esc(o.name)}): min ${o.min.toPrecision(4)}, max ${o.max.toPrecision(4)}, mean ${o.mean.toPrecision(4)}, std ${o.std.toPrecision(4)}`],
    ...(r.top5 ? [['top-5', r.top5.map((c) => `#${c.index} ${(100 * c.probability).toFixed(1)}%`).join(', ')] as [string, string]] : []),
    ['latency', `<span id="latency">p50 ${ms(t.p50Ms)}</span> · p90 ${ms(t.p90Ms)} over ${formatCount(t.iterations)} runs · first run ${ms(t.firstRunMs)} · session ${ms(t.sessionMs)} · ${t.throughput.toFixed(1)} samples/s`],
    ['memory', `peak ${formatBytes(r.peakMemory)}`],
  ];
  const controls = `<div class="controls">
<span class="label">input</span><span>${settings.input ? fileName(settings.input) : 'random (seed 0)'}</span><span>${button('chooseInput', 'Choose image or .npy…')}${settings.input ? button('randomInput', 'Use random') : ''}</span>
<span class="label">weights</span><span>${settings.weights ? fileName(settings.weights) : 'random'}</span><span>${button('chooseWeights', 'Load weights…')}${settings.weights ? button('randomWeights', 'Use random') : ''}</span>
<span class="label">batch</span><span><input id="batch" type="number" min="1" step="1" value="${settings.batch}"></span><span>${button('rerun', 'Run again', true)}</span>
</div>`;
  const cuda = r.cudaProblem
    ? `<div class="notice" id="cuda-notice"><p>Ran on the CPU: ONNX Runtime's CUDA execution provider did not load (${esc(r.cudaProblem)}). Set Up GPU checks this machine for a GPU and the CUDA 12 and cuDNN 9 libraries, and downloads the provider libraries.</p>${button('setUpGpu', 'Set Up GPU', true)}${button('useCpu', 'Use CPU')}${button('copyDetails', 'Copy details')}</div>`
    : '';
  const noise = r.weights ? '' : `<div class="notice" id="random-weights"><p>The weights are random (seeded He initialisation): the output and the feature maps below are noise, not anything learned. They show shapes and timings; load trained weights (.safetensors, or an .onnx model with the same layers) to see what the network sees.</p>${button('chooseWeights', 'Load weights…', true)}</div>`;
  const figures = maps.map((m) => `<figure data-line="${m.line}"><img alt="${esc(m.layer)}" src="${grid(m)}"><figcaption>${esc(m.layer)} · line ${m.line} · ${m.channels} of its channels, ${m.height}×${m.width}</figcaption></figure>`).join('');
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 12px; }
table { border-collapse: collapse; } td { padding: 2px 12px 2px 0; vertical-align: top; } td:first-child { color: var(--vscode-descriptionForeground); }
button { font: inherit; border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 2px 10px; margin: 2px 6px 2px 0; cursor: pointer; }
button.primary { background: var(--vscode-button-background); color: var(--vscode-button-foreground); } button.primary:hover { background: var(--vscode-button-hoverBackground); }
button.secondary { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); } button.secondary:hover { background: var(--vscode-button-secondaryHoverBackground); }
button.tab { background: none; border: none; color: var(--vscode-textLink-foreground); padding: 0 6px; } button.tab.on { color: var(--vscode-foreground); font-weight: 600; text-decoration: underline; }
input[type=number] { width: 5em; font: inherit; background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); padding: 2px 4px; }
.controls { display: grid; grid-template-columns: auto auto 1fr; gap: 2px 12px; align-items: center; margin: 8px 0; } .controls .label { color: var(--vscode-descriptionForeground); }
.notice { border-left: 3px solid var(--vscode-editorWarning-foreground); background: var(--vscode-textBlockQuote-background); padding: 4px 10px 6px; margin: 8px 0; } .notice p { margin: 4px 0; }
.tabs { margin: 4px 0; } .tabs .sep { color: var(--vscode-descriptionForeground); margin: 0 4px 0 12px; }
.bar { display: grid; grid-template-columns: 16em 1fr 6em 4em; gap: 8px; cursor: pointer; padding: 1px 0; } .bar.group, .bar.total { cursor: default; } .bar.total { font-weight: 600; border-top: 1px solid var(--vscode-panel-border); margin-top: 2px; }
.bar:hover { background: var(--vscode-list-hoverBackground); }
.track { background: var(--vscode-editorWidget-background); } .track.empty { background: none; } .fill { display: block; height: 100%; background: var(--vscode-charts-blue); }
.ms, .pct { text-align: right; font-variant-numeric: tabular-nums; } .pct { color: var(--vscode-descriptionForeground); } .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; } .count { color: var(--vscode-descriptionForeground); }
.times.long { max-height: 24em; overflow-y: auto; padding-right: 4px; border-bottom: 1px solid var(--vscode-panel-border); } .hidden { display: none; }
.maps { display: flex; flex-wrap: wrap; gap: 4px 16px; }
figure { margin: 8px 0; cursor: pointer; } figure img { display: block; image-rendering: pixelated; height: 120px; }
figcaption { color: var(--vscode-descriptionForeground); }
</style></head><body>
<h2>${esc(r.network)}</h2>
${controls}
${cuda}
<table>${rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('')}</table>
${timeList(r)}
${maps.length ? `<h3>Feature maps</h3>${noise}<p>${maps.length === 1 ? "The conv layer's output" : `The ${maps.length} conv layers' outputs`} for the input above, each channel scaled to its own range; click one to see its line.</p><div class="maps">${figures}</div>` : noise}
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
// Widths are set here: the page's policy allows no inline style attributes.
for (const el of document.querySelectorAll('[data-width]')) el.style.width = el.dataset.width + '%';
for (const el of document.querySelectorAll('[data-line]')) el.addEventListener('click', () => vscode.postMessage({ type: 'reveal', line: Number(el.dataset.line) - 1 }));
const batch = document.getElementById('batch');
for (const el of document.querySelectorAll('[data-action]')) el.addEventListener('click', () => vscode.postMessage({ type: 'run', action: el.dataset.action, batch: Number(batch.value) }));
batch.addEventListener('keydown', (e) => { if (e.key === 'Enter') vscode.postMessage({ type: 'run', action: 'rerun', batch: Number(batch.value) }); });
// The view and the order of the time list outlive a re-run.
const state = Object.assign({ view: 'layers', sort: 'time' }, vscode.getState());
function show() {
  for (const box of document.querySelectorAll('.times')) {
    box.classList.toggle('hidden', box.dataset.group !== state.view);
    const rows = [...box.children];
    rows.sort((a, b) => state.sort === 'time' ? Number(b.dataset.ms) - Number(a.dataset.ms) || Number(a.dataset.order) - Number(b.dataset.order) : Number(a.dataset.order) - Number(b.dataset.order));
    for (const row of rows) box.appendChild(row);
  }
  for (const el of document.querySelectorAll('[data-view]')) el.classList.toggle('on', el.dataset.view === state.view);
  for (const el of document.querySelectorAll('[data-sort]')) el.classList.toggle('on', el.dataset.sort === state.sort);
  vscode.setState(state);
}
for (const el of document.querySelectorAll('[data-view]')) el.addEventListener('click', () => { state.view = el.dataset.view; show(); });
for (const el of document.querySelectorAll('[data-sort]')) el.addEventListener('click', () => { state.sort = el.dataset.sort; show(); });
if (!document.querySelector('.times[data-group="' + state.view + '"]')) state.view = 'layers';
show();
vscode.postMessage({ type: 'ready' });
</script></body></html>`;
}
