import type { FormattingOptions, TextEdit } from 'vscode-languageserver';
import { formatText } from '../edits/format-text.js';
import { textEdit } from './convert.js';
import type { DocumentState } from './documents.js';

/** Whole-document formatting with the editor's indent size; comments are kept. */
export function formatDocument(doc: DocumentState, options: FormattingOptions): TextEdit[] {
  return formatText(doc.text, { indent: options.tabSize }).map((e) => textEdit(doc.lines, e));
}
