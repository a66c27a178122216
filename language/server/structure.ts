import { CompletionItemKind, FoldingRangeKind, InsertTextFormat, SymbolKind, type CompletionItem, type DocumentSymbol, type FoldingRange, type SemanticTokens, type SignatureHelp } from 'vscode-languageserver';
import { complete, signatureHelp, type CompletionKind } from '../edits/complete.js';
import { folds, outline, semanticTokens, TOKEN_TYPES, type OutlineItem } from '../views/outline.js';
import { range } from './convert.js';
import type { DocumentState } from './documents.js';

/** Outline, folding, highlighting and completion: the file's structure, converted to LSP. */

const SYMBOL_KIND: Record<OutlineItem['kind'], SymbolKind> = {
  network: SymbolKind.Class,
  block: SymbolKind.Function,
  layer: SymbolKind.Field,
  structure: SymbolKind.Namespace,
  call: SymbolKind.Method,
};

export function documentSymbols(doc: DocumentState): DocumentSymbol[] {
  const convert = (i: OutlineItem): DocumentSymbol => ({
    name: i.name,
    kind: SYMBOL_KIND[i.kind],
    ...(i.detail ? { detail: i.detail } : {}),
    range: range(doc.lines, i.span),
    selectionRange: range(doc.lines, i.selection),
    children: i.children.map(convert),
  });
  return outline(doc.analysis, doc.index).map(convert);
}

export function foldingRanges(doc: DocumentState): FoldingRange[] {
  return folds(doc.analysis).map((f) => {
    const start = doc.lines.position(f.start).line;
    const end = doc.lines.position(f.end).line;
    // The closing brace stays visible: fold up to the line before it.
    return { startLine: start, endLine: f.kind === 'comment' ? end : Math.max(start, end - 1), ...(f.kind === 'comment' ? { kind: FoldingRangeKind.Comment } : {}) };
  }).filter((r) => r.endLine > r.startLine);
}

export const SEMANTIC_LEGEND = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: ['declaration'] };

export function semantic(doc: DocumentState): SemanticTokens {
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  for (const t of semanticTokens(doc.analysis)) {
    const p = doc.lines.position(t.start);
    const end = doc.lines.position(t.start + t.length);
    if (end.line !== p.line) continue;
    data.push(p.line - prevLine, p.line === prevLine ? p.character - prevChar : p.character, t.length, TOKEN_TYPES.indexOf(t.type), t.declaration ? 1 : 0);
    prevLine = p.line;
    prevChar = p.character;
  }
  return { data };
}

const COMPLETION_KIND: Record<CompletionKind, CompletionItemKind> = {
  op: CompletionItemKind.Function,
  block: CompletionItemKind.Class,
  keyword: CompletionItemKind.Keyword,
  attribute: CompletionItemKind.Property,
  value: CompletionItemKind.EnumMember,
  tensor: CompletionItemKind.Variable,
  param: CompletionItemKind.Variable,
  snippet: CompletionItemKind.Snippet,
};

export function completions(doc: DocumentState, offset: number): CompletionItem[] {
  return complete(doc.analysis, offset).map((c) => ({
    label: c.label,
    kind: COMPLETION_KIND[c.kind],
    ...(c.detail ? { detail: c.detail } : {}),
    ...(c.documentation ? { documentation: { kind: 'markdown', value: c.documentation } } : {}),
    ...(c.snippet ? { insertText: c.snippet, insertTextFormat: InsertTextFormat.Snippet } : {}),
    ...(c.sortText ? { sortText: c.sortText } : {}),
    ...(c.preselect ? { preselect: true } : {}),
  }));
}

export function signature(doc: DocumentState, offset: number): SignatureHelp | undefined {
  const s = signatureHelp(doc.analysis, offset);
  if (!s) return undefined;
  return { signatures: [{ label: s.label, parameters: s.params.map((p) => ({ label: p.label })) }], activeSignature: 0, activeParameter: s.active };
}
