import { InlayHintKind, type InlayHint } from 'vscode-languageserver';
import { hintText } from '../views/explain.js';
import { statements } from '../views/query.js';
import type { Stmt } from '../syntax/syntax.js';
import type { DocumentState } from './documents.js';

/**
 * `→ 55x55x96 · 34,944 params` after each line that makes layers, within [start, end); `all` keeps the hints
 * of lines that hand their shape on unchanged (`stride.inlayHints.unchangedShapes`).
 */
export function inlayHints(doc: DocumentState, start: number, end: number, all = false): InlayHint[] {
  const out: InlayHint[] = [];
  for (const decl of doc.analysis.file.decls) {
    if (decl.kind !== 'network' || decl.end < start || decl.start > end) continue;
    for (const { stmt } of statements(decl.body?.stmts ?? [])) {
      const at = hintOffset(doc.text, stmt);
      if (at === undefined || at < start || at > end) continue;
      const groups = doc.index.of(stmt);
      const text = groups.length > 0 ? hintText(groups[0].net, groups[0].layers, all) : undefined;
      if (text) out.push({ position: doc.lines.position(at), label: text, kind: InlayHintKind.Type, paddingLeft: true });
    }
  }
  return out;
}

/**
 * A one-line statement gets its hint at its end; a structure whose body spans lines gets it after its
 * closing brace, where its output is known. Statements nested in a one-line body get none. A line with a
 * trailing `# comment` gets it after the comment: placed before, it would push a comment aligned by hand
 * out of its column.
 */
function hintOffset(text: string, stmt: Stmt): number | undefined {
  const lineStart = text.lastIndexOf('\n', stmt.start - 1) + 1;
  const newline = text.indexOf('\n', stmt.end);
  const lineEnd = newline < 0 ? text.length : newline;
  if (!text.slice(stmt.start, stmt.end).includes('\n')) {
    // Nested in a one-line body such as `repeat 2 { conv …; relu }`: the outer statement speaks for it.
    if (/[{;]/.test(text.slice(lineStart, stmt.start))) return undefined;
  }
  const rest = text.slice(stmt.end, lineEnd);
  const comment = rest.indexOf('#');
  // `conv 64 3x3; relu`: a hint mid-line would split the line; such lines go without.
  if ((comment < 0 ? rest : rest.slice(0, comment)).trim() !== '') return undefined;
  if (comment < 0) return stmt.end;
  return text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
}
