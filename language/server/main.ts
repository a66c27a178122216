import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CodeActionKind,
  createConnection,
  DidChangeConfigurationNotification,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { summaryText } from '../report.js';
import { codeActions } from './actions.js';
import { diagnostic } from './convert.js';
import { DocumentState } from './documents.js';
import { inlayHints } from './hints.js';
import { hover } from './hover.js';
import { codeLenses } from './lens.js';
import { definition, prepareRename, references, rename } from './navigation.js';
import { edit as graphEdit, graph } from './graph.js';
import { GraphEditRequest, GraphRequest, NetworkAtRequest, SummaryRequest, type GraphEditParams, type GraphEditReply, type GraphParams, type GraphResult, type NetworkAtParams, type NetworkAtResult, type SummaryParams, type SummaryResult } from './protocol.js';
import { DEFAULT_SETTINGS, readSettings, type Settings } from './settings.js';
import { completions, documentSymbols, foldingRanges, semantic, SEMANTIC_LEGEND, signature } from './structure.js';
import { formatDocument } from './formatting.js';

/** The Stride language server: LSP over stdio, every answer computed by the language core. */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let settings: Settings = DEFAULT_SETTINGS;
  let pullConfiguration = false;
  const states = new Map<string, DocumentState>();
  const pending = new Map<string, NodeJS.Timeout>();
  /** How long the last analysis of each document took: large files wait a little for typing to pause. */
  const lastCost = new Map<string, number>();

  const state = (uri: string): DocumentState | undefined => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    const cached = states.get(uri);
    if (cached && cached.version === doc.version) return cached;
    const fresh = new DocumentState(uri, doc.version, doc.getText(), settings.memory);
    states.set(uri, fresh);
    return fresh;
  };

  const publish = (uri: string) => {
    pending.delete(uri);
    const s = state(uri);
    if (!s) return;
    const t0 = performance.now();
    const diagnostics = s.analysis.diagnostics.map((d) => diagnostic(s.lines, uri, d));
    lastCost.set(uri, performance.now() - t0);
    void connection.sendDiagnostics({ uri, version: s.version, diagnostics });
  };

  const schedule = (uri: string) => {
    clearTimeout(pending.get(uri));
    // A burst of changes already queued is coalesced by the timer alone; a file slow to analyse (a huge
    // network) also waits for typing to pause, twice its analysis time, at most 200 ms.
    const cost = lastCost.get(uri) ?? 0;
    const delay = cost < 10 ? 0 : Math.min(200, 2 * cost);
    pending.set(uri, setTimeout(() => publish(uri), delay));
  };

  const refreshAll = () => {
    states.clear();
    for (const doc of documents.all()) publish(doc.uri);
    void connection.languages.inlayHint.refresh().catch(() => undefined);
    void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  };

  const updateSettings = async (pushed: unknown) => {
    const raw = pullConfiguration ? await connection.workspace.getConfiguration('stride') : pushed;
    settings = readSettings(raw);
    refreshAll();
  };

  connection.onInitialize((params): InitializeResult => {
    pullConfiguration = params.capabilities.workspace?.configuration === true;
    const init = params.initializationOptions as { settings?: unknown } | undefined;
    if (init?.settings) settings = readSettings(init.settings);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        inlayHintProvider: true,
        completionProvider: { triggerCharacters: [' '] },
        signatureHelpProvider: { triggerCharacters: [' '] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        semanticTokensProvider: { legend: SEMANTIC_LEGEND, full: true },
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
        codeLensProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'stride' },
    };
  });

  connection.onInitialized(() => {
    if (pullConfiguration) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: 'stride' });
      void updateSettings(undefined);
    }
  });

  connection.onDidChangeConfiguration((change) => void updateSettings((change.settings as { stride?: unknown } | undefined)?.stride));

  documents.onDidOpen((e) => publish(e.document.uri));
  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidClose((e) => {
    clearTimeout(pending.get(e.document.uri));
    pending.delete(e.document.uri);
    states.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  const offsetOf = (s: DocumentState, p: { line: number; character: number }) => s.lines.offset(p);

  connection.onHover((p) => {
    const s = state(p.textDocument.uri);
    return s ? hover(s, offsetOf(s, p.position), settings) : null;
  });
  connection.languages.inlayHint.on((p) => {
    const s = state(p.textDocument.uri);
    if (!s || !settings.inlayHints) return [];
    return inlayHints(s, offsetOf(s, p.range.start), offsetOf(s, p.range.end));
  });
  connection.onCompletion((p) => {
    const s = state(p.textDocument.uri);
    return s ? completions(s, offsetOf(s, p.position)) : [];
  });
  connection.onSignatureHelp((p) => {
    const s = state(p.textDocument.uri);
    return (s && signature(s, offsetOf(s, p.position))) ?? null;
  });
  connection.onDefinition((p) => {
    const s = state(p.textDocument.uri);
    return (s && definition(s, offsetOf(s, p.position))) ?? null;
  });
  connection.onReferences((p) => {
    const s = state(p.textDocument.uri);
    return s ? references(s, offsetOf(s, p.position), p.context.includeDeclaration) : [];
  });
  connection.onPrepareRename((p) => {
    const s = state(p.textDocument.uri);
    return (s && prepareRename(s, offsetOf(s, p.position))) ?? null;
  });
  connection.onRenameRequest((p) => {
    const s = state(p.textDocument.uri);
    const edit = s && rename(s, offsetOf(s, p.position), p.newName);
    if (typeof edit === 'string') throw new ResponseError(-32602, edit);
    return edit ?? null;
  });
  connection.onDocumentSymbol((p) => {
    const s = state(p.textDocument.uri);
    return s ? documentSymbols(s) : [];
  });
  connection.onFoldingRanges((p) => {
    const s = state(p.textDocument.uri);
    return s ? foldingRanges(s) : [];
  });
  connection.languages.semanticTokens.on((p) => {
    const s = state(p.textDocument.uri);
    return s ? semantic(s) : { data: [] };
  });
  connection.onDocumentFormatting((p) => {
    const s = state(p.textDocument.uri);
    return s ? formatDocument(s, p.options) : [];
  });
  connection.onCodeAction((p) => {
    const s = state(p.textDocument.uri);
    return s ? codeActions(s, offsetOf(s, p.range.start), offsetOf(s, p.range.end)) : [];
  });
  connection.onCodeLens((p) => {
    const s = state(p.textDocument.uri);
    return s ? codeLenses(s) : [];
  });
  connection.onRequest(SummaryRequest, (p: SummaryParams): SummaryResult | null => {
    const s = state(p.uri);
    return s ? { text: summaryText(s.analysis) } : null;
  });
  connection.onRequest(NetworkAtRequest, (p: NetworkAtParams): NetworkAtResult | null => {
    const s = state(p.uri);
    if (!s) return null;
    const offset = s.lines.lineStart(p.line);
    const net = s.analysis.networks.find((n) => offset >= s.lines.lineStart(s.lines.position(n.decl.start).line) && offset <= n.decl.end);
    if (!net || net.layers.length === 0) return null;
    const m = net.memory;
    return { name: net.name, params: net.totals.trainableParams, macs: net.totals.macs, training: m.training, ...(m.budget !== undefined ? { budget: m.budget } : {}), complete: net.totals.complete };
  });

  connection.onRequest(GraphRequest, (p: GraphParams): GraphResult | null => {
    const s = state(p.uri);
    return s ? graph(s) : null;
  });
  connection.onRequest<GraphEditReply, void>(GraphEditRequest, (p: GraphEditParams): GraphEditReply => {
    const s = state(p.uri);
    return s ? graphEdit(s, p) : { error: 'the document is not open in the editor' };
  });

  documents.listen(connection);
  connection.listen();
}

startServer(createConnection(ProposedFeatures.all));
