import type { Diagnostic as LspDiagnostic, Range, TextEdit as LspTextEdit } from 'vscode-languageserver';
import { DiagnosticSeverity } from 'vscode-languageserver';
import type { Diagnostic, LineIndex, Span, TextEdit } from '../index.js';

/** Offsets ↔ LSP positions, and core data → LSP types. Nothing else in the server converts. */

export function range(lines: LineIndex, s: Span): Range {
  return { start: lines.position(s.start), end: lines.position(s.end) };
}

export function textEdit(lines: LineIndex, e: TextEdit): LspTextEdit {
  return { range: range(lines, e.span), newText: e.newText };
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

export function diagnostic(lines: LineIndex, uri: string, d: Diagnostic): LspDiagnostic {
  return {
    range: range(lines, d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'stride',
    message: d.message,
    ...(d.related ? { relatedInformation: d.related.map((r) => ({ location: { uri, range: range(lines, r.span) }, message: r.message })) } : {}),
  };
}
