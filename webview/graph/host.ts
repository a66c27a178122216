import type { WebviewToHost } from '../protocol.js';

/** What VS Code keeps for a webview while it is hidden or reloaded (`getState`/`setState`). */
export interface SavedState {
  /** The user's expand (false) or collapse (true) choice per group id; groups not here follow the default. */
  collapsed: Record<string, boolean>;
  /** The network last shown, by name. */
  network?: string;
  /** Whether the user opened (true) or folded (false) the side panel; absent, it follows the width. */
  side?: boolean;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** The one channel to the extension: typed messages out, state kept across reloads. */
export class Host {
  private readonly api: VsCodeApi | undefined;

  constructor() {
    // Outside VS Code (a page opened by hand) there is no host: messages go nowhere.
    this.api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;
  }

  post(message: WebviewToHost): void {
    this.api?.postMessage(message);
  }

  loadState(): SavedState {
    const raw = this.api?.getState();
    const state: SavedState = { collapsed: {} };
    if (!raw || typeof raw !== 'object') return state;
    const r = raw as { collapsed?: unknown; network?: unknown; side?: unknown };
    if (r.collapsed && typeof r.collapsed === 'object') {
      for (const [k, v] of Object.entries(r.collapsed as Record<string, unknown>)) if (typeof v === 'boolean') state.collapsed[k] = v;
    }
    if (typeof r.network === 'string') state.network = r.network;
    if (typeof r.side === 'boolean') state.side = r.side;
    return state;
  }

  saveState(state: SavedState): void {
    this.api?.setState(state);
  }
}
