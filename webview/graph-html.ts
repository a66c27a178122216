import { esc } from './page-html.js';

/** What the graph editor's page needs: its bundle, the webview's resource origin and a fresh nonce. */
export interface GraphEditorHtmlOptions {
  /** `dist/webview/webview.js` as the webview loads it (`asWebviewUri`). */
  scriptUri: string;
  /** `dist/webview/webview.css`, likewise. */
  styleUri?: string;
  /** `webview.cspSource`: the origin the bundle is loaded from. */
  cspSource: string;
  /** A new random value per page: the only script that runs is the one carrying it. */
  nonce: string;
  /** The page's title (the file's name). */
  title?: string;
}

/**
 * The graph editor's page, shared by the extension and the tests. Its policy allows nothing from the
 * network: the script and the style sheet come from the extension (the script only with the nonce), and
 * images (the PNG export draws the SVG) are data and Blob URLs.
 * No inline style is needed: the web components style themselves with constructed style sheets, which a
 * policy does not govern, and they and the diagram set dynamic styles through the CSSOM, which it allows.
 */
export function graphEditorHtml(o: GraphEditorHtmlOptions): string {
  const nonce = esc(o.nonce);
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `img-src ${o.cspSource} data: blob:`,
  ].join('; ');
  const button = (action: string, label: string, title: string, secondary = true) =>
    `<vscode-button${secondary ? ' secondary' : ''} data-action="${action}" title="${esc(title)}" aria-label="${esc(title)}">${label}</vscode-button>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title ?? 'Stride graph')}</title>
${o.styleUri ? `<link rel="stylesheet" href="${esc(o.styleUri)}">` : ''}
</head>
<body>
<div id="app">
  <header id="toolbar">
    <vscode-single-select id="network" data-action="network" aria-label="Network" hidden></vscode-single-select>
    <vscode-textfield id="search" data-action="search" placeholder="Find a layer" aria-label="Find a layer: Enter for the next match"></vscode-textfield>
    <span id="search-count" class="muted"></span>
    <span class="spacer"></span>
    <span id="totals" class="muted"></span>
    ${button('zoom-out', '−', 'Zoom out')}
    ${button('zoom-in', '+', 'Zoom in')}
    ${button('fit', 'Fit', 'Fit the diagram to the window')}
    ${button('collapse-all', 'Collapse all', 'Fold every block and repeat into one box')}
    ${button('expand-all', 'Expand all', 'Open every block and repeat')}
    ${button('export-svg', 'SVG', 'Save the diagram as SVG')}
    ${button('export-png', 'PNG', 'Save the diagram as PNG')}
    ${button('toggle-side', 'Panel', 'Show or hide the selection and the palette')}
  </header>
  <div id="banner" role="status" hidden></div>
  <div id="compare" role="status" hidden></div>
  <main id="stage">
    <svg id="diagram" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Network diagram"></svg>
    <div id="message" hidden></div>
    <div id="minimap" title="The whole diagram: click or drag to move the view" hidden><canvas></canvas><div class="minimap-view"></div></div>
  </main>
  <aside id="side">
    <vscode-collapsible heading="Selection" open>
      <div class="section">
        <div id="selection"></div>
        <div id="actions">
          ${button('delete', 'Delete', 'Delete the selected statements (Delete)')}
          ${button('move-up', 'Up', 'Move the statement up (Alt+Up)')}
          ${button('move-down', 'Down', 'Move the statement down (Alt+Down)')}
          ${button('wrap', 'Repeat…', 'Wrap the selected statements in a repeat')}
        </div>
        <div id="wrap-form" hidden>
          <span>repeat</span>
          <vscode-textfield data-action="wrap-count" type="number" min="1" value="2" aria-label="How many times"></vscode-textfield>
          ${button('wrap-confirm', 'Wrap', 'Wrap in repeat', false)}
          ${button('wrap-cancel', 'Cancel', 'Cancel')}
        </div>
        <div id="edit-error" role="alert" hidden></div>
      </div>
    </vscode-collapsible>
    <vscode-collapsible heading="Palette" open>
      <div class="section">
        <vscode-textfield data-action="palette-filter" placeholder="Filter ops" aria-label="Filter the palette"></vscode-textfield>
        <div id="palette"></div>
      </div>
    </vscode-collapsible>
  </aside>
</div>
<script nonce="${nonce}" src="${esc(o.scriptUri)}"></script>
</body>
</html>`;
}
