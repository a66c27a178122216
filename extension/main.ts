import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { ANALYSIS_NODE_FLAGS } from '../runtime/node-flags.js';
import { nchwcBlock } from '../runtime/cpu.js';
import { SummaryRequest, type SummaryResult } from '../language/server/protocol.js';
import { NetworkStatus } from './status.js';
import { SummaryPanel } from './summary.js';
import { RunPanel, type RunSettings } from './run-panel.js';
import { COPY_DETAILS, Gpu, SET_UP_GPU, USE_CPU, useCpu } from './gpu.js';
import { GraphEditorProvider } from './graph-editor.js';
import { registerSetBatchSize } from './batch-size.js';
import { registerWalkthrough, walkthroughMiddleware } from './walkthrough.js';
import { compareWith, comparisons } from './compare.js';
import { registerDiffHover } from './diff-hover.js';
import { defaultOnnxPath, defaultPytorchPath } from '../runtime/onnx-path.js';
import { exportPytorch } from '../runtime/pytorch-export.js';
import { pickNetwork } from '../runtime/export.js';
import { analyze } from '../language/index.js';
import { exportSource, RunError, runSource } from '../runtime/run.js';
import { sameFile, writeFileAtomic } from '../runtime/write-file.js';
import { formatBytes } from '../language/base/format.js';
import { ImportError, importOnnx, safetensors } from '../runtime/onnx-import.js';

/** When this module started loading: activation time counts from here to a ready language server. */
const loadedAt = performance.now();

let client: LanguageClient | undefined;
let gpu: Gpu;
let memory: vscode.Memento;
let log: vscode.LogOutputChannel;
/** Where Run Network keeps the models it exported, to run them again while the text is unchanged. */
let modelsDir: string | undefined;

/** Timed runs after the first for Run Network. */
const RUN_ITERATIONS = 10;

/** Starts the language server and wires the commands and the status bar; everything else is the server's. */
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio, options: { execArgv: [...ANALYSIS_NODE_FLAGS] } },
    debug: { module, transport: TransportKind.stdio, options: { execArgv: [...ANALYSIS_NODE_FLAGS, '--inspect=6019'] } },
  };
  log = vscode.window.createOutputChannel('Stride', { log: true });
  gpu = new Gpu(context);
  memory = context.workspaceState;
  modelsDir = context.globalStorageUri.scheme === 'file' ? path.join(context.globalStorageUri.fsPath, 'models') : undefined;
  context.subscriptions.push(log);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'stride' }],
    synchronize: { configurationSection: 'stride' },
    // The inference estimate follows ONNX Runtime's kernels on this machine, which the server cannot ask.
    initializationOptions: { machine: { nchwcBlock: nchwcBlock() } },
    outputChannel: log,
    middleware: walkthroughMiddleware(),
  };
  client = new LanguageClient('stride', 'Stride', serverOptions, clientOptions);
  await client.start();
  const c = client;
  log.info(`Stride activated in ${(performance.now() - loadedAt).toFixed(1)} ms (language server ready)`);

  context.subscriptions.push(
    vscode.commands.registerCommand('stride.showSummary', async (uri?: string) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
      const doc = target ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === target) : undefined;
      if (!target || doc?.languageId !== 'stride') {
        void vscode.window.showInformationMessage('Stride: open a .stride file to see its summary.');
        return;
      }
      const result = await c.sendRequest<SummaryResult | null>(SummaryRequest, { uri: target, table: true });
      if (!result?.table) return;
      SummaryPanel.show(doc.uri, result.table);
    }),
  );

  context.subscriptions.push(new NetworkStatus(c), registerSetBatchSize(), registerWalkthrough(context));
  context.subscriptions.push(comparisons.attach(c), vscode.commands.registerCommand('stride.compareWith', (uri?: vscode.Uri | string) => compareWith(uri)), registerDiffHover(c));
  context.subscriptions.push(GraphEditorProvider.register(context, c, log));
  context.subscriptions.push(
    vscode.commands.registerCommand('stride.runNetwork', (uri?: string, network?: string) => runNetwork(uri, network)),
    vscode.commands.registerCommand('stride.setupGpu', () => setUpGpu()),
    vscode.commands.registerCommand('stride.exportOnnx', (uri?: string, network?: string) => exportOnnx(uri, network)),
    vscode.commands.registerCommand('stride.exportPytorch', (uri?: string, network?: string) => exportPytorchFile(uri, network)),
    vscode.commands.registerCommand('stride.importOnnx', (uri?: vscode.Uri | string) => importOnnxFile(uri)),
  );
}

/** The .stride document a command is about: the one named, or the active editor's. */
async function strideDocument(uri?: string): Promise<vscode.TextDocument | undefined> {
  const target = uri ? vscode.Uri.parse(uri) : vscode.window.activeTextEditor?.document.uri;
  const doc = target ? await vscode.workspace.openTextDocument(target) : undefined;
  if (doc?.languageId !== 'stride') {
    void vscode.window.showInformationMessage('Stride: open a .stride file first.');
    return undefined;
  }
  return doc;
}

/** Running and exporting load native code and write files: only in a trusted workspace. */
function trusted(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`Stride: ${what} is available in trusted workspaces only. Trust this workspace to use it.`);
  return false;
}

/** Where a network's run settings are remembered: per file and network, in the workspace. */
function settingsKey(doc: vscode.TextDocument, network: string | undefined): string {
  return `stride.run/${doc.uri.toString()}#${network ?? ''}`;
}

/** The network a run of `doc` runs: the one named, or the file's first (undefined when the file has none). */
function networkName(doc: vscode.TextDocument, network?: string): string | undefined {
  try {
    return pickNetwork(analyze(doc.getText()), network).name;
  } catch {
    return network;
  }
}

async function setUpGpu(): Promise<void> {
  if (!trusted('Set Up GPU')) return;
  await gpu.setUp(log);
}

async function runNetwork(uri?: string, network?: string, changed?: RunSettings): Promise<void> {
  if (!trusted('Run Network')) return;
  const doc = await strideDocument(uri);
  if (!doc) return;
  const name = networkName(doc, network);
  const key = settingsKey(doc, name);
  const settings: RunSettings = changed ?? memory.get<RunSettings>(key) ?? { batch: 1 };
  if (changed) await memory.update(key, changed);
  const provider = vscode.workspace.getConfiguration('stride').get<'auto' | 'cuda' | 'cpu'>('runtime.executionProvider', 'auto');
  const again = (s: RunSettings) => void runNetwork(doc.uri.toString(), name, s);
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Stride: running ${name ?? path.basename(doc.fileName)} on ONNX Runtime`, cancellable: true },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        // The bar moves as timed runs complete (the runtime reports them a few times a second at most).
        let shown = 0;
        const onProgress = (done: number, total: number): void => {
          if (total <= 0) return;
          const at = (100 * done) / total;
          progress.report({ increment: at - shown, message: `timed run ${done} of ${total}` });
          shown = at;
        };
        return runSource(
          { type: 'run-source', text: doc.getText(), network: name, seed: 0, provider, iterations: RUN_ITERATIONS, profile: true, captureOps: ['conv', 'convtranspose'], maxChannels: 16, batch: settings.batch, inputFile: settings.input, weightsFile: settings.weights, cacheDir: modelsDir },
          { signal: abort.signal, onProgress, cuda: provider === 'cpu' ? undefined : gpu.install() },
        );
      },
    );
    RunPanel.show(doc.uri, result.report, result.featureMaps, settings, {
      rerun: again,
      setUpGpu: () => void gpu.setUp(log).then((ok) => ok && again(settings)),
      useCpu: () => void useCpu().then(() => again(settings)),
      copyDetails: (text) => void gpu.copyDetails(text),
    });
  } catch (e) {
    const message = `Stride: ${(e as Error).message}`;
    if (!(e instanceof RunError && e.cudaProblem)) {
      void vscode.window.showErrorMessage(message);
      return;
    }
    // CUDA was asked for (stride.runtime.executionProvider: cuda) and did not load.
    const choice = await vscode.window.showErrorMessage(message, SET_UP_GPU, USE_CPU, COPY_DETAILS);
    if (choice === SET_UP_GPU && (await gpu.setUp(log))) again(settings);
    if (choice === USE_CPU) await useCpu().then(() => again(settings));
    if (choice === COPY_DETAILS) await gpu.copyDetails(message);
  }
}

/** Where the save dialog starts: beside the source, or in the first workspace folder for an untitled file. */
function suggestedOnnxUri(doc: vscode.TextDocument, network?: string): vscode.Uri {
  if (doc.uri.scheme === 'file') return vscode.Uri.file(defaultOnnxPath(doc.fileName, network));
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `${network ?? 'network'}.onnx`;
  return folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(path.join(os.homedir(), name));
}

/** Why `target` must not be written with an exported model, or undefined when it may. */
function refusal(target: vscode.Uri, doc: vscode.TextDocument): string | undefined {
  if (target.scheme !== 'file') return `Stride: ONNX models are written to files on disk; ${target.toString()} is not one.`;
  const shown = vscode.workspace.asRelativePath(target, false);
  if (target.toString() === doc.uri.toString() || (doc.uri.scheme === 'file' && sameFile(target.fsPath, doc.uri.fsPath))) {
    const source = vscode.workspace.asRelativePath(doc.uri, false);
    const what = shown === source ? `${shown} is the network's source` : `${shown} is ${source}, the network's source, under another name`;
    return `Stride: ${what}; exporting there would replace it. Choose another .onnx file.`;
  }
  if (target.fsPath.toLowerCase().endsWith('.stride')) return `Stride: ${shown} is a Stride source file; choose a .onnx file for the model instead.`;
  return undefined;
}

async function exportOnnx(uri?: string, network?: string): Promise<void> {
  if (!trusted('Export ONNX')) return;
  const doc = await strideDocument(uri);
  if (!doc) return;
  // The dialog asks before replacing an existing file (a model with trained weights, say); cancelling writes nothing.
  const target = await vscode.window.showSaveDialog({
    defaultUri: suggestedOnnxUri(doc, network),
    filters: { 'ONNX model': ['onnx'] },
    saveLabel: 'Export',
    title: `Export ${network ?? path.basename(doc.fileName)} to ONNX`,
  });
  if (!target) return;
  const refused = refusal(target, doc);
  if (refused) {
    const again = await vscode.window.showErrorMessage(refused, 'Choose Another File…');
    if (again) await exportOnnx(doc.uri.toString(), network);
    return;
  }
  try {
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stride: exporting ${network ?? path.basename(doc.fileName)} to ONNX` }, () =>
      exportSource({ type: 'export-source', text: doc.getText(), network, seed: 0, path: target.fsPath, source: doc.uri.scheme === 'file' ? doc.uri.fsPath : undefined }),
    );
    const written = vscode.Uri.file(r.path);
    const inWorkspace = vscode.workspace.getWorkspaceFolder(written) !== undefined;
    const shown = inWorkspace ? vscode.workspace.asRelativePath(written, false) : r.path;
    const reveal = 'Reveal in Explorer';
    const choice = await vscode.window.showInformationMessage(
      `Stride: exported ${r.network} to ${shown} (${r.layers} layers, ${formatBytes(r.bytes)})`,
      ...(inWorkspace ? [reveal] : []),
    );
    if (choice === reveal) await vscode.commands.executeCommand('revealInExplorer', written);
  } catch (e) {
    void vscode.window.showErrorMessage(`Stride: ${(e as Error).message}`);
  }
}

/** Export PyTorch: the network as a .py file of nn.Modules (no weights), written here: it loads no runtime. */
async function exportPytorchFile(uri?: string, network?: string): Promise<void> {
  if (!trusted('Export PyTorch')) return;
  const doc = await strideDocument(uri);
  if (!doc) return;
  const suggested = doc.uri.scheme === 'file' ? vscode.Uri.file(defaultPytorchPath(doc.fileName, network)) : suggestedOnnxUri(doc, network).with({ path: suggestedOnnxUri(doc, network).path.replace(/\.onnx$/, '.py') });
  // The dialog asks before replacing an existing file; cancelling writes nothing.
  const target = await vscode.window.showSaveDialog({ defaultUri: suggested, filters: { 'PyTorch module': ['py'] }, saveLabel: 'Export', title: `Export ${network ?? path.basename(doc.fileName)} to PyTorch` });
  if (!target) return;
  const refused = refusal(target, doc)?.replace('.onnx file', '.py file').replace('ONNX models are', 'PyTorch modules are');
  if (refused) {
    const again = await vscode.window.showErrorMessage(refused, 'Choose Another File…');
    if (again) await exportPytorchFile(doc.uri.toString(), network);
    return;
  }
  try {
    const a = analyze(doc.getText());
    const net = pickNetwork(a, network);
    writeFileAtomic(target.fsPath, new TextEncoder().encode(exportPytorch(a, net, path.basename(doc.fileName))));
    const shown = vscode.workspace.getWorkspaceFolder(target) !== undefined ? vscode.workspace.asRelativePath(target, false) : target.fsPath;
    void vscode.window.showInformationMessage(`Stride: exported ${net.name} to ${shown} as PyTorch`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Stride: ${(e as Error).message}`);
  }
}

/**
 * Import ONNX Model: an .onnx file (the one shown, or one chosen) → a .stride file and its weights as a
 * .safetensors beside it, where the save dialog says; the text is opened.
 */
async function importOnnxFile(uri?: vscode.Uri | string): Promise<void> {
  if (!trusted('Import ONNX Model')) return;
  let model = typeof uri === 'string' ? vscode.Uri.parse(uri) : uri;
  const active = vscode.window.activeTextEditor?.document.uri ?? (vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined)?.uri;
  if (!model && active?.fsPath.toLowerCase().endsWith('.onnx')) model = active;
  if (!model) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'ONNX model': ['onnx'] }, openLabel: 'Import', title: 'Import an ONNX model into Stride' });
    if (!picked?.[0]) return;
    model = picked[0];
  }
  // The dialog asks before replacing an existing file; cancelling writes nothing.
  const target = await vscode.window.showSaveDialog({
    defaultUri: model.with({ path: model.path.replace(/\.onnx$/i, '') + '.stride' }),
    filters: { 'Stride network': ['stride'] },
    saveLabel: 'Import',
    title: `Import ${path.basename(model.fsPath)} as a Stride network (its weights go beside it as .safetensors)`,
  });
  if (!target) return;
  if (sameFile(target.fsPath, model.fsPath)) {
    void vscode.window.showErrorMessage(`Stride: ${path.basename(target.fsPath)} is the ONNX model being imported; choose a .stride file.`);
    return;
  }
  const weightsPath = target.fsPath.replace(/\.stride$/i, '') + '.safetensors';
  try {
    const bytes = await vscode.workspace.fs.readFile(model);
    const r = importOnnx(bytes, path.basename(model.fsPath));
    writeFileAtomic(weightsPath, safetensors(r.weights));
    writeFileAtomic(target.fsPath, new TextEncoder().encode(r.text));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
    void vscode.window.showInformationMessage(`Stride: imported ${path.basename(model.fsPath)} as ${r.network} (${r.layers} layers, ${r.blocks} blocks); weights in ${path.basename(weightsPath)}`);
  } catch (e) {
    const problems = e instanceof ImportError && e.problems.length > 0 ? ` ${e.problems.slice(0, 5).join('; ')}${e.problems.length > 5 ? '; …' : ''}` : '';
    void vscode.window.showErrorMessage(`Stride: ${(e as Error).message}${problems ? ':' + problems : ''}`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
