import type { Analysis, NetworkAnalysis } from '../language/index.js';
import { pytorchModule, TorchExportError } from '../language/views/pytorch.js';
import { ExportError } from './export.js';

/** A network → the text of a PyTorch `.py` file (`language/views/pytorch.ts`); a layer PyTorch cannot express is an ExportError. */
export function exportPytorch(a: Analysis, net: NetworkAnalysis, file?: string): string {
  try {
    return pytorchModule(a, net, { file });
  } catch (e) {
    if (e instanceof TorchExportError) throw new ExportError(e.message);
    throw e;
  }
}
