import type { GraphEdit } from '../../../language/edits/graph-edit.js';
import type { VisibleNode } from '../model/visible-graph.js';

/** The statement a box stands for: a layer's statement, or a collapsed group's `repeat` or block call. */
export function stmtOf(box: VisibleNode): number {
  return box.kind === 'layer' ? box.node.stmt : box.group.stmt;
}

/** The selection's statements, each once, in text order. */
function stmtsOf(boxes: readonly VisibleNode[]): number[] {
  return [...new Set(boxes.map(stmtOf))].sort((a, b) => a - b);
}

export function deleteEdit(boxes: readonly VisibleNode[]): GraphEdit | undefined {
  const stmts = stmtsOf(boxes);
  return stmts.length > 0 ? { kind: 'delete', stmts } : undefined;
}

/** Moves the statement of the box last selected. */
export function moveEdit(boxes: readonly VisibleNode[], by: -1 | 1): GraphEdit | undefined {
  const last = boxes[boxes.length - 1];
  return last ? { kind: 'move', stmt: stmtOf(last), by } : undefined;
}

export function wrapEdit(boxes: readonly VisibleNode[], count: number): GraphEdit | undefined {
  const stmts = stmtsOf(boxes);
  return stmts.length > 0 && Number.isInteger(count) && count >= 1 ? { kind: 'wrap', stmts, count } : undefined;
}

/** Inserts after the statement of the box last selected, or at the end of the network when none is. */
export function insertEdit(boxes: readonly VisibleNode[], network: string, text: string): GraphEdit {
  const last = boxes[boxes.length - 1];
  return { kind: 'insert', after: last ? stmtOf(last) : { network }, text };
}
