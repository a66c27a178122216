/**
 * Every box has the same size, so a layout depends only on the graph's structure: an edit that changes a
 * label or a shape redraws with the layout it had.
 */
export const NODE_W = 210;
export const NODE_H = 60;
/** The size of a box's text at scale 1 (styles.css): the first view scales it to the editor's text size. */
export const NODE_TEXT_PX = 12;

/**
 * Room inside an expanded group's frame: its header on top, a margin around its children, and below them room
 * for the shape label of an edge leaving the frame (written just under its source).
 */
export const FRAME_PAD = { top: 30, side: 14, bottom: 18 };

export interface Point {
  x: number;
  y: number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}
