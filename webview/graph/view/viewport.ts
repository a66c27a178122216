import type { Point, Rect } from '../model/geometry.js';

export interface View {
  scale: number;
  x: number;
  y: number;
}

const MIN_SCALE = 0.02;
const MAX_SCALE = 4;
const MARGIN = 24;
/** A press that moves less than this is a click, not a drag. */
const CLICK_SLOP = 4;

/**
 * Pan and zoom of the diagram: a translate-and-scale on one SVG group. Dragging the background pans, the
 * wheel zooms about the pointer; the view is plain data so an update of the diagram can keep it.
 */
export class Viewport {
  private view: View = { scale: 1, x: 0, y: 0 };
  private drag: { id: number; from: Point; view: View; moved: boolean } | undefined;

  /** Called after every change of the view (the minimap follows it). */
  onChange: ((v: View) => void) | undefined;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly group: SVGGElement,
    private readonly onBackgroundClick: (e: PointerEvent) => void,
  ) {
    svg.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    svg.addEventListener('pointerdown', (e) => this.down(e));
    svg.addEventListener('pointermove', (e) => this.move(e));
    svg.addEventListener('pointerup', (e) => this.up(e));
    svg.addEventListener('pointercancel', () => (this.drag = undefined));
  }

  get(): View {
    return { ...this.view };
  }

  set(view: View): void {
    this.view = { scale: clamp(view.scale), x: view.x, y: view.y };
    this.group.setAttribute('transform', `translate(${this.view.x.toFixed(2)},${this.view.y.toFixed(2)}) scale(${this.view.scale.toFixed(5)})`);
    this.onChange?.(this.get());
  }

  size(): { w: number; h: number } {
    const r = this.svg.getBoundingClientRect();
    return { w: Math.max(1, r.width), h: Math.max(1, r.height) };
  }

  /** Zooms by a factor about a point of the screen (default: its centre). */
  zoomBy(factor: number, about?: Point): void {
    const { w, h } = this.size();
    const p = about ?? { x: w / 2, y: h / 2 };
    const v = this.view;
    const scale = clamp(v.scale * factor);
    const k = scale / v.scale;
    this.set({ scale, x: p.x - (p.x - v.x) * k, y: p.y - (p.y - v.y) * k });
  }

  /** Shows all of `r`, no larger than `maxScale`. */
  fit(r: Rect, maxScale = 1): void {
    const { w, h } = this.size();
    const scale = clamp(Math.min(maxScale, (w - 2 * MARGIN) / Math.max(1, r.w), (h - 2 * MARGIN) / Math.max(1, r.h)));
    this.set({ scale, x: (w - r.w * scale) / 2 - r.x * scale, y: (h - r.h * scale) / 2 - r.y * scale });
  }

  /**
   * The first view of a diagram: all of it when that is no smaller than `readable`, else at `readable` from its
   * top, with `start` (the input) on screen: a network is read from its input down, at the editor's text size.
   */
  initial(r: Rect, start: Rect | undefined, readable: number): void {
    const { w, h } = this.size();
    const whole = Math.min((w - 2 * MARGIN) / Math.max(1, r.w), (h - 2 * MARGIN) / Math.max(1, r.h));
    if (whole >= readable) return this.fit(r, readable);
    const scale = clamp(readable);
    let x = r.w * scale <= w - 2 * MARGIN ? (w - r.w * scale) / 2 - r.x * scale : MARGIN - r.x * scale;
    // Wide enough that the input would be off to the right: it goes to the left edge.
    if (start && (start.x + start.w) * scale + x > w - MARGIN) x = MARGIN - start.x * scale;
    const top = start ? start.y : r.y;
    this.set({ scale, x, y: MARGIN - top * scale });
  }

  /** Centres the view on a point of the diagram, keeping the scale. */
  centerAt(p: Point): void {
    const { w, h } = this.size();
    const scale = this.view.scale;
    this.set({ scale, x: w / 2 - p.x * scale, y: h / 2 - p.y * scale });
  }

  /** Puts the centre of `r` at the centre of the screen, zooming in to at least `minScale`. */
  centerOn(r: Rect, minScale = 0): void {
    const { w, h } = this.size();
    const scale = clamp(Math.max(this.view.scale, minScale));
    this.set({ scale, x: w / 2 - (r.x + r.w / 2) * scale, y: h / 2 - (r.y + r.h / 2) * scale });
  }

  /** Whether any of `r` is on screen. */
  shows(r: Rect): boolean {
    const { w, h } = this.size();
    const v = this.view;
    const x0 = r.x * v.scale + v.x;
    const y0 = r.y * v.scale + v.y;
    return x0 < w && y0 < h && x0 + r.w * v.scale > 0 && y0 + r.h * v.scale > 0;
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    const r = this.svg.getBoundingClientRect();
    // Lines and pages (some mice) count as about 40 pixels each.
    const dy = e.deltaMode === 0 ? e.deltaY : e.deltaY * 40;
    this.zoomBy(Math.exp(-dy * 0.0015), { x: e.clientX - r.left, y: e.clientY - r.top });
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0 || !isBackground(e.target)) return;
    this.drag = { id: e.pointerId, from: { x: e.clientX, y: e.clientY }, view: this.get(), moved: false };
    this.svg.setPointerCapture(e.pointerId);
    this.svg.classList.add('panning');
  }

  private move(e: PointerEvent): void {
    const d = this.drag;
    if (!d || d.id !== e.pointerId) return;
    const dx = e.clientX - d.from.x;
    const dy = e.clientY - d.from.y;
    if (!d.moved && Math.hypot(dx, dy) < CLICK_SLOP) return;
    d.moved = true;
    this.set({ scale: d.view.scale, x: d.view.x + dx, y: d.view.y + dy });
  }

  private up(e: PointerEvent): void {
    const d = this.drag;
    if (!d || d.id !== e.pointerId) return;
    this.drag = undefined;
    this.svg.classList.remove('panning');
    if (this.svg.hasPointerCapture(e.pointerId)) this.svg.releasePointerCapture(e.pointerId);
    if (!d.moved) this.onBackgroundClick(e);
  }
}

/** The background: anything but a box or a group's header. */
function isBackground(target: EventTarget | null): boolean {
  return !(target instanceof Element && target.closest('.node, [data-action]'));
}

function clamp(scale: number): number {
  return Number.isFinite(scale) ? Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale)) : 1;
}
