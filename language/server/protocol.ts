/** Requests the Stride server answers beyond LSP; the extension imports these names and shapes. */

export const SummaryRequest = 'stride/summary';
export interface SummaryParams {
  uri: string;
}
export interface SummaryResult {
  /** The summary table as `stride summary` prints it. */
  text: string;
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
