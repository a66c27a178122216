/**
 * Every message between the extension and its webviews, as two discriminated unions on `type`. A webview
 * sends `ready` when its script has loaded; replies carry the `requestId` of what they answer.
 */

/** Webview → extension. */
export type WebviewToHost =
  | { type: 'ready' }
  /** The run panel: a per-layer bar or a feature map was clicked; show that source line. */
  | { type: 'reveal'; line: number };

/** Extension → webview. */
export type HostToWebview = { type: 'focusLayer'; layer: string };
