import type { TextEdit } from '../base/diagnostics.js';

/**
 * What the graph editor asks of the text (see graph-edit.ts for how each is made) and what it gets back;
 * its own file so that the planners of each kind of edit and the entry that routes them share it.
 */
export type GraphEdit =
  /** Set an attribute's value as written (`5x5`, `same`, `true` for a flag); `''` removes it (its default applies). */
  | { kind: 'setAttribute'; stmt: number; name: string; value: string }
  /** Insert a statement (`conv 64 3x3 pad 1`) after a statement, or as the last statement of a network. */
  | { kind: 'insert'; after: number | { network: string }; text: string }
  /** Delete statements (with a statement that opens a body, its whole body). */
  | { kind: 'delete'; stmts: number[] }
  /** Swap a statement with its previous (-1) or next (+1) sibling. */
  | { kind: 'move'; stmt: number; by: -1 | 1 }
  /** Wrap consecutive sibling statements in `repeat COUNT { … }`. */
  | { kind: 'wrap'; stmts: number[]; count: number };

export type GraphEditResult =
  /** `select`: the offset, in the text after the edits, of the statement the editor should select. */
  | { edits: TextEdit[]; select?: number }
  /** Why the edit cannot be made, in words for the user. */
  | { error: string };
