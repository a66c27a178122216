import type { Location, WorkspaceEdit } from 'vscode-languageserver';
import { occurrences, symbolAt } from '../views/query.js';
import { findOp } from '../index.js';
import { KEYWORDS } from '../syntax/syntax.js';
import { range } from './convert.js';
import type { DocumentState } from './documents.js';

/** Go to definition, references and rename for blocks, named tensors and block parameters. */

export function definition(doc: DocumentState, offset: number): Location | undefined {
  const s = symbolAt(doc.names, offset);
  return s ? { uri: doc.uri, range: range(doc.lines, s.declaration) } : undefined;
}

export function references(doc: DocumentState, offset: number, includeDeclaration: boolean): Location[] {
  const s = symbolAt(doc.names, offset);
  if (!s) return [];
  return occurrences(doc.names, s)
    .filter((o) => includeDeclaration || !o.decl)
    .map((o) => ({ uri: doc.uri, range: range(doc.lines, o.span) }));
}

export function prepareRename(doc: DocumentState, offset: number) {
  const s = symbolAt(doc.names, offset);
  return s ? { range: range(doc.lines, s.span), placeholder: s.name } : undefined;
}

/** A rename edit, or a message saying why the new name cannot be used. */
export function rename(doc: DocumentState, offset: number, newName: string): WorkspaceEdit | string | undefined {
  const s = symbolAt(doc.names, offset);
  if (!s) return undefined;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) return `'${newName}' is not a name: use letters, digits and _`;
  if ((KEYWORDS as readonly string[]).includes(newName) || findOp(newName)) return `'${newName}' is a keyword or an op`;
  const clash = doc.names.find((n) => n.kind === s.kind && n.name === newName && n.decl && (s.kind === 'block' || n.scope === s.scope));
  if (clash) return `'${newName}' is already the name of another ${s.kind === 'param' ? 'parameter' : s.kind}`;
  const edits = occurrences(doc.names, s).map((o) => ({ range: range(doc.lines, o.span), newText: newName }));
  return { changes: { [doc.uri]: edits } };
}
