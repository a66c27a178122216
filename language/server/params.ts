import type { DidChangeTextDocumentParams, DidOpenTextDocumentParams, InitializeParams } from 'vscode-languageserver';
import type { GraphEdit } from '../edits/graph-edit.js';
import type { DiffParams, GraphEditParams, NetworkAtParams, SummaryParams } from './protocol.js';

/**
 * Checks of what a client sends. A request whose parameters do not have their protocol shape is answered with
 * InvalidParams and a message that names the field; a notification is logged and ignored. Nothing a client
 * sends can reach the language core as `undefined` where it expects text or a number.
 */

/** Parameters that do not have the shape their method gives them; `message` names the field. */
export class BadParams extends Error {}

type Fields = Record<string, unknown>;

function shown(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${v}`;
  return `a ${typeof v}`;
}

function bad(path: string, expected: string, v: unknown): never {
  throw new BadParams(v === undefined ? `\`${path}\` is missing: expected ${expected}` : `\`${path}\` must be ${expected}, not ${shown(v)}`);
}

export function object(v: unknown, path: string): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'an object', v);
  return v as Fields;
}

/** The parameters themselves: an object, whose fields are named from the top. */
export function params(v: unknown): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new BadParams(v === undefined || v === null ? 'the parameters are missing: expected an object' : `the parameters must be an object, not ${shown(v)}`);
  }
  return v as Fields;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function string(o: Fields, key: string, path = ''): string {
  const v = o[key];
  if (typeof v !== 'string') bad(join(path, key), 'a string', v);
  return v;
}

export function boolean(o: Fields, key: string, path = ''): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') bad(join(path, key), 'true or false', v);
  return v;
}

/** LSP's integers: whole numbers from `min` to 2^31 − 1. */
export function integer(o: Fields, key: string, path = '', min = 0): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 2 ** 31 - 1) bad(join(path, key), `a whole number${min === 0 ? ' ≥ 0' : min < 0 ? '' : ` ≥ ${min}`}`, v);
  return v;
}

export function field(o: Fields, key: string, path = ''): Fields {
  return object(o[key], join(path, key));
}

export interface Pos {
  line: number;
  character: number;
}

export function position(o: Fields, key: string, path = ''): Pos {
  const at = join(path, key);
  const p = object(o[key], at);
  return { line: integer(p, 'line', at), character: integer(p, 'character', at) };
}

export function range(o: Fields, key: string, path = ''): { start: Pos; end: Pos } {
  const at = join(path, key);
  const r = object(o[key], at);
  return { start: position(r, 'start', at), end: position(r, 'end', at) };
}

/** `textDocument.uri`, which every document request and notification carries. */
export function documentUri(p: Fields): string {
  return string(field(p, 'textDocument'), 'uri', 'textDocument');
}

/** `{ textDocument, position }`. */
export function atPosition(raw: unknown): { uri: string; position: Pos } {
  const p = params(raw);
  return { uri: documentUri(p), position: position(p, 'position') };
}

/** `{ textDocument, range }`. */
export function inRange(raw: unknown): { uri: string; range: { start: Pos; end: Pos } } {
  const p = params(raw);
  return { uri: documentUri(p), range: range(p, 'range') };
}

/** `{ textDocument }`. */
export function inDocument(raw: unknown): { uri: string } {
  return { uri: documentUri(params(raw)) };
}

/** `{ uri }`: the Stride requests name their document at the top. */
export function uriOnly(raw: unknown): { uri: string } {
  return { uri: string(params(raw), 'uri') };
}

function list(o: Fields, key: string, path: string, what: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) bad(join(path, key), what, v);
  return v;
}

/** Notifications and requests that name a document and nothing else the server reads. */
export function documentParams<T>(raw: unknown): T {
  const p = params(raw);
  documentUri(p);
  return p as T;
}

/** `textDocument/didOpen`: the document's uri, version and text; the language id is not used. */
export function openParams(raw: unknown): DidOpenTextDocumentParams {
  const p = params(raw);
  const doc = field(p, 'textDocument');
  string(doc, 'uri', 'textDocument');
  integer(doc, 'version', 'textDocument', -(2 ** 31));
  string(doc, 'text', 'textDocument');
  return p as unknown as DidOpenTextDocumentParams;
}

/** `textDocument/didChange`: each change is a whole text, or a text for a range. */
export function changeParams(raw: unknown): DidChangeTextDocumentParams {
  const p = params(raw);
  const doc = field(p, 'textDocument');
  string(doc, 'uri', 'textDocument');
  integer(doc, 'version', 'textDocument', -(2 ** 31));
  list(p, 'contentChanges', '', 'a list of changes').forEach((c, i) => {
    const at = `contentChanges[${i}]`;
    const change = object(c, at);
    string(change, 'text', at);
    if (change.range !== undefined) range(change, 'range', at);
    else if (change.rangeLength !== undefined) throw new BadParams(`\`${at}.rangeLength\` comes without \`${at}.range\`: a change is a whole text, or a text for a range`);
    if (change.rangeLength !== undefined) integer(change, 'rangeLength', at);
  });
  return p as unknown as DidChangeTextDocumentParams;
}

/** A list of statement offsets: whole numbers ≥ 0. */
function offsets(o: Fields, key: string, path: string): number[] {
  const at = join(path, key);
  return list(o, key, path, 'a list of statement offsets').map((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) bad(`${at}[${i}]`, 'a whole number ≥ 0', x);
    return x;
  });
}

const EDIT_KINDS = ['setAttribute', 'insert', 'delete', 'move', 'wrap'] as const;

/** A graph editor's change, field by field as `GraphEdit` declares it. */
export function graphEditOf(o: Fields, key: string): GraphEdit {
  const e = object(o[key], key);
  const kind = e.kind;
  switch (kind) {
    case 'setAttribute':
      return { kind, stmt: integer(e, 'stmt', key), name: string(e, 'name', key), value: string(e, 'value', key) };
    case 'insert': {
      const after = e.after;
      let where: number | { network: string };
      if (typeof after === 'object' && after !== null && !Array.isArray(after)) where = { network: string(after as Fields, 'network', `${key}.after`) };
      else if (typeof after === 'number') where = integer(e, 'after', key);
      else bad(`${key}.after`, 'a statement offset or { network: NAME }', after);
      return { kind, after: where, text: string(e, 'text', key) };
    }
    case 'delete':
      return { kind, stmts: offsets(e, 'stmts', key) };
    case 'move': {
      const by = e.by;
      if (by !== -1 && by !== 1) bad(`${key}.by`, '-1 or 1', by);
      return { kind, stmt: integer(e, 'stmt', key), by };
    }
    case 'wrap': {
      // The count's range is the edit's to judge, with a message for the user; here it only has to be a number.
      const count = e.count;
      if (typeof count !== 'number') bad(`${key}.count`, 'a number', count);
      return { kind, stmts: offsets(e, 'stmts', key), count };
    }
    default:
      return bad(`${key}.kind`, `one of ${EDIT_KINDS.map((k) => `"${k}"`).join(', ')}`, kind);
  }
}

/** `initialize`: the client's capabilities are an object; the rest is read with care where it is used. */
export function initializeParams(raw: unknown): InitializeParams {
  const p = params(raw);
  field(p, 'capabilities');
  return p as unknown as InitializeParams;
}

/** `textDocument/references`: a position and whether to include the declaration. */
export function referenceParams(raw: unknown): { uri: string; position: Pos; includeDeclaration: boolean } {
  const at = atPosition(raw);
  return { ...at, includeDeclaration: boolean(field(params(raw), 'context'), 'includeDeclaration', 'context') };
}

/** `textDocument/rename`: a position and the new name, which the rename itself judges. */
export function renameParams(raw: unknown): { uri: string; position: Pos; newName: string } {
  const at = atPosition(raw);
  return { ...at, newName: string(params(raw), 'newName') };
}

/** `textDocument/formatting`: the tab size is a number (the formatter clamps it); spaces are assumed. */
export function formattingParams(raw: unknown): { uri: string; options: { tabSize: number; insertSpaces: boolean } } {
  const doc = inDocument(raw);
  const options = field(params(raw), 'options');
  const tabSize = options.tabSize;
  if (typeof tabSize !== 'number') bad('options.tabSize', 'a number', tabSize);
  return { ...doc, options: { tabSize, insertSpaces: options.insertSpaces !== false } };
}

/** `stride/networkAt`: a document and a line. */
/** `stride/diff`: a document, the other version's text and its label, and which network. */
export function diffParams(raw: unknown): DiffParams {
  const p = params(raw);
  return { uri: string(p, 'uri'), against: string(p, 'against'), againstLabel: string(p, 'againstLabel'), ...(p.network !== undefined ? { network: string(p, 'network') } : {}) };
}

/** `stride/summary`: a document, and whether the table for the webview is wanted beside the text. */
export function summaryParams(raw: unknown): SummaryParams {
  const p = params(raw);
  return { uri: string(p, 'uri'), ...(p.table !== undefined ? { table: boolean(p, 'table') } : {}) };
}

export function networkAtParams(raw: unknown): NetworkAtParams {
  const p = params(raw);
  return { uri: string(p, 'uri'), line: integer(p, 'line') };
}

/** `stride/graphEdit`: a document, the version its diagram was drawn from, and the change. */
export function graphEditParams(raw: unknown): GraphEditParams {
  const p = params(raw);
  return { uri: string(p, 'uri'), version: integer(p, 'version', '', -(2 ** 31)), edit: graphEditOf(p, 'edit') };
}
