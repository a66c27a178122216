import { formatCount } from '../../language/format.js';
import type { Host, SavedState } from './host.js';
import { Layouter, type Layout } from './layout.js';
import { restoreLayout, STORE_UP_TO, storeLayout } from './layout-store.js';
import type { LayoutWorker } from './layout-worker.js';
import type { VisibleGraph } from './visible-graph.js';

/** A layout taking longer than this says so on the page. */
const SLOW_LAYOUT_MS = 250;

/**
 * Where the page's layouts come from: the recent ones in memory, the last one in the saved state (a page
 * shown again starts drawn), else the worker, with the page marked busy meanwhile and a word on it when
 * that takes a while.
 */
export class Layouts {
  private readonly layouter: Layouter;
  private inFlight = 0;

  constructor(
    worker: LayoutWorker,
    private readonly host: Host,
    private readonly saved: SavedState,
    private readonly say: (text: string) => void,
  ) {
    this.layouter = new Layouter(worker);
  }

  /** The layout of this structure if one is at hand: drawing it needs no worker. */
  ready(key: string): Layout | undefined {
    const hit = this.layouter.cached(key);
    if (hit) return hit;
    const stored = restoreLayout(key, this.saved.layout);
    if (stored) this.layouter.seed(key, stored);
    return stored;
  }

  /** Lays the graph out in the worker; `wanted` tells whether the page still waits for this one. */
  async make(g: VisibleGraph, key: string, wanted: () => boolean): Promise<Layout> {
    this.inFlight++;
    document.body.classList.add('busy');
    const slow = setTimeout(() => {
      if (wanted()) this.say(`Laying out ${formatCount(g.nodes.length)} boxes…`);
    }, SLOW_LAYOUT_MS);
    try {
      const layout = await this.layouter.layout(g, key);
      delete document.body.dataset.layoutError;
      this.store(key, g, layout);
      return layout;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      if (wanted()) document.body.dataset.layoutError = why;
      throw new Error(`the layout failed (${why})`);
    } finally {
      clearTimeout(slow);
      document.body.classList.toggle('busy', --this.inFlight > 0);
    }
  }

  private store(key: string, g: VisibleGraph, layout: Layout): void {
    if (g.nodes.length > STORE_UP_TO) return;
    this.saved.layout = storeLayout(key, layout);
    this.host.saveState(this.saved);
  }
}
