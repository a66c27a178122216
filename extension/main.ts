import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { ANALYSIS_NODE_FLAGS } from '../runtime/node-flags.js';
import { SummaryRequest, type SummaryResult } from '../language/server/protocol.js';
import { NetworkStatus } from './status.js';
import { SummaryDocuments } from './summary.js';
import { RunPanel } from './run-panel.js';
import { GraphEditorProvider } from './graph-editor.js';
import { defaultOnnxPath } from '../runtime/onnx-path.js';
import { exportSource, runSource } from '../runtime/run.js';
import { formatBytes } from '../language/format.js';

/** When this module started loading: activation time counts from here to a ready language server. */
const loadedAt = performance.now();

let client: LanguageClient | undefined;

/** Starts the language server and wires the commands and the status bar; everything else is the server's. */
export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.stdio, options: { execArgv: [...ANALYSIS_NODE_FLAGS] } },
    debug: { module, transport: TransportKind.stdio, options: { execArgv: [...ANALYSIS_NODE_FLAGS, '--inspect=6019'] } },
  };
  const log = vscode.window.createOutputChannel('Stride', { log: true });
  context.subscriptions.push(log);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'stride' }],
    synchronize: { configurationSection: 'stride' },
    outputChannel: log,
  };
  client = new LanguageClient('stride', 'Stride', serverOptions, clientOptions);
  await client.start();
  const c = client;
  log.info(`Stride activated in ${(performance.now() - loadedAt).toFixed(1)} ms (language server ready)`);

  const summaries = new SummaryDocuments();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(SummaryDocuments.scheme, summaries));

  context.subscriptions.push(
    vscode.commands.registerCommand('stride.showSummary', async (uri?: string) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
      const doc = target ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === target) : undefined;
      if (!target || doc?.languageId !== 'stride') {
        void vscode.window.showInformationMessage('Stride: open a .stride file to see its summary.');
        return;
      }
      const result = await c.sendRequest<SummaryResult | null>(SummaryRequest, { uri: target });
      if (!result) return;
      const view = summaries.show(target, result.text);
      const shown = await vscode.workspace.openTextDocument(view);
      await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
    }),
  );

  context.subscriptions.push(new NetworkStatus(c));
  context.subscriptions.push(GraphEditorProvider.register(context, c, log));
  context.subscriptions.push(
    vscode.commands.registerCommand('stride.runNetwork', (uri?: string, network?: string) => runNetwork(uri, network)),
    vscode.commands.registerCommand('stride.exportOnnx', (uri?: string, network?: string) => exportOnnx(uri, network)),
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

async function runNetwork(uri?: string, network?: string): Promise<void> {
  if (!trusted('Run Network')) return;
  const doc = await strideDocument(uri);
  if (!doc) return;
  const provider = vscode.workspace.getConfiguration('stride').get<'auto' | 'cuda' | 'cpu'>('runtime.executionProvider', 'auto');
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Stride: running ${network ?? path.basename(doc.fileName)} on ONNX Runtime`, cancellable: true },
      (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return runSource(
          { type: 'run-source', text: doc.getText(), network, seed: 0, provider, iterations: 10, profile: true, captureOps: ['conv', 'convtranspose'], maxChannels: 16 },
          { signal: abort.signal },
        );
      },
    );
    RunPanel.show(doc.uri, result.report, result.featureMaps);
  } catch (e) {
    void vscode.window.showErrorMessage(`Stride: ${(e as Error).message}`);
  }
}

async function exportOnnx(uri?: string, network?: string): Promise<void> {
  if (!trusted('Export ONNX')) return;
  const doc = await strideDocument(uri);
  if (!doc) return;
  const target = defaultOnnxPath(doc.fileName, network);
  try {
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Stride: exporting to ONNX' }, () =>
      exportSource({ type: 'export-source', text: doc.getText(), network, seed: 0, path: target }),
    );
    void vscode.window.showInformationMessage(`Stride: wrote ${path.basename(r.path)} (network ${r.network}, ${r.layers} layers, ${formatBytes(r.bytes)})`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Stride: ${(e as Error).message}`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
