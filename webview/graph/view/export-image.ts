/**
 * The SVG properties an exported element keeps, resolved from the theme: the file must stand on its own.
 * Inherited ones are written where they change from the parent's; the others where they are not initial.
 */
const INHERITED = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-opacity', 'stroke-dasharray', 'stroke-linejoin', 'paint-order', 'font-family', 'font-size', 'font-weight', 'font-style'];
const NOT_INHERITED: Record<string, string> = { opacity: '1', display: 'inline' };

/** The largest PNG side and area browsers draw reliably. */
const MAX_SIDE = 16_000;
const MAX_AREA = 64_000_000;

/**
 * The diagram as a standalone SVG document: the drawn DOM itself, with every theme colour and font resolved
 * into presentation attributes (a file has no theme variables), at scale 1, on the editor's background.
 */
export function svgDocument(svg: SVGSVGElement, width: number, height: number): string {
  // The picture of the network, not of this moment's interaction: no selection, search or cursor marks (put
  // back before the page paints again), and no fold toggles.
  const marked = [...svg.querySelectorAll(STATES.map((c) => `.${c}`).join(','))].map((el) => ({ el, states: STATES.filter((c) => el.classList.contains(c)) }));
  for (const { el, states } of marked) el.classList.remove(...states);
  try {
    const copy = svg.cloneNode(true) as SVGSVGElement;
    // At scale 1 from the origin, whatever the view on screen.
    copy.querySelector('.viewport')?.removeAttribute('transform');
    for (const t of copy.querySelectorAll('.toggle')) t.setAttribute('data-drop', '');
    resolveStyles(svg, copy);
    for (const t of copy.querySelectorAll('[data-drop]')) t.remove();
    return standalone(copy, width, height);
  } finally {
    for (const { el, states } of marked) el.classList.add(...states);
  }
}

/** Interaction states a box or frame can be in, as classes. */
const STATES = ['selected', 'cursor', 'match', 'current-match'];

/** Sized, without the page's id, on the editor's background. */
function standalone(copy: SVGSVGElement, width: number, height: number): string {
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(Math.ceil(width)));
  copy.setAttribute('height', String(Math.ceil(height)));
  copy.setAttribute('viewBox', `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`);
  copy.removeAttribute('id');
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', getComputedStyle(document.body).backgroundColor || '#ffffff');
  copy.insertBefore(bg, copy.firstChild);
  return new XMLSerializer().serializeToString(copy);
}

/** Copies each element's computed SVG properties onto its copy, walking both trees together. */
function resolveStyles(from: Element, to: Element, parent?: Map<string, string>): void {
  const cs = getComputedStyle(from);
  const mine = new Map<string, string>();
  for (const p of INHERITED) {
    const v = cs.getPropertyValue(p);
    mine.set(p, v);
    if (v !== '' && v !== parent?.get(p)) to.setAttribute(p, v);
  }
  for (const [p, initial] of Object.entries(NOT_INHERITED)) {
    const v = cs.getPropertyValue(p);
    if (v !== '' && v !== initial && !(p === 'display' && v !== 'none')) to.setAttribute(p, v);
  }
  to.removeAttribute('class');
  const a = from.children;
  const b = to.children;
  for (let i = 0; i < a.length && i < b.length; i++) resolveStyles(a[i], b[i], mine);
}

/** The SVG document drawn on a canvas, as base64 PNG; scaled down when the diagram is too large for one. */
export async function pngBase64(svgText: string, width: number, height: number, pixelRatio = 2): Promise<string> {
  const scale = Math.min(pixelRatio, MAX_SIDE / Math.max(1, width), MAX_SIDE / Math.max(1, height), Math.sqrt(MAX_AREA / Math.max(1, width * height)));
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this page cannot draw on a canvas');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
  } finally {
    URL.revokeObjectURL(url);
  }
}
