import type { Layout } from '../layout/layout.js';
import type { Point } from '../model/geometry.js';
import type { View } from './viewport.js';

/** The minimap's largest size on screen, in CSS pixels. */
const MAX_W = 150;
const MAX_H = 220;

/**
 * The whole diagram in a corner, small, with the part on screen outlined: orientation in a network too big
 * to read whole. A click or a drag on it centres the view there. Drawn on a canvas (a few thousand boxes
 * cost a few milliseconds there, and nothing in the DOM); hidden while the whole diagram is on screen.
 */
export class Minimap {
  private readonly canvas: HTMLCanvasElement;
  private readonly frame: HTMLElement;
  private layout: Layout | undefined;
  /** Diagram units per minimap pixel. */
  private scale = 1;
  private dragging: number | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly pick: (p: Point) => void,
  ) {
    this.canvas = root.querySelector('canvas')!;
    this.frame = root.querySelector('.minimap-view')!;
    root.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      this.dragging = e.pointerId;
      root.setPointerCapture(e.pointerId);
      this.pickAt(e);
    });
    root.addEventListener('pointermove', (e) => {
      if (this.dragging === e.pointerId) this.pickAt(e);
    });
    const stop = (e: PointerEvent) => {
      if (this.dragging !== e.pointerId) return;
      this.dragging = undefined;
      if (root.hasPointerCapture(e.pointerId)) root.releasePointerCapture(e.pointerId);
    };
    root.addEventListener('pointerup', stop);
    root.addEventListener('pointercancel', stop);
  }

  /** Draws a new layout's boxes and frames, in the theme's colours. */
  draw(layout: Layout | undefined): void {
    this.layout = layout;
    if (!layout) {
      this.root.hidden = true;
      return;
    }
    this.scale = Math.max(layout.width / MAX_W, layout.height / MAX_H, 1e-6);
    const w = Math.max(1, Math.round(layout.width / this.scale));
    const h = Math.max(1, Math.round(layout.height / this.scale));
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * ratio);
    this.canvas.height = Math.round(h * ratio);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const css = getComputedStyle(this.root);
    const k = ratio / this.scale;
    ctx.setTransform(k, 0, 0, k, 0, 0);
    ctx.clearRect(0, 0, layout.width, layout.height);
    ctx.strokeStyle = css.getPropertyValue('--minimap-frame').trim() || '#888888';
    ctx.lineWidth = this.scale / ratio;
    for (const r of layout.frames.values()) ctx.strokeRect(r.x, r.y, r.w, r.h);
    ctx.fillStyle = css.getPropertyValue('--minimap-box').trim() || '#888888';
    for (const r of layout.boxes.values()) ctx.fillRect(r.x, r.y, r.w, r.h);
  }

  /** Outlines the part of the diagram on screen; hides the map when all of it is. */
  show(v: View, screen: { w: number; h: number }): void {
    const l = this.layout;
    if (!l) return;
    const x0 = -v.x / v.scale;
    const y0 = -v.y / v.scale;
    const x1 = x0 + screen.w / v.scale;
    const y1 = y0 + screen.h / v.scale;
    this.root.hidden = x0 <= 0 && y0 <= 0 && x1 >= l.width && y1 >= l.height;
    const clip = (a: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, a));
    const left = clip(x0, 0, l.width) / this.scale;
    const top = clip(y0, 0, l.height) / this.scale;
    this.frame.style.left = `${left}px`;
    this.frame.style.top = `${top}px`;
    this.frame.style.width = `${Math.max(2, clip(x1, 0, l.width) / this.scale - left)}px`;
    this.frame.style.height = `${Math.max(2, clip(y1, 0, l.height) / this.scale - top)}px`;
  }

  private pickAt(e: PointerEvent): void {
    const r = this.canvas.getBoundingClientRect();
    this.pick({ x: (e.clientX - r.left) * this.scale, y: (e.clientY - r.top) * this.scale });
  }
}
