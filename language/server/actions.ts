import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import { Codes, formatCount, type Diagnostic } from '../index.js';
import { locate } from '../views/query.js';
import { refactorsFor } from '../edits/refactor.js';
import { checkpointRefactors } from '../edits/checkpoint.js';
import { SetBatchSizeCommand } from './protocol.js';
import { diagnostic, textEdit } from './convert.js';
import type { DocumentState } from './documents.js';

/**
 * Quick fixes for the problems on the lines of a range, and the notes' refactors for the statement there.
 * Lines, not offsets: a cursor anywhere on a line asks about that line's problems.
 */
export function codeActions(doc: DocumentState, rangeStart: number, rangeEnd: number): CodeAction[] {
  const lines = doc.lines;
  const start = lines.lineStart(lines.position(rangeStart).line);
  const endLine = lines.position(rangeEnd).line;
  const end = endLine + 1 < lines.lineCount ? lines.lineStart(endLine + 1) - 1 : doc.text.length;
  const out: CodeAction[] = [];
  const edit = (edits: { span: { start: number; end: number }; newText: string }[]) => ({ changes: { [doc.uri]: edits.map((e) => textEdit(doc.lines, e)) } });
  for (const d of doc.analysis.diagnostics) {
    if (d.span.end < start || d.span.start > end) continue;
    if (d.code === Codes.memoryOverBudget) {
      const fix = batchFix(doc, d);
      if (fix) out.push(fix);
    }
    if (!d.fixes) continue;
    const lsp: LspDiagnostic = diagnostic(doc.lines, doc.uri, d);
    for (const fix of d.fixes) {
      out.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [lsp], isPreferred: fix.preferred === true, edit: edit(fix.edits) });
    }
  }
  const stmt = locate(doc.analysis, firstCode(doc.text, start, end))?.stmt;
  if (stmt) {
    for (const r of refactorsFor(doc.analysis, doc.index, stmt)) out.push({ title: r.title, kind: CodeActionKind.RefactorRewrite, edit: edit(r.edits) });
    for (const r of checkpointRefactors(doc.analysis, stmt)) out.push({ title: r.title, kind: CodeActionKind.RefactorRewrite, edit: edit(r.edits) });
  }
  return out;
}

/**
 * A network that does not fit the memory budget: the batch is a setting, not text, so the fix is a command
 * the extension runs to change `stride.batchSize`, with the largest batch that fits as the analysis found it.
 */
function batchFix(doc: DocumentState, d: Diagnostic): CodeAction | undefined {
  const net = doc.analysis.networks.find((n) => n.decl.name?.start === d.span.start && n.decl.name.end === d.span.end);
  const batch = net?.memory.maxBatch;
  if (batch === undefined || batch < 1) return undefined;
  const title = `Set the batch size to ${formatCount(batch)} (stride.batchSize)`;
  return { title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic(doc.lines, doc.uri, d)], isPreferred: true, command: { title, command: SetBatchSizeCommand, arguments: [batch] } };
}

/** The first non-blank offset in [start, end], where a line's statement begins. */
function firstCode(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}
