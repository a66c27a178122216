import type { CodeLens } from 'vscode-languageserver';
import { formatBytes, formatCompact, formatCount } from '../index.js';
import { range } from './convert.js';
import type { DocumentState } from './documents.js';

/** Totals on each network's first line; clicking shows the summary table. */
export function codeLenses(doc: DocumentState): CodeLens[] {
  return doc.analysis.networks.flatMap((net): CodeLens[] => {
    if (!net.decl.name || net.layers.length === 0) return [];
    const t = net.totals;
    const m = net.memory;
    const partial = t.complete ? '' : ' (partial: some shapes unknown)';
    const over = m.budget !== undefined && m.training > m.budget ? ` — over the ${formatBytes(m.budget)} budget` : '';
    const title = `${formatCount(t.trainableParams)} params · ${formatCompact(t.macs)} MACs · ${formatBytes(m.training)} to train${over}${partial}`;
    const at = range(doc.lines, net.decl.name);
    const lenses: CodeLens[] = [{ range: at, command: { title, command: 'stride.showSummary', arguments: [doc.uri, net.name] } }];
    // Running and exporting need a network without errors; the lenses appear when it has none.
    if (!doc.analysis.diagnostics.some((d) => d.severity === 'error')) {
      lenses.push({ range: at, command: { title: '▶ Run', command: 'stride.runNetwork', arguments: [doc.uri, net.name] } });
      lenses.push({ range: at, command: { title: 'Export ONNX', command: 'stride.exportOnnx', arguments: [doc.uri, net.name] } });
    }
    lenses.push({ range: at, command: { title: 'Graph', command: 'stride.openGraphEditor', arguments: [doc.uri] } });
    return lenses;
  });
}
