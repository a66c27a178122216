/**
 * The graph editor's webview: draws a `.stride` document's networks as an editable diagram (entry of
 * dist/webview/webview.js and dist/webview/webview.css; the page is webview/graph-html.ts, the messages webview/protocol.ts).
 *
 * Stable hooks, for the tests and for end-to-end tests in VS Code:
 * - a layer is `<g class="node layer …" data-node-id="ID">`; a collapsed group is
 *   `<g class="node group-node collapsed …" data-group-id="ID">` and an expanded one's frame
 *   `<g class="frame expanded …" data-group-id="ID">`. Boxes carry the state classes `selected`, `cursor`
 *   (made by the text cursor's line), `match` and `current-match` (search), `error` and `warning`.
 * - a tensor is `<g class="edge" data-edge="FROM->TO" data-shape="SHAPE">`; it writes its shape in a
 *   `<text class="edge-label">` only where its source box shows another one (a collapsed group fed out of
 *   from inside).
 * - `[data-action="expand"]` inside a collapsed group and `[data-action="collapse"]` on a frame's header
 *   toggle it.
 * - buttons: `[data-action="delete|move-up|move-down|wrap|fit|zoom-in|zoom-out|collapse-all|expand-all|export-svg|export-png|toggle-side"]`
 *   (`toggle-side` has `aria-pressed="true"` while the side panel `#side` shows; `#app.side-folded` when not);
 *   the repeat count form: `[data-action="wrap-count"]`, `[data-action="wrap-confirm"]`,
 *   `[data-action="wrap-cancel"]`; the search field `[data-action="search"]`, the network selector
 *   `[data-action="network"]`, the palette filter `[data-action="palette-filter"]`.
 * - the side panel: one control per attribute, `[data-attr="NAME"]`; palette entries `[data-op="OP"]`;
 *   an edit's error in `#edit-error`, the file's diagnostics in `#banner`, messages in `#message`; the
 *   minimap `#minimap` (a canvas, and `.minimap-view` outlining the part on screen), hidden when all is.
 * - while compared with another version (a `compare` message): marked boxes and frames carry `cmp-added` or
 *   `cmp-changed` (and `cmp-field-only` when only the receptive field moved) and a `.cmp-badge` (+ or ~);
 *   removed layers are a `.removed-marker[data-removed-after="BOX"]` (`data-action="show-removed"`) by the box
 *   they followed; the bar `#compare` lists them as `.cmp-removed-item` and has `[data-action="end-compare"]`;
 *   the side panel's part is `#selection .compare`.
 * - after each drawing `document.body.dataset.renderedVersion` is the drawn `graph` message's version,
 *   `renderMs` the milliseconds from that message's arrival to the SVG in the DOM, and `renderCount`
 *   counts drawings (also those of a fold or a network switch).
 */
import './styles.css';
import './controls/controls.js';
import { App } from './app.js';

new App().start();
