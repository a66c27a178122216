import { InlayHintKind, type InlayHint } from 'vscode-languageserver';
import { shortFacts } from '../views/explain.js';
import { statements } from '../views/query.js';
import type { Stmt } from '../syntax/syntax.js';
import type { DocumentState } from './documents.js';

/** `55x55x96 · 34,944 params` after each line that makes layers, within [start, end). */
export function inlayHints(doc: DocumentState, start: number, end: number): InlayHint[] {
  const out: InlayHint[] = [];
  for (const decl of doc.analysis.file.decls) {
    if (decl.kind !== 'network' || decl.end < start || decl.start > end) continue;
    for (const { stmt } of statements(decl.body?.stmts ?? [])) {
      const at = hintOffset(doc.text, stmt);
      if (at === undefined || at < start || at > end) continue;
      const groups = doc.index.of(stmt);
      const text = groups.length > 0 ? shortFacts(groups[0].layers) : undefined;
      if (text) out.push({ position: doc.lines.position(at), label: text, kind: InlayHintKind.Type, paddingLeft: true });
    }
  }
  return out;
}

/**
 * A one-line statement gets its hint at its end; a structure whose body spans lines gets it after its
 * closing brace, where its output is known. Statements nested in a one-line body get none.
 */
function hintOffset(text: string, stmt: Stmt): number | undefined {
  const firstLine = text.slice(stmt.start, stmt.end);
  const multiline = firstLine.includes('\n');
  if (!multiline) {
    // Nested in a one-line body such as `repeat 2 { conv …; relu }`: the outer statement speaks for it.
    const lineStart = text.lastIndexOf('\n', stmt.start - 1) + 1;
    const lineEnd = text.indexOf('\n', stmt.end);
    if (/[{;]/.test(text.slice(lineStart, stmt.start))) return undefined;
    // `conv 64 3x3; relu`: a hint mid-line would split the line; such lines go without.
    if (text.slice(stmt.end, lineEnd < 0 ? text.length : lineEnd).replace(/#.*/, '').trim() !== '') return undefined;
    return stmt.end;
  }
  return stmt.end;
}
