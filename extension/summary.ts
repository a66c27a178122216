import * as vscode from 'vscode';

/** Read-only documents holding a file's summary table, refreshed each time the command runs. */
export class SummaryDocuments implements vscode.TextDocumentContentProvider {
  static readonly scheme = 'stride-summary';
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  show(source: string, text: string): vscode.Uri {
    const name = decodeURIComponent(source.split('/').pop() ?? 'network');
    const uri = vscode.Uri.from({ scheme: SummaryDocuments.scheme, path: `/${name} — summary`, query: source });
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}
