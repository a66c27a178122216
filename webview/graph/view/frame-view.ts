import { formatCount } from '../../../language/base/format.js';
import { ellipsize, s, tooltip } from './dom.js';
import type { Rect } from '../model/geometry.js';
import type { Frame } from '../model/visible-graph.js';

/** An expanded group: a frame around its layers, with a header that collapses it. */
export function frameView(f: Frame, at: Rect): SVGGElement {
  const gr = f.group;
  const g = s('g', { class: `frame expanded kind-${gr.kind}`, 'data-group-id': gr.id, transform: `translate(${at.x},${at.y})` });
  g.append(s('rect', { class: 'frame-box', width: at.w, height: at.h, rx: 6 }));
  const room = Math.max(4, Math.floor((at.w - 24) / 7) - 12);
  const header = s(
    'text',
    { class: 'frame-header', x: 10, y: 19, 'data-action': 'collapse' },
    s('tspan', { class: 'toggle' }, '▾'),
    s('tspan', { class: 'frame-label', dx: 6 }, ellipsize(gr.label, room)),
    s('tspan', { class: 'frame-count', dx: 8 }, `${formatCount(gr.layers)} layers`),
  );
  header.append(tooltip(`${gr.label} (line ${gr.line + 1}): click to collapse`));
  g.append(header);
  return g;
}
