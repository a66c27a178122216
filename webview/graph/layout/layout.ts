import type { Point, Rect } from '../model/geometry.js';

/** Where everything of a visible graph goes, in one coordinate system (the diagram's); made by layered.ts. */
export interface Layout {
  boxes: Map<string, Rect>;
  frames: Map<string, Rect>;
  /** Each edge's route, by `edgeKey`: start, bends, end. */
  edges: Map<string, Point[]>;
  width: number;
  height: number;
}
