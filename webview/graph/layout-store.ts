import type { Point, Rect } from './geometry.js';
import type { Layout } from './layout.js';

/** A layout as plain JSON, for the webview's saved state. */
export interface StoredLayout {
  /** A hash of the structure key the layout was made for. */
  key: string;
  boxes: [string, Rect][];
  frames: [string, Rect][];
  edges: [string, Point[]][];
  width: number;
  height: number;
}

/** Larger layouts are not kept: the saved state is serialised on every change. */
export const STORE_UP_TO = 400;

/**
 * A short, stable name for a structure key (two 32-bit FNV-1a hashes and the length): the key itself grows
 * with the network.
 */
export function keyHash(key: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x811c9dc5) + i;
  }
  return `${(a >>> 0).toString(36)}${(b >>> 0).toString(36)}.${key.length.toString(36)}`;
}

export function storeLayout(key: string, l: Layout): StoredLayout {
  const round = (r: Rect): Rect => ({ x: Math.round(r.x), y: Math.round(r.y), w: Math.round(r.w), h: Math.round(r.h) });
  return {
    key: keyHash(key),
    boxes: [...l.boxes].map(([id, r]) => [id, round(r)]),
    frames: [...l.frames].map(([id, r]) => [id, round(r)]),
    edges: [...l.edges].map(([id, ps]) => [id, ps.map((p) => ({ x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 }))]),
    width: l.width,
    height: l.height,
  };
}

/** The stored layout for this structure key, if it is one and is well formed. */
export function restoreLayout(key: string, stored: unknown): Layout | undefined {
  if (!stored || typeof stored !== 'object') return undefined;
  const s = stored as Partial<StoredLayout>;
  if (s.key !== keyHash(key) || !Array.isArray(s.boxes) || !Array.isArray(s.frames) || !Array.isArray(s.edges)) return undefined;
  if (typeof s.width !== 'number' || typeof s.height !== 'number') return undefined;
  return { boxes: new Map(s.boxes), frames: new Map(s.frames), edges: new Map(s.edges), width: s.width, height: s.height };
}
