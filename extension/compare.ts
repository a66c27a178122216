import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { GraphComparison } from '../language/views/diff.js';
import { DiffRequest, type DiffResult } from '../language/server/protocol.js';
import type { WebviewToHost } from '../webview/protocol.js';
import { compareHtml } from '../webview/compare-html.js';
import { showLine } from './reveal.js';

/**
 * Stride: Compare with…: a `.stride` document against another version (another file, or its last committed
 * version through VS Code's git extension). The comparison is kept per document and worked out again by the
 * language server as the document changes; its view shows both sides layer by layer with the deltas, and
 * the graph editor of the document overlays it (`comparisons`).
 */

interface Against {
  text: string;
  label: string;
}

interface Active {
  against: Against;
  result: DiffResult | undefined;
  panel?: vscode.WebviewPanel;
  timer?: NodeJS.Timeout;
}

/** The comparisons open, by document URI: what the graph editor overlays. */
class Comparisons {
  private readonly active = new Map<string, Active>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with a document's URI when its comparison starts, changes or ends. */
  readonly onDidChange = this.changed.event;
  private client: LanguageClient | undefined;

  attach(client: LanguageClient): vscode.Disposable {
    this.client = client;
    return vscode.Disposable.from(
      this.changed,
      vscode.workspace.onDidChangeTextDocument((e) => {
        const a = this.active.get(e.document.uri.toString());
        if (!a || e.contentChanges.length === 0) return;
        clearTimeout(a.timer);
        a.timer = setTimeout(() => void this.update(e.document.uri), 150);
      }),
    );
  }

  get(uri: string): GraphComparison | undefined {
    return this.active.get(uri)?.result?.comparison;
  }

  end(uri: string): void {
    const a = this.active.get(uri);
    if (!a) return;
    clearTimeout(a.timer);
    this.active.delete(uri);
    a.panel?.dispose();
    this.changed.fire(uri);
  }

  async start(doc: vscode.TextDocument, against: Against): Promise<void> {
    const key = doc.uri.toString();
    const old = this.active.get(key);
    const a: Active = { against, result: undefined, panel: old?.panel };
    if (old) clearTimeout(old.timer);
    this.active.set(key, a);
    await this.update(doc.uri);
    if (!a.result) {
      this.active.delete(key);
      void vscode.window.showErrorMessage(`Stride: no network of ${path.basename(doc.uri.path)} to compare with ${against.label}.`);
      return;
    }
    this.show(doc.uri, a);
  }

  private async update(uri: vscode.Uri): Promise<void> {
    const a = this.active.get(uri.toString());
    if (!a || !this.client) return;
    a.result = (await this.client.sendRequest<DiffResult | null>(DiffRequest, { uri: uri.toString(), against: a.against.text, againstLabel: a.against.label })) ?? undefined;
    if (a.panel && a.result) a.panel.webview.html = this.html(uri, a);
    this.changed.fire(uri.toString());
  }

  private html(uri: vscode.Uri, a: Active): string {
    return compareHtml(a.result!.diff, { nonce: randomBytes(16).toString('base64'), a: a.against.label, b: path.basename(uri.path) });
  }

  private show(uri: vscode.Uri, a: Active): void {
    const title = `${path.basename(uri.path)} ↔ ${a.against.label}`;
    if (!a.panel) {
      a.panel = vscode.window.createWebviewPanel('stride.compare', title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
      const panel = a.panel;
      panel.onDidDispose(() => {
        if (this.active.get(uri.toString())?.panel === panel) this.end(uri.toString());
      });
      panel.webview.onDidReceiveMessage((m: WebviewToHost) => {
        if (m.type === 'reveal') void showLine(uri, m.line);
        if (m.type === 'endCompare') this.end(uri.toString());
      });
    }
    a.panel.title = title;
    a.panel.webview.html = this.html(uri, a);
    a.panel.reveal(vscode.ViewColumn.Beside, true);
  }
}

export const comparisons = new Comparisons();

interface GitRepository {
  rootUri: vscode.Uri;
  show(ref: string, path: string): Promise<string>;
}
interface GitApi {
  getRepository(uri: vscode.Uri): GitRepository | null;
}

/** A file's text at HEAD through VS Code's git extension, or a message saying why not. */
async function committed(uri: vscode.Uri): Promise<Against | string> {
  const ext = vscode.extensions.getExtension<{ getAPI(v: 1): GitApi }>('vscode.git');
  if (!ext) return 'the git extension is not available';
  const git = (ext.isActive ? ext.exports : await ext.activate()).getAPI(1);
  const repo = git.getRepository(uri);
  if (!repo) return `${path.basename(uri.path)} is not in a git repository`;
  try {
    return { text: await repo.show('HEAD', uri.fsPath), label: `${path.basename(uri.path)}@HEAD` };
  } catch (e) {
    return `${path.basename(uri.path)} has no committed version (${(e as Error).message.split('\n')[0]})`;
  }
}

/** Stride: Compare with…: asks what with, then shows the comparison. */
export async function compareWith(arg?: vscode.Uri | string): Promise<void> {
  const uri = typeof arg === 'string' ? vscode.Uri.parse(arg) : arg ?? vscode.window.activeTextEditor?.document.uri;
  const doc = uri && (vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ?? (await vscode.workspace.openTextDocument(uri)));
  if (!doc || doc.languageId !== 'stride') {
    void vscode.window.showInformationMessage('Stride: open a .stride file to compare it.');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'Another .stride file…', pick: 'file' as const, description: 'the file chosen is the version before' },
      { label: 'Last committed version', pick: 'head' as const, description: 'HEAD, through git' },
    ],
    { title: `Compare ${path.basename(doc.uri.path)} with…` },
  );
  if (!picked) return;
  let against: Against | string;
  if (picked.pick === 'head') against = await committed(doc.uri);
  else {
    const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Stride network': ['stride'] }, defaultUri: vscode.Uri.joinPath(doc.uri, '..'), openLabel: 'Compare', title: `Compare ${path.basename(doc.uri.path)} with` });
    if (!chosen?.[0]) return;
    const other = chosen[0];
    against = { text: new TextDecoder().decode(await vscode.workspace.fs.readFile(other)), label: path.basename(other.path) };
  }
  if (typeof against === 'string') {
    void vscode.window.showErrorMessage(`Stride: cannot compare with the last committed version: ${against}.`);
    return;
  }
  await comparisons.start(doc, against);
}
