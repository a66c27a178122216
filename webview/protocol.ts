/**
 * Every message between the extension and its webviews (the run panel and the graph editor), as two
 * discriminated unions on `type`. A webview sends `ready` when its script has loaded and the host answers
 * with its state; replies carry the `requestId` of what they answer.
 */
import type { GraphEdit } from '../language/edits/graph-edit.js';
import type { GraphModel } from '../language/views/graph.js';
import type { GraphComparison } from '../language/views/diff.js';
import type { PaletteEntry } from '../language/edits/palette.js';

/** Webview → extension. */
export type WebviewToHost =
  | { type: 'ready' }
  /** A per-layer bar, feature map or graph node was clicked: show that source line (0-based). */
  | { type: 'reveal'; line: number }
  /** The graph editor asks for a change to the text; the host answers with `editResult`. */
  | { type: 'edit'; requestId: number; edit: GraphEdit }
  /** The run panel: run again (with this batch), choose or drop the input or weights, or act on CUDA. */
  | { type: 'run'; action: RunPanelAction; batch?: number }
  /** The graph editor exported its diagram: SVG text, or a PNG as base64. The host asks where to save it. */
  | { type: 'saveImage'; format: 'svg' | 'png'; data: string; name: string }
  /** The graph editor's user ended the comparison it shows. */
  | { type: 'endCompare' };

export type RunPanelAction = 'rerun' | 'chooseInput' | 'randomInput' | 'chooseWeights' | 'randomWeights' | 'setUpGpu' | 'useCpu' | 'copyDetails';

/** Extension → webview. */
export type HostToWebview =
  /**
   * The graph editor's document as a diagram, sent on open and after every settled change of the text.
   * `select`: the offset of a statement whose node to select (after the webview's own edit).
   */
  | { type: 'graph'; version: number; model: GraphModel; palette: PaletteEntry[]; select?: number }
  /** The cursor in the text editor moved to this 0-based line: highlight the nodes it made. */
  | { type: 'cursor'; line: number }
  /** The answer to an `edit`: `error` when the edit could not be made (the text changed meanwhile, …). */
  | { type: 'editResult'; requestId: number; error?: string }
  /**
   * The diagram compared with another version (Stride: Compare with…): colour what was added and changed,
   * show the removed layers and the deltas; `undefined` ends the comparison. Sent after `graph` whenever
   * either changes.
   */
  | { type: 'compare'; comparison: GraphComparison | undefined };
