import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { GraphEditRequest, GraphRequest, type GraphEditParams, type GraphEditReply, type GraphResult } from '../language/server/protocol.js';
import { readSettings } from '../language/server/settings.js';
import { graphEditorHtml } from '../webview/graph-html.js';
import type { HostToWebview, WebviewToHost } from '../webview/protocol.js';
import { comparisons } from './compare.js';

/** How long the text must rest before the diagram follows it. */
const SETTLE_MS = 40;
/** Asks for the diagram until the server has the current text and settings: 50 times, 20 ms apart. */
const REFRESH_ATTEMPTS = 50;

/**
 * The graph editor: a custom text editor whose webview draws the document's networks. The text stays the one
 * source of truth: the webview asks for changes, the language server computes them as text edits, and the
 * diagram is redrawn from the changed text like after any other edit.
 */
export class GraphEditorProvider implements vscode.CustomTextEditorProvider {
  static readonly viewType = 'stride.graphEditor';

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly client: LanguageClient,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  static register(context: vscode.ExtensionContext, client: LanguageClient, log: vscode.LogOutputChannel): vscode.Disposable {
    const provider = new GraphEditorProvider(context.extensionUri, client, log);
    return vscode.Disposable.from(
      vscode.window.registerCustomEditorProvider(GraphEditorProvider.viewType, provider),
      vscode.commands.registerCommand('stride.openGraphEditor', (uri?: string | vscode.Uri) => openGraphEditor(uri)),
    );
  }

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const session = new GraphSession(document, panel, this.client, this.log);
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const bundle = (name: string) => vscode.Uri.joinPath(root, name);
    // The bundle's own folder and nothing else: not even the rest of dist/.
    panel.webview.options = { enableScripts: true, localResourceRoots: [root] };
    panel.webview.html = graphEditorHtml({
      scriptUri: panel.webview.asWebviewUri(bundle('webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(bundle('webview.css')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
    });
    panel.onDidDispose(() => session.dispose());
  }
}

/** Opens the graph editor of a .stride file beside its text. */
async function openGraphEditor(uri?: string | vscode.Uri): Promise<void> {
  const target = typeof uri === 'string' ? vscode.Uri.parse(uri) : (uri ?? vscode.window.activeTextEditor?.document.uri);
  if (!target || !target.path.endsWith('.stride')) {
    void vscode.window.showInformationMessage('Stride: open a .stride file to see its graph.');
    return;
  }
  await vscode.commands.executeCommand('vscode.openWith', target, GraphEditorProvider.viewType, vscode.ViewColumn.Beside);
}

/** One open graph editor: keeps its webview in step with its document and applies the webview's edits. */
class GraphSession {
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The version of the text the webview's diagram shows; its statement offsets refer to that text. */
  private shownVersion = -1;
  /** The statement to select once the text after the webview's own edit is drawn, by that text's version. */
  private pendingSelect: { version: number; offset: number } | undefined;
  private disposed = false;
  /** The memory settings the diagram must show after a change of them, until the server's answer has them. */
  private settings: { batch: number; dtype: string } | undefined;

  constructor(
    private readonly document: vscode.TextDocument,
    private readonly panel: vscode.WebviewPanel,
    private readonly client: LanguageClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: WebviewToHost) => void this.receive(m)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        // A change of the dirty state alone has no content changes: nothing to redraw.
        if (e.document === document && e.contentChanges.length > 0) this.schedule();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document === document) this.post({ type: 'cursor', line: e.selections[0].active.line });
      }),
      // A comparison started, worked out again for the changed text, or ended: the overlay follows.
      comparisons.onDidChange((uri) => {
        if (uri === document.uri.toString()) this.postComparison();
      }),
      // Batch size and dtype change every layer's memory: redraw once the server has the new settings.
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('stride')) return;
        this.settings = readSettings(vscode.workspace.getConfiguration('stride')).memory;
        this.shownVersion = -1;
        this.schedule();
      }),
    );
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }

  private post(m: HostToWebview): void {
    if (this.disposed) return;
    this.log.trace(`graph → webview: ${m.type}${m.type === 'graph' ? ` v${m.version}` : ''}`);
    void this.panel.webview.postMessage(m);
  }

  private async receive(m: WebviewToHost): Promise<void> {
    this.log.trace(`graph ← webview: ${m.type}`);
    switch (m.type) {
      case 'ready':
        // Also after the webview was hidden and shown again: it starts empty and asks anew.
        this.shownVersion = -1;
        await this.refresh();
        return;
      case 'reveal':
        await this.reveal(m.line);
        return;
      case 'edit':
        this.post({ type: 'editResult', requestId: m.requestId, ...(await this.edit(m)) });
        return;
      case 'saveImage':
        await this.saveImage(m.format, m.data, m.name);
        return;
      case 'endCompare':
        comparisons.end(this.document.uri.toString());
        return;
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), SETTLE_MS);
  }

  /** Asks the server for the diagram of the current text and sends it, unless the webview already shows it. */
  private async refresh(): Promise<void> {
    for (let attempt = 1; attempt <= REFRESH_ATTEMPTS && !this.disposed; attempt++) {
      const version = this.document.version;
      if (version === this.shownVersion) return;
      const result = await this.client.sendRequest<GraphResult | null>(GraphRequest, { uri: this.document.uri.toString() });
      if (!result) return;
      // The server answers for the text and settings it has; a change still on its way to it: ask again (the
      // last answer is shown whatever it is: a later change asks anew).
      const settingsPending = this.settings && (result.memory.batch !== this.settings.batch || result.memory.dtype !== this.settings.dtype);
      if ((result.version !== this.document.version || settingsPending) && attempt < REFRESH_ATTEMPTS) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      this.settings = undefined;
      const select = this.pendingSelect?.version === result.version ? this.pendingSelect.offset : undefined;
      if (this.pendingSelect && this.pendingSelect.version <= result.version) this.pendingSelect = undefined;
      this.shownVersion = result.version;
      this.post({ type: 'graph', version: result.version, model: result.model, palette: result.palette, ...(select !== undefined ? { select } : {}) });
      this.postComparison();
      return;
    }
  }

  /** The document's comparison with another version (Stride: Compare with…), or none, for the overlay. */
  private postComparison(): void {
    this.post({ type: 'compare', comparison: comparisons.get(this.document.uri.toString()) });
  }

  /** Makes the webview's change as one undoable edit of the text. */
  private async edit(m: Extract<WebviewToHost, { type: 'edit' }>): Promise<{ error?: string }> {
    const params: GraphEditParams = { uri: this.document.uri.toString(), version: this.shownVersion, edit: m.edit };
    let reply: GraphEditReply;
    try {
      reply = await this.client.sendRequest<GraphEditReply>(GraphEditRequest, params);
    } catch (e) {
      return { error: (e as Error).message };
    }
    if ('error' in reply) return { error: reply.error };
    if (this.document.version !== this.shownVersion) return { error: 'the text changed while the graph was being edited; try again on the updated graph' };
    const edit = new vscode.WorkspaceEdit();
    for (const e of reply.edits) {
      const r = e.range;
      edit.replace(this.document.uri, new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character), e.newText);
    }
    const before = this.document.version;
    if (reply.select !== undefined) this.pendingSelect = { version: before + 1, offset: reply.select };
    const applied = await vscode.workspace.applyEdit(edit);
    if (!applied) {
      this.pendingSelect = undefined;
      return { error: 'VS Code did not apply the edit (is the file read-only?)' };
    }
    return {};
  }

  private async reveal(line: number): Promise<void> {
    const editor =
      vscode.window.visibleTextEditors.find((e) => e.document === this.document) ??
      (await vscode.window.showTextDocument(this.document, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }));
    const at = new vscode.Position(line, editor.document.lineAt(Math.min(line, editor.document.lineCount - 1)).firstNonWhitespaceCharacterIndex);
    editor.selection = new vscode.Selection(at, at);
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private async saveImage(format: 'svg' | 'png', data: string, name: string): Promise<void> {
    const base = vscode.Uri.joinPath(this.document.uri, '..', `${name}.${format}`);
    const target = await vscode.window.showSaveDialog({ defaultUri: base, filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] } });
    if (!target) return;
    const bytes = format === 'svg' ? new TextEncoder().encode(data) : Buffer.from(data, 'base64');
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(`Stride: saved ${vscode.workspace.asRelativePath(target)}`);
  }
}
