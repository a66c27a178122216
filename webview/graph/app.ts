import type { GraphEdit } from '../../language/edits/graph-edit.js';
import type { GraphModel, GraphNetwork } from '../../language/views/graph.js';
import type { PaletteEntry } from '../../language/edits/palette.js';
import type { GraphComparison } from '../../language/views/diff.js';
import type { HostToWebview } from '../protocol.js';
import { renderBanner } from './controls/banner.js';
import { compareSection, renderCompareBar, totalsText } from './controls/compare-panel.js';
import { boxesOfLine } from './controls/cursor.js';
import { deleteEdit, insertEdit, moveEdit, stmtOf, wrapEdit } from './controls/edits.js';
import { bindKeys } from './controls/keys.js';
import { paletteView } from './controls/palette-view.js';
import { findBoxes } from './controls/search.js';
import { keptSelection } from './controls/selection.js';
import { selectionPanel } from './controls/selection-panel.js';
import { Toolbar } from './controls/toolbar.js';
import { Host, type SavedState } from './host.js';
import { defaultFold } from './layout/fold.js';
import { layoutGraph } from './layout/layered.js';
import type { Layout } from './layout/layout.js';
import { parseHostMessage } from './messages.js';
import { comparisonOverlay, type Overlay } from './model/comparison.js';
import { choiceKey, choicesForAll, collapsedBy, FOLD_SCREENS, type Fold } from './model/collapse.js';
import { NODE_TEXT_PX, type Point, type Rect } from './model/geometry.js';
import { maxKept, maxShare, visibleGraph, type VisibleGraph, type VisibleNode } from './model/visible-graph.js';
import { Diagram } from './view/diagram.js';
import { byId, h } from './view/dom.js';
import { pngBase64, svgDocument } from './view/export-image.js';
import { Minimap } from './view/minimap.js';
import { Viewport, type View } from './view/viewport.js';

type GraphMessage = Extract<HostToWebview, { type: 'graph' }>;

/** A redraw's reason: a new model from the host, or a change made here (a group folded, another network). */
interface Redraw {
  /** When the message that asked for it arrived (performance.now()), for `renderMs`. */
  since: number;
  /** A statement offset whose box to select (the host's `select`). */
  select?: number;
  /** A box or frame to keep still on screen while the layout around it changes. */
  anchor?: { id: string; at: Point };
  /** Place the view as for a network shown for the first time (after Collapse all, Expand all). */
  fresh?: boolean;
}

/** Narrower than this, the page opens with its side panel folded: the diagram needs the width more. */
const SIDE_OPEN_FROM = 1000;
/** The editor's text size when the theme does not say (VS Code's default). */
const EDITOR_FONT_PX = 14;

/**
 * The graph editor's page: receives the document's diagram from the host, draws it, and turns what the user
 * does into `reveal` and `edit` messages. It never changes its model itself: every edit comes back as a new
 * `graph` message once the text has changed.
 */
export class App {
  private readonly host = new Host();
  private readonly saved: SavedState;
  private readonly diagram: Diagram;
  private readonly viewport: Viewport;
  private readonly toolbar: Toolbar;
  private readonly minimap: Minimap;

  private model: GraphModel | undefined;
  private palette: PaletteEntry[] = [];
  private version = -1;
  private network: string | undefined;
  /** The network whose diagram is on screen. */
  private drawn: string | undefined;
  private graph: VisibleGraph | undefined;
  /** Selected boxes by id, the last one selected last. */
  private selection: string[] = [];
  private cursorLine: number | undefined;
  private matches: string[] = [];
  private matchIndex = -1;
  /** Each network's view, so switching back returns to where the user was. */
  private readonly views = new Map<string, View>();
  private renders = 0;
  private nextRequest = 1;
  private paletteQuery = '';
  /** Each network's default fold, chosen when it is first drawn and kept while the page lives. */
  private readonly folds = new Map<string, Fold>();
  /** The other version the host compares the document with (Stride: Compare with…), and its marks on what is drawn. */
  private comparison: GraphComparison | undefined;
  private overlay: Overlay | undefined;

  constructor() {
    this.saved = this.host.loadState();
    this.diagram = new Diagram(byId('diagram') as unknown as SVGSVGElement);
    this.viewport = new Viewport(this.diagram.svg, this.diagram.viewport, (e) => this.backgroundClick(e));
    this.minimap = new Minimap(byId('minimap'), (p) => {
      this.viewport.centerAt(p);
      this.rememberView();
    });
    this.viewport.onChange = (v) => this.minimap.show(v, this.viewport.size());
    this.toolbar = new Toolbar({
      zoom: (f) => this.viewport.zoomBy(f),
      fit: () => this.fit(),
      foldAll: (collapse) => this.foldAll(collapse),
      toggleSide: () => this.toggleSide(),
      exportImage: (format) => void this.exportImage(format),
      search: (q) => this.search(q),
      nextMatch: (step) => this.nextMatch(step),
      switchNetwork: (name) => this.switchNetwork(name),
      deleteSelection: () => this.edit(deleteEdit(this.selected())),
      move: (by) => this.edit(moveEdit(this.selected(), by)),
      wrap: (count) => this.wrap(count),
      paletteFilter: (q) => {
        this.paletteQuery = q;
        this.renderPalette();
      },
    });
  }

  start(): void {
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
    this.diagram.svg.addEventListener('click', (e) => this.diagramClick(e));
    this.diagram.svg.addEventListener('dblclick', (e) => this.diagramDoubleClick(e));
    bindKeys({
      deleteSelection: () => this.edit(deleteEdit(this.selected())),
      move: (by) => this.edit(moveEdit(this.selected(), by)),
      clearSelection: () => this.select([]),
      zoom: (f) => this.viewport.zoomBy(f),
      hasSelection: () => this.selection.length > 0,
    });
    this.applySide();
    window.addEventListener('resize', () => {
      if (this.saved.side === undefined) this.applySide();
      this.minimap.show(this.viewport.get(), this.viewport.size());
    });
    this.renderPanel();
    this.renderPalette();
    this.host.post({ type: 'ready' });
  }

  // ------------------------------------------------------------------------------------ messages

  private receive(data: unknown): void {
    const since = performance.now();
    const m = parseHostMessage(data);
    if (!m) return;
    try {
      switch (m.type) {
        case 'graph':
          this.receiveGraph(m, since);
          return;
        case 'cursor':
          this.showCursor(m.line);
          return;
        case 'editResult':
          this.toolbar.showEditError(m.error);
          return;
        case 'compare':
          this.comparison = m.comparison;
          this.showComparison();
          this.renderPanel();
          return;
        default:
          return;
      }
    } catch (e) {
      this.showMessage(`The diagram could not be shown: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private receiveGraph(m: GraphMessage, since: number): void {
    this.model = m.model;
    this.version = m.version;
    this.palette = m.palette.filter((p) => p && typeof p.op === 'string' && typeof p.family === 'string');
    const names = m.model.networks.map((n) => n.name);
    if (this.network === undefined || !names.includes(this.network)) this.network = this.saved.network !== undefined && names.includes(this.saved.network) ? this.saved.network : names[0];
    this.toolbar.setNetworks(names, this.network);
    renderBanner(byId('banner'), m.model.diagnostics, (line) => this.host.post({ type: 'reveal', line }));
    this.renderPalette();
    this.redraw(m.select !== undefined ? { since, select: m.select } : { since });
  }

  // ------------------------------------------------------------------------------------ drawing

  private currentNetwork(): GraphNetwork | undefined {
    return this.model?.networks.find((n) => n.name === this.network);
  }

  /**
   * Lays out the current network as folded now and draws it, at once: the layout takes milliseconds. Whatever
   * goes wrong (a model the layout or the drawing cannot read) ends as a message on the page, never a broken one.
   */
  private redraw(r: Redraw): void {
    try {
      this.draw(r);
    } catch (e) {
      this.graph = undefined;
      this.diagram.clear();
      this.minimap.draw(undefined);
      this.showMessage(`The diagram could not be drawn: ${e instanceof Error ? e.message : String(e)}`);
      this.finishRender(r);
    }
  }

  private draw(r: Redraw): void {
    const net = this.currentNetwork();
    if (!net || net.nodes.length === 0) {
      this.graph = undefined;
      this.diagram.clear();
      this.minimap.draw(undefined);
      this.showMessage(net ? `${net.name} has no layers yet: start it with input from the palette (under Shape).` : 'This file has no network yet.');
      this.finishRender(r);
      return;
    }
    const { g, layout } = this.foldAndLayOut(net);
    this.showMessage(undefined);
    // Another network than the one on screen (another file's, a renamed one) gets its own view.
    const first = this.diagram.layout === undefined || this.drawn !== net.name;
    this.drawn = net.name;
    this.graph = g;
    this.diagram.render(g, layout, { maxShare: maxShare(g), maxKept: maxKept(net) });
    this.minimap.draw(layout);
    this.selection = keptSelection(net, g, this.selection, r.select);
    this.placeView(net, g, layout, first || r.fresh === true, r.anchor, r.fresh === true);
    this.minimap.show(this.viewport.get(), this.viewport.size());
    this.decorate();
    this.showComparison();
    this.finishRender(r);
    this.renderPanel();
    this.toolbar.setFoldable(net.groups.length > 0);
  }

  /** The comparison's marks on what is drawn, its bar and the totals' deltas; all gone without one. */
  private showComparison(): void {
    const net = this.currentNetwork();
    const c = this.comparison;
    this.overlay = c && net && this.graph ? comparisonOverlay(net, this.graph, c) : undefined;
    this.diagram.overlay(this.overlay);
    renderCompareBar(byId('compare'), c, this.overlay, net?.name, { end: () => this.host.post({ type: 'endCompare' }), reveal: (box) => this.revealBox(box) });
    if (net && this.graph) this.toolbar.setTotals(totalsText(net, c));
  }

  /** Selects a box and brings it on screen (a removed layer's neighbour, from the comparison's bar). */
  private revealBox(id: string): void {
    this.select([id]);
    const r = this.diagram.rects.get(id);
    if (r && !this.viewport.shows(r)) this.viewport.centerOn(r);
    this.rememberView();
  }

  /** The network as folded now: the user's choices over its default fold, chosen the first time it is drawn. */
  private foldAndLayOut(net: GraphNetwork): { g: VisibleGraph; layout: Layout } {
    const fold = this.folds.get(net.name);
    if (fold !== undefined) {
      const g = visibleGraph(net, collapsedBy(net, this.saved.collapsed, fold));
      return { g, layout: layoutGraph(g) };
    }
    const chosen = defaultFold(net, this.saved.collapsed, (FOLD_SCREENS * this.viewport.size().h) / this.readable());
    this.folds.set(net.name, chosen.fold);
    return { g: chosen.graph, layout: chosen.layout };
  }

  /** The scale at which a box's text is as big as the editor's. */
  private readable(): number {
    const px = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-font-size'));
    return (Number.isFinite(px) && px > 0 ? px : EDITOR_FONT_PX) / NODE_TEXT_PX;
  }

  /** The hooks tests and benchmarks wait on: the version drawn and how long it took from the message. */
  private finishRender(r: Redraw): void {
    document.body.dataset.renderedVersion = String(this.version);
    document.body.dataset.renderMs = (performance.now() - r.since).toFixed(1);
    document.body.dataset.renderCount = String(++this.renders);
  }

  private placeView(net: GraphNetwork, g: VisibleGraph, layout: Layout, first: boolean, anchor: Redraw['anchor'], fresh: boolean): void {
    const bounds: Rect = { x: 0, y: 0, w: layout.width, h: layout.height };
    const known = this.views.get(net.name);
    if (anchor) {
      const r = this.diagram.rects.get(anchor.id) ?? layout.frames.get(anchor.id);
      const v = this.viewport.get();
      if (r) this.viewport.set({ scale: v.scale, x: anchor.at.x - r.x * v.scale, y: anchor.at.y - r.y * v.scale });
    } else if (first) {
      if (known && !fresh) this.viewport.set(known);
      else this.viewport.initial(bounds, g.nodes.length > 0 ? layout.boxes.get(g.nodes[0].id) : undefined, this.readable());
    }
    this.views.set(net.name, this.viewport.get());
  }

  private decorate(): void {
    this.diagram.mark('selected', this.selection);
    const net = this.currentNetwork();
    this.diagram.mark('cursor', net && this.graph && this.cursorLine !== undefined ? boxesOfLine(net, this.graph, this.cursorLine) : []);
    this.diagram.mark('match', this.matches);
    this.diagram.mark('current-match', this.matchIndex >= 0 && this.matchIndex < this.matches.length ? [this.matches[this.matchIndex]] : []);
  }

  private showMessage(text: string | undefined): void {
    const el = byId('message');
    el.hidden = text === undefined;
    el.textContent = text ?? '';
  }

  // ------------------------------------------------------------------------------------ selection

  private selected(): VisibleNode[] {
    const byId = new Map((this.graph?.nodes ?? []).map((n) => [n.id, n]));
    return this.selection.map((id) => byId.get(id)).filter((n): n is VisibleNode => n !== undefined);
  }

  private select(ids: string[]): void {
    this.selection = ids;
    this.diagram.mark('selected', ids);
    this.renderPanel();
  }

  private diagramClick(e: MouseEvent): void {
    const target = e.target instanceof Element ? e.target : null;
    if (!target) return;
    const removed = target.closest('.removed-marker')?.getAttribute('data-removed-after');
    if (removed) {
      this.select([removed]);
      return;
    }
    const toggle = target.closest('[data-action="expand"], [data-action="collapse"]');
    if (toggle) {
      const group = toggle.closest('[data-group-id]')?.getAttribute('data-group-id');
      if (group) this.setCollapsed(group, toggle.getAttribute('data-action') === 'collapse', e);
      return;
    }
    const box = target.closest('.node');
    const id = box?.getAttribute('data-node-id') ?? box?.getAttribute('data-group-id');
    if (!id) return;
    if (e.shiftKey || e.ctrlKey || e.metaKey) this.select(this.selection.includes(id) ? this.selection.filter((s) => s !== id) : [...this.selection, id]);
    else this.select([id]);
    const item = this.graph?.nodes.find((n) => n.id === id);
    if (item) this.host.post({ type: 'reveal', line: item.kind === 'layer' ? item.node.line : item.group.line });
  }

  private diagramDoubleClick(e: MouseEvent): void {
    const box = e.target instanceof Element ? e.target.closest('.group-node') : null;
    const group = box?.getAttribute('data-group-id');
    if (group) this.setCollapsed(group, false, e);
  }

  private backgroundClick(e: PointerEvent): void {
    if (!(e.shiftKey || e.ctrlKey || e.metaKey)) this.select([]);
  }

  /** Folds or unfolds a group as the user asked; the choice is kept across updates and reloads. */
  private setCollapsed(group: string, collapsed: boolean, e: MouseEvent): void {
    const net = this.currentNetwork();
    if (!net) return;
    this.saved.collapsed[choiceKey(net.name, group)] = collapsed;
    this.host.saveState(this.saved);
    const r = this.diagram.svg.getBoundingClientRect();
    const rect = this.diagram.rects.get(group) ?? this.diagram.layout?.frames.get(group);
    const v = this.viewport.get();
    const at = rect ? { x: rect.x * v.scale + v.x, y: rect.y * v.scale + v.y } : { x: e.clientX - r.left, y: e.clientY - r.top };
    this.redraw({ since: performance.now(), anchor: { id: group, at } });
  }

  // ------------------------------------------------------------------------------------ cursor and search

  private showCursor(line: number): void {
    this.cursorLine = line;
    const net = this.currentNetwork();
    if (!net || !this.graph) return;
    const ids = boxesOfLine(net, this.graph, line);
    this.diagram.mark('cursor', ids);
    const rects = ids.map((id) => this.diagram.rects.get(id)).filter((r): r is Rect => r !== undefined);
    if (rects.length > 0 && !rects.some((r) => this.viewport.shows(r))) {
      this.viewport.centerOn(rects[0]);
      this.rememberView();
    }
  }

  private search(query: string): void {
    const net = this.currentNetwork();
    this.matches = net && this.graph ? findBoxes(net, this.graph, query) : [];
    this.matchIndex = -1;
    this.decorate();
    this.toolbar.setMatchCount(query.trim() === '' ? '' : this.matches.length === 0 ? 'no match' : `${this.matches.length} found`);
  }

  /** Centres the next (or previous) match, zoomed in far enough to read. */
  private nextMatch(step: 1 | -1): void {
    if (this.matches.length === 0) return;
    this.matchIndex = (this.matchIndex + step + this.matches.length) % this.matches.length;
    const id = this.matches[this.matchIndex];
    const r = this.diagram.rects.get(id);
    if (r) this.viewport.centerOn(r, this.readable());
    this.rememberView();
    this.decorate();
    this.toolbar.setMatchCount(`${this.matchIndex + 1} of ${this.matches.length}`);
  }

  private fit(): void {
    const l = this.diagram.layout;
    if (!l) return;
    this.viewport.fit({ x: 0, y: 0, w: l.width, h: l.height }, 1);
    this.rememberView();
  }

  /** Collapse all or Expand all: a choice for every group, and the first view again. */
  private foldAll(collapse: boolean): void {
    const net = this.currentNetwork();
    if (!net || net.groups.length === 0) return;
    Object.assign(this.saved.collapsed, choicesForAll(net, collapse));
    this.host.saveState(this.saved);
    this.redraw({ since: performance.now(), fresh: true });
  }

  /** The side panel as the user set it, else open only when the page is wide enough for it and the diagram. */
  private applySide(): void {
    const open = this.saved.side ?? window.innerWidth >= SIDE_OPEN_FROM;
    byId('app').classList.toggle('side-folded', !open);
    this.toolbar.setSideOpen(open);
  }

  /** Opens or folds the side panel, keeping what was in the middle of the diagram there. */
  private toggleSide(): void {
    const before = this.viewport.size();
    this.saved.side = byId('app').classList.contains('side-folded');
    this.host.saveState(this.saved);
    this.applySide();
    const v = this.viewport.get();
    this.viewport.set({ ...v, x: v.x + (this.viewport.size().w - before.w) / 2 });
    this.rememberView();
  }

  private rememberView(): void {
    if (this.network !== undefined) this.views.set(this.network, this.viewport.get());
  }

  private switchNetwork(name: string): void {
    if (name === this.network || !this.model?.networks.some((n) => n.name === name)) return;
    this.rememberView();
    this.network = name;
    this.saved.network = name;
    this.host.saveState(this.saved);
    this.selection = [];
    this.matches = [];
    this.matchIndex = -1;
    this.diagram.clear();
    this.minimap.draw(undefined);
    this.redraw({ since: performance.now() });
  }

  // ------------------------------------------------------------------------------------ editing

  private edit(edit: GraphEdit | undefined): void {
    if (!edit) {
      this.toolbar.showEditError('Select a layer first.');
      return;
    }
    this.toolbar.showEditError(undefined);
    this.host.post({ type: 'edit', requestId: this.nextRequest++, edit });
  }

  private wrap(count: number): void {
    if (!Number.isInteger(count) || count < 1) {
      this.toolbar.showEditError('The repeat count is a whole number, 1 or more.');
      return;
    }
    this.edit(wrapEdit(this.selected(), count));
  }

  // ------------------------------------------------------------------------------------ side panel

  private renderPanel(): void {
    const container = byId('selection');
    // A re-render after an edit keeps the keyboard where it was: in the same attribute's control.
    const focused = document.activeElement?.closest('[data-attr]')?.getAttribute('data-attr');
    const items = this.selected();
    const net = this.currentNetwork();
    const idle = !this.model ? 'Waiting for the document…' : 'No layers to select yet.';
    container.replaceChildren(this.model && net ? selectionPanel(items, this.model, net, (stmt, name, value) => this.edit({ kind: 'setAttribute', stmt, name, value })) : h('p', { class: 'muted' }, idle));
    const compared = items.length === 1 && net && this.graph && this.comparison && this.overlay ? compareSection(items[0], net, this.graph, this.comparison, this.overlay) : undefined;
    // Above the attributes, which can run long: what changed is what the user came to see.
    const panel = container.firstElementChild;
    if (compared && panel) panel.insertBefore(compared, panel.querySelector(':scope > h4'));
    this.toolbar.setSelectionActions(items.length, items.length === 1 || items.every((i) => stmtOf(i) === stmtOf(items[0])));
    if (focused) (container.querySelector(`[data-attr="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
  }

  private renderPalette(): void {
    byId('palette').replaceChildren(
      paletteView(this.palette, this.paletteQuery, (entry) => {
        const net = this.currentNetwork();
        if (net) this.edit(insertEdit(this.selected(), net.name, entry.text));
      }),
    );
  }

  // ------------------------------------------------------------------------------------ export

  private async exportImage(format: 'svg' | 'png'): Promise<void> {
    const l = this.diagram.layout;
    if (!l) return;
    try {
      const svg = svgDocument(this.diagram.svg, l.width, l.height);
      const data = format === 'svg' ? svg : await pngBase64(svg, l.width, l.height);
      this.host.post({ type: 'saveImage', format, data, name: this.network ?? 'network' });
    } catch (e) {
      this.toolbar.showEditError(`The ${format.toUpperCase()} could not be made: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
