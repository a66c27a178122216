import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CodeActionKind,
  createConnection,
  DidChangeConfigurationNotification,
  ErrorCodes,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
  type WillSaveTextDocumentParams,
} from 'vscode-languageserver/node';
import { summaryText } from '../views/report.js';
import { summaryTable } from '../views/summary-table.js';
import { analysisDelay } from './debounce.js';
import { diffNetworks, graphComparison } from '../views/diff.js';
import { analyze } from '../analysis/analyze.js';
import { codeActions } from './actions.js';
import { diagnostic } from './convert.js';
import { DocumentState } from './documents.js';
import { inlayHints } from './hints.js';
import { hover } from './hover.js';
import { codeLenses } from './lens.js';
import { definition, prepareRename, references, rename } from './navigation.js';
import { edit as graphEdit, graph } from './graph.js';
import { DiffRequest, GraphEditRequest, GraphRequest, NetworkAtRequest, SummaryRequest, type DiffResult, type GraphEditReply, type GraphParams, type GraphResult, type NetworkAtResult, type SummaryResult } from './protocol.js';
import { DEFAULT_SETTINGS, readMachine, readSettings, type Machine, type Settings } from './settings.js';
import { completions, documentSymbols, foldingRanges, semantic, SEMANTIC_LEGEND, signature } from './structure.js';
import { formatDocument } from './formatting.js';
import { atPosition, BadParams, changeParams, documentParams, formattingParams, graphEditParams, inDocument, initializeParams, inRange, networkAtParams, openParams, params, referenceParams, renameParams, summaryParams, diffParams, uriOnly } from './params.js';

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
}

/** The Stride language server: LSP over stdio, every answer computed by the language core. */
export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let settings: Settings = DEFAULT_SETTINGS;
  let machine: Machine = {};
  let pullConfiguration = false;
  const states = new Map<string, DocumentState>();
  const pending = new Map<string, NodeJS.Timeout>();
  /** How long the last analysis of each document took: large files wait a little for typing to pause. */
  const lastCost = new Map<string, number>();
  /** When each document last changed: a change soon after another is typing. */
  const lastChange = new Map<string, number>();

  const state = (uri: string): DocumentState | undefined => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    const cached = states.get(uri);
    if (cached && cached.version === doc.version) return cached;
    const fresh = new DocumentState(uri, doc.version, doc.getText(), settings.memory);
    states.set(uri, fresh);
    return fresh;
  };

  /** Work the server does not wait for: a failure (the client gone, a request refused) is logged, never thrown. */
  const logged = (work: Promise<unknown>, what = 'sending to the client'): void => {
    work.catch((e: unknown) => connection.console.error(`${what} failed: ${errorText(e)}`));
  };

  const publish = (uri: string) => {
    pending.delete(uri);
    // Runs from a timer too, where nothing would catch a failure: one file must not take the server down.
    try {
      const s = state(uri);
      if (!s) return;
      const t0 = performance.now();
      const diagnostics = s.analysis.diagnostics.map((d) => diagnostic(s.lines, uri, d));
      lastCost.set(uri, performance.now() - t0);
      logged(connection.sendDiagnostics({ uri, version: s.version, diagnostics }));
    } catch (e) {
      connection.console.error(`Stride could not analyse ${uri}: ${errorText(e)}`);
    }
  };

  /**
   * A request handler that checks its parameters first: parameters without their protocol shape are answered
   * with InvalidParams (-32602) and a message that names the field.
   */
  const checked =
    <P, R>(method: string, check: (raw: unknown) => P, handle: (p: P) => R) =>
    (raw: unknown): R => {
      let p: P;
      try {
        p = check(raw);
      } catch (e) {
        if (e instanceof BadParams) throw new ResponseError(ErrorCodes.InvalidParams, `${method}: ${e.message}`);
        throw e;
      }
      return handle(p);
    };

  /** A notification handler that checks its parameters first: a bad notification is logged and ignored. */
  const notified =
    <P>(method: string, check: (raw: unknown) => P, handle: (p: P) => void) =>
    (raw: unknown): void => {
      try {
        handle(check(raw));
      } catch (e) {
        connection.console.error(e instanceof BadParams ? `ignored ${method}: ${e.message}` : `${method} failed: ${errorText(e)}`);
      }
    };

  const schedule = (uri: string) => {
    clearTimeout(pending.get(uri));
    const now = performance.now();
    const delay = analysisDelay(lastCost.get(uri) ?? 0, now - (lastChange.get(uri) ?? -Infinity));
    lastChange.set(uri, now);
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
    settings = readSettings(raw, machine);
    refreshAll();
  };

  connection.onInitialize(checked('initialize', initializeParams, (params): InitializeResult => {
    const workspace = params.capabilities.workspace;
    pullConfiguration = typeof workspace === 'object' && workspace !== null && workspace.configuration === true;
    const init = params.initializationOptions as { settings?: unknown; machine?: unknown } | undefined | null;
    if (typeof init === 'object' && init !== null) {
      machine = readMachine(init.machine);
      settings = readSettings(init.settings, machine);
    }
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
  }));

  connection.onInitialized(() => {
    if (pullConfiguration) {
      logged(connection.client.register(DidChangeConfigurationNotification.type, { section: 'stride' }));
      logged(updateSettings(undefined), 'reading the settings');
    }
  });

  connection.onDidChangeConfiguration(
    notified('workspace/didChangeConfiguration', params, (change) => {
      const pushed = change.settings;
      logged(updateSettings(typeof pushed === 'object' && pushed !== null ? (pushed as { stride?: unknown }).stride : undefined), 'reading the settings');
    }),
  );

  documents.onDidOpen((e) => publish(e.document.uri));
  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidClose((e) => {
    clearTimeout(pending.get(e.document.uri));
    pending.delete(e.document.uri);
    lastChange.delete(e.document.uri);
    lastCost.delete(e.document.uri);
    states.delete(e.document.uri);
    logged(connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }));
  });

  const offsetOf = (s: DocumentState, p: { line: number; character: number }) => s.lines.offset(p);

  connection.onHover(
    checked('textDocument/hover', atPosition, (p) => {
      const s = state(p.uri);
      return (s && hover(s, offsetOf(s, p.position), settings)) ?? null;
    }),
  );
  connection.languages.inlayHint.on(
    checked('textDocument/inlayHint', inRange, (p) => {
      const s = state(p.uri);
      if (!s || !settings.inlayHints.enabled) return [];
      return inlayHints(s, offsetOf(s, p.range.start), offsetOf(s, p.range.end), settings.inlayHints.unchangedShapes);
    }),
  );
  connection.onCompletion(
    checked('textDocument/completion', atPosition, (p) => {
      const s = state(p.uri);
      return s ? completions(s, offsetOf(s, p.position)) : [];
    }),
  );
  connection.onSignatureHelp(
    checked('textDocument/signatureHelp', atPosition, (p) => {
      const s = state(p.uri);
      return (s && signature(s, offsetOf(s, p.position))) ?? null;
    }),
  );
  connection.onDefinition(
    checked('textDocument/definition', atPosition, (p) => {
      const s = state(p.uri);
      return (s && definition(s, offsetOf(s, p.position))) ?? null;
    }),
  );
  connection.onReferences(
    checked('textDocument/references', referenceParams, (p) => {
      const s = state(p.uri);
      return s ? references(s, offsetOf(s, p.position), p.includeDeclaration) : [];
    }),
  );
  connection.onPrepareRename(
    checked('textDocument/prepareRename', atPosition, (p) => {
      const s = state(p.uri);
      return (s && prepareRename(s, offsetOf(s, p.position))) ?? null;
    }),
  );
  connection.onRenameRequest(
    checked('textDocument/rename', renameParams, (p) => {
      const s = state(p.uri);
      const edit = s && rename(s, offsetOf(s, p.position), p.newName);
      if (typeof edit === 'string') throw new ResponseError(ErrorCodes.InvalidParams, edit);
      return edit ?? null;
    }),
  );
  connection.onDocumentSymbol(
    checked('textDocument/documentSymbol', inDocument, (p) => {
      const s = state(p.uri);
      return s ? documentSymbols(s) : [];
    }),
  );
  connection.onFoldingRanges(
    checked('textDocument/foldingRange', inDocument, (p) => {
      const s = state(p.uri);
      return s ? foldingRanges(s) : [];
    }),
  );
  connection.languages.semanticTokens.on(
    checked('textDocument/semanticTokens/full', inDocument, (p) => {
      const s = state(p.uri);
      return s ? semantic(s) : { data: [] };
    }),
  );
  connection.onDocumentFormatting(
    checked('textDocument/formatting', formattingParams, (p) => {
      const s = state(p.uri);
      return s ? formatDocument(s, p.options) : [];
    }),
  );
  connection.onCodeAction(
    checked('textDocument/codeAction', inRange, (p) => {
      const s = state(p.uri);
      return s ? codeActions(s, offsetOf(s, p.range.start), offsetOf(s, p.range.end)) : [];
    }),
  );
  connection.onCodeLens(
    checked('textDocument/codeLens', inDocument, (p) => {
      const s = state(p.uri);
      return s ? codeLenses(s) : [];
    }),
  );
  connection.onRequest(
    SummaryRequest,
    checked(SummaryRequest, summaryParams, (p): SummaryResult | null => {
      const s = state(p.uri);
      return s ? { text: summaryText(s.analysis), ...(p.table ? { table: summaryTable(s.analysis) } : {}) } : null;
    }),
  );
  connection.onRequest(
    NetworkAtRequest,
    checked(NetworkAtRequest, networkAtParams, (p): NetworkAtResult | null => {
      const s = state(p.uri);
      if (!s) return null;
      const offset = s.lines.lineStart(p.line);
      const net = s.analysis.networks.find((n) => offset >= s.lines.lineStart(s.lines.position(n.decl.start).line) && offset <= n.decl.end);
      if (!net || net.layers.length === 0) return null;
      const m = net.memory;
      return { name: net.name, params: net.totals.trainableParams, macs: net.totals.macs, training: m.training, ...(m.budget !== undefined ? { budget: m.budget } : {}), complete: net.totals.complete };
    }),
  );

  connection.onRequest(
    DiffRequest,
    checked(DiffRequest, diffParams, (p): DiffResult | null => {
      const s = state(p.uri);
      if (!s) return null;
      const after = s.analysis;
      const before = analyze(p.against, settings.memory);
      const networks = after.networks.map((n) => n.name);
      const netB = (p.network !== undefined ? after.networks.find((n) => n.name === p.network) : undefined) ?? after.networks[0];
      const netA = netB && (before.networks.find((n) => n.name === netB.name) ?? (before.networks.length === 1 ? before.networks[0] : undefined));
      if (!netB || !netA) return null;
      const diff = diffNetworks(before, netA, after, netB);
      return { diff, comparison: graphComparison(diff, p.againstLabel), networks };
    }),
  );
  connection.onRequest(
    GraphRequest,
    checked(GraphRequest, uriOnly, (p: GraphParams): GraphResult | null => {
      const s = state(p.uri);
      return s ? graph(s) : null;
    }),
  );
  connection.onRequest<GraphEditReply, void>(
    GraphEditRequest,
    checked(GraphEditRequest, graphEditParams, (p): GraphEditReply => {
      const s = state(p.uri);
      return s ? graphEdit(s, p) : { error: 'the document is not open in the editor' };
    }),
  );

  // The document notifications reach TextDocuments only once checked: text it is given is always a string.
  const checkedDocuments: Parameters<typeof documents.listen>[0] = {
    onDidOpenTextDocument: (h) => connection.onDidOpenTextDocument(notified('textDocument/didOpen', openParams, h)),
    onDidChangeTextDocument: (h) => connection.onDidChangeTextDocument(notified('textDocument/didChange', changeParams, h)),
    onDidCloseTextDocument: (h) => connection.onDidCloseTextDocument(notified('textDocument/didClose', documentParams, h)),
    onWillSaveTextDocument: (h) => connection.onWillSaveTextDocument(notified('textDocument/willSave', documentParams, h)),
    onWillSaveTextDocumentWaitUntil: (h) => connection.onWillSaveTextDocumentWaitUntil((raw, token) => checked('textDocument/willSaveWaitUntil', documentParams<WillSaveTextDocumentParams>, (p) => h(p, token))(raw)),
    onDidSaveTextDocument: (h) => connection.onDidSaveTextDocument(notified('textDocument/didSave', documentParams, h)),
  };
  documents.listen(checkedDocuments);
  connection.listen();
}

startServer(createConnection(ProposedFeatures.all));
