/** Requests the Stride server answers beyond LSP; the extension imports these names and shapes. */
import type { TextEdit as LspTextEdit } from 'vscode-languageserver';
import type { GraphEdit } from '../edits/graph-edit.js';
import type { GraphModel } from '../views/graph.js';
import type { SummaryTable } from '../views/summary-table.js';
import type { GraphComparison, NetworkDiff } from '../views/diff.js';
import type { PaletteEntry } from '../edits/palette.js';

export const SummaryRequest = 'stride/summary';
export interface SummaryParams {
  uri: string;
  /** Also the table Stride: Show Summary draws. */
  table?: boolean;
}
export interface SummaryResult {
  /** The summary table as `stride summary` prints it. */
  text: string;
  table?: SummaryTable;
}

export const NetworkAtRequest = 'stride/networkAt';
export interface NetworkAtParams {
  uri: string;
  line: number;
}
export interface NetworkAtResult {
  name: string;
  params: number;
  macs: number;
  /** Training memory in bytes at the configured batch, dtype and optimizer. */
  training: number;
  budget?: number;
  complete: boolean;
}

/**
 * The command a quick fix runs to set `stride.batchSize` (the batch is a setting, not text): its one argument
 * is the new batch, a whole number ≥ 1. The extension registers it and writes the setting.
 */
export const SetBatchSizeCommand = 'stride.setBatchSize';

/** The document as a diagram, for the graph editor. */
export const GraphRequest = 'stride/graph';
export interface GraphParams {
  uri: string;
}
export interface GraphResult {
  /** The document version the model was built from. */
  version: number;
  model: GraphModel;
  palette: PaletteEntry[];
  /** The batch and dtype the model's memory figures are for: the server's settings when it was built. */
  memory: { batch: number; dtype: string };
}

/**
 * A change made in the graph editor, as text edits. `version` is the document version the editor's model came
 * from: when the text has changed since, its statement offsets are stale and the edit is refused.
 */
export const GraphEditRequest = 'stride/graphEdit';
export interface GraphEditParams {
  uri: string;
  version: number;
  edit: GraphEdit;
}
export type GraphEditReply =
  /** `select`: the offset, in the text after the edits, of the statement the editor should select. */
  | { edits: LspTextEdit[]; select?: number }
  | { error: string };

/** A comparison of a document's network with another version's text (Stride: Compare with…, its graph overlay). */
export const DiffRequest = 'stride/diff';
export interface DiffParams {
  uri: string;
  /** The other version's text: the one before. */
  against: string;
  /** How the other version is named to the user: `resnet18.stride@HEAD`. */
  againstLabel: string;
  network?: string;
}
export interface DiffResult {
  diff: NetworkDiff;
  comparison: GraphComparison;
  /** The networks compared, and those to choose from when the document has several. */
  networks: string[];
}
