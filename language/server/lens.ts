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
    return [{ range: range(doc.lines, net.decl.name), command: { title, command: 'stride.showSummary', arguments: [doc.uri, net.name] } }];
  });
}
