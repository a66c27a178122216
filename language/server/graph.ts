import { buildGraph } from '../views/graph.js';
import { graphEdit } from '../edits/graph-edit.js';
import { palette } from '../edits/palette.js';
import { textEdit } from './convert.js';
import type { DocumentState } from './documents.js';
import type { GraphEditParams, GraphEditReply, GraphResult } from './protocol.js';

/** The graph editor's requests: the diagram of a document, and its changes as text edits. */

/** The same for every document: built on the first request. */
let paletteEntries: ReturnType<typeof palette> | undefined;

export function graph(doc: DocumentState): GraphResult {
  const { batch, dtype } = doc.analysis.options;
  return { version: doc.version, model: buildGraph(doc.analysis), palette: (paletteEntries ??= palette()), memory: { batch, dtype } };
}

export function edit(doc: DocumentState, p: GraphEditParams): GraphEditReply {
  if (p.version !== doc.version) return { error: 'the text changed while the graph was being edited; try again on the updated graph' };
  const r = graphEdit(doc.analysis, p.edit);
  if ('error' in r) return r;
  return { edits: r.edits.map((e) => textEdit(doc.lines, e)), ...(r.select !== undefined ? { select: r.select } : {}) };
}
