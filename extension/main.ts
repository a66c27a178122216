import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { ANALYSIS_NODE_FLAGS } from '../runtime/node-flags.js';
import { SummaryRequest, type SummaryResult } from '../language/server/protocol.js';
import { NetworkStatus } from './status.js';
import { SummaryDocuments } from './summary.js';

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
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
