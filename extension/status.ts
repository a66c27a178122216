import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { formatBytes, formatCompact } from '../language/base/format.js';
import { NetworkAtRequest, type NetworkAtResult } from '../language/server/protocol.js';

/** The status bar item for the network under the cursor: params · MACs · training memory, red over budget. */
export class NetworkStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('stride.network', vscode.StatusBarAlignment.Left, 100);
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly client: LanguageClient) {
    this.item.name = 'Stride network';
    this.item.command = 'stride.showSummary';
    this.subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.soon()),
      vscode.window.onDidChangeTextEditorSelection(() => this.soon()),
      vscode.workspace.onDidChangeTextDocument(() => this.soon()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('stride') && this.soon()),
    );
    this.soon();
  }

  private soon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), 150);
  }

  private async update(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'stride') {
      this.item.hide();
      return;
    }
    const net = await this.client
      .sendRequest<NetworkAtResult | null>(NetworkAtRequest, { uri: editor.document.uri.toString(), line: editor.selection.active.line })
      .catch(() => null);
    if (!net) {
      this.item.hide();
      return;
    }
    const over = net.budget !== undefined && net.training > net.budget;
    this.item.text = `$(symbol-structure) ${net.name}: ${formatCompact(net.params)} params · ${formatCompact(net.macs)} MACs · ${formatBytes(net.training)}${net.complete ? '' : ' (partial)'}`;
    this.item.tooltip = over ? `Training needs ${formatBytes(net.training)}, over the ${formatBytes(net.budget!)} budget (stride.memoryBudgetGiB). Click for the summary.` : 'Parameters, multiply-accumulates and training memory of this network. Click for the summary.';
    this.item.backgroundColor = over ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.item.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
