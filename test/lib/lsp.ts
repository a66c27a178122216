import { spawn, type ChildProcess } from 'node:child_process';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { nchwcBlock } from '../../runtime/cpu.js';
import { ROOT } from './cli.js';

/** A real LSP client over stdio to `dist/server.js`, for tests and benchmarks. */
export class LspClient {
  readonly connection: MessageConnection;
  private readonly child: ChildProcess;
  private readonly diagnostics = new Map<string, { version?: number; diagnostics: LspDiagnostic[] }>();
  private readonly waiters: { uri: string; version?: number; resolve: () => void }[] = [];
  /** What the server asks `workspace/configuration` for: the `stride` section. */
  settings: Record<string, unknown> = {};

  private constructor(flags: string[]) {
    this.child = spawn(process.execPath, [...flags, `${ROOT}dist/server.js`, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.connection = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: LspDiagnostic[] }) => {
      this.diagnostics.set(p.uri, p);
      for (const w of [...this.waiters]) {
        if (w.uri === p.uri && (w.version === undefined || p.version === w.version)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
    this.connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map(() => this.settings));
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/inlayHint/refresh', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => null);
    this.connection.listen();
  }

  static async start(options: { settings?: Record<string, unknown>; flags?: string[] } = {}): Promise<LspClient> {
    const c = new LspClient(options.flags ?? []);
    c.settings = options.settings ?? {};
    await c.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { workspace: { configuration: true }, textDocument: { hover: { contentFormat: ['markdown'] } } },
      // As the extension tells it: the inference estimate follows ONNX Runtime's kernels on this machine.
      initializationOptions: { machine: { nchwcBlock: nchwcBlock() } },
    });
    c.connection.sendNotification('initialized', {});
    return c;
  }

  /** Opens a document and waits for its first diagnostics. */
  async open(uri: string, text: string, version = 1): Promise<LspDiagnostic[]> {
    const published = this.waitForDiagnostics(uri, version);
    this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'stride', version, text } });
    await published;
    return this.diagnostics.get(uri)!.diagnostics;
  }

  /** Replaces a document's text and waits for the diagnostics of the new version. */
  async change(uri: string, version: number, changes: ({ text: string } | { range: LspRange; text: string })[]): Promise<LspDiagnostic[]> {
    const published = this.waitForDiagnostics(uri, version);
    this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    await published;
    return this.diagnostics.get(uri)!.diagnostics;
  }

  waitForDiagnostics(uri: string, version?: number): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ uri, version, resolve }));
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest(method, params) as Promise<T>;
  }

  async stop(): Promise<void> {
    await this.connection.sendRequest('shutdown').catch(() => undefined);
    this.connection.sendNotification('exit');
    this.connection.dispose();
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
      setTimeout(() => {
        this.child.kill();
        resolve();
      }, 2000);
    });
  }
}

export interface LspPosition {
  line: number;
  character: number;
}
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}
export interface LspDiagnostic {
  range: LspRange;
  severity?: number;
  code?: string;
  message: string;
  relatedInformation?: { location: { uri: string; range: LspRange }; message: string }[];
}

/**
 * Fixture text with positions marked `<|>` (or `<1>`, `<2>` …): the clean text and each mark's position.
 */
export function marked(source: string): { text: string; at: Record<string, LspPosition> } {
  const at: Record<string, LspPosition> = {};
  let text = '';
  let line = 0;
  let character = 0;
  for (let i = 0; i < source.length; ) {
    const m = /^<(\||\w+)>/.exec(source.slice(i));
    if (m) {
      at[m[1] === '|' ? 'cursor' : m[1]] = { line, character };
      i += m[0].length;
      continue;
    }
    const ch = source[i++];
    text += ch;
    if (ch === '\n') {
      line++;
      character = 0;
    } else character++;
  }
  return { text, at };
}
