import type { Hover } from 'vscode-languageserver';
import { attrHover, blockHover, expansionHover, layerHover, networkHover, opHover, unknownHover } from '../views/explain.js';
import { findOp } from '../index.js';
import { contains, locate } from '../views/query.js';
import type { Stmt } from '../syntax/syntax.js';
import { range } from './convert.js';
import type { DocumentState } from './documents.js';
import type { Settings } from './settings.js';

/** What the cursor is on: a network, a block, an attribute, or a line that made layers. */
export function hover(doc: DocumentState, offset: number, settings: Settings): Hover | undefined {
  const a = doc.analysis;
  const at = locate(a, offset);
  if (!at) return undefined;
  const { decl, stmt } = at;
  const md = (value: string, span: { start: number; end: number }): Hover => ({ contents: { kind: 'markdown', value }, range: range(doc.lines, span) });
  if (!stmt) {
    if (decl.kind === 'network') {
      const net = a.networks.find((n) => n.decl === decl);
      return net && net.layers.length > 0 ? md(networkHover(net, settings.memory), decl.name ?? decl.keyword) : undefined;
    }
    return decl.name && contains(decl.name, offset) ? md(blockHover(decl, a), decl.name) : undefined;
  }
  const attr = attributeAt(stmt, offset);
  if (attr) return md(attr.text, attr.span);
  return layerLine(doc, stmt, settings, md);
}

function attributeAt(stmt: Stmt, offset: number): { text: string; span: { start: number; end: number } } | undefined {
  const op = findOp(stmt.head.name);
  if (!op) return undefined;
  for (const arg of stmt.args) {
    const word = arg.key ?? (arg.value.kind === 'name' ? arg.value : undefined);
    if (!word || !contains(word, offset)) continue;
    const name = 'name' in word ? word.name : '';
    const spec = op.attrs.find((s) => s.name === name);
    if (spec) return { text: attrHover(op, spec), span: word };
  }
  return undefined;
}

function layerLine(doc: DocumentState, stmt: Stmt, settings: Settings, md: (v: string, s: { start: number; end: number }) => Hover): Hover | undefined {
  const groups = doc.index.of(stmt);
  const op = findOp(stmt.head.name);
  const block = doc.analysis.blocks.get(stmt.head.name);
  if (groups.length === 0) return op ? md(opHover(op), stmt.head) : undefined;
  if (!op && !block) {
    const problem = doc.analysis.diagnostics.find((d) => d.span.start === stmt.head.start && d.span.end === stmt.head.end);
    return md(unknownHover(stmt.head.name, problem?.message), stmt.head);
  }
  const { net, layers } = groups[0];
  const title = doc.text.slice(stmt.head.start, stmt.args.length ? stmt.args[stmt.args.length - 1].end : stmt.head.end);
  const direct = doc.index.madeBy(stmt);
  if (op && !block && direct.length > 0 && !stmt.body) return md(layerHover(net, direct[0].layers, settings.memory), stmt.head);
  return md(expansionHover(net, layers, title), stmt.head);
}
