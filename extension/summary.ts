import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { SummaryTable } from '../language/views/summary-table.js';
import type { WebviewToHost } from '../webview/protocol.js';
import { summaryHtml } from '../webview/summary-html.js';
import { showLine } from './reveal.js';

/** Stride: Show Summary's view beside the text: one panel, shown again with the file's latest figures. */
export class SummaryPanel {
  private static current: SummaryPanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private source: vscode.Uri;

  private constructor(source: vscode.Uri) {
    this.source = source;
    this.panel = vscode.window.createWebviewPanel('stride.summary', 'Summary', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
    this.panel.onDidDispose(() => (SummaryPanel.current = undefined));
    this.panel.webview.onDidReceiveMessage((m: WebviewToHost) => {
      if (m.type === 'reveal') void showLine(this.source, m.line);
    });
  }

  static show(source: vscode.Uri, table: SummaryTable): void {
    const panel = (SummaryPanel.current ??= new SummaryPanel(source));
    panel.source = source;
    const name = decodeURIComponent(source.path.split('/').pop() ?? 'network');
    panel.panel.title = `Summary: ${name}`;
    panel.panel.webview.html = summaryHtml(table, { nonce: randomBytes(16).toString('base64'), title: `${name} — summary` });
    panel.panel.reveal(vscode.ViewColumn.Beside, true);
  }
}
