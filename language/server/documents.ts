import { analyze, LineIndex, type Analysis, type MemoryOptions } from '../index.js';
import { LayerIndex, symbols, type NameRef } from '../views/query.js';

/** One open document's text and everything derived from it, computed when first asked for. */
export class DocumentState {
  private analysisCache?: Analysis;
  private indexCache?: LayerIndex;
  private namesCache?: NameRef[];
  private linesCache?: LineIndex;

  constructor(
    readonly uri: string,
    readonly version: number,
    readonly text: string,
    private readonly options: MemoryOptions,
  ) {}

  get analysis(): Analysis {
    return (this.analysisCache ??= analyze(this.text, this.options));
  }
  get index(): LayerIndex {
    return (this.indexCache ??= new LayerIndex(this.analysis));
  }
  get names(): NameRef[] {
    return (this.namesCache ??= symbols(this.analysis));
  }
  get lines(): LineIndex {
    return (this.linesCache ??= new LineIndex(this.text));
  }
}
