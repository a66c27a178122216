import { type VscodeSingleSelect, type VscodeTextfield } from './controls.js';
import { byId, h } from '../view/dom.js';

/** What the page's fixed controls ask the editor to do. */
export interface ToolbarActions {
  zoom(factor: number): void;
  fit(): void;
  /** Collapse all (true) or Expand all (false). */
  foldAll(collapse: boolean): void;
  toggleSide(): void;
  exportImage(format: 'svg' | 'png'): void;
  search(query: string): void;
  nextMatch(step: 1 | -1): void;
  switchNetwork(name: string): void;
  deleteSelection(): void;
  move(by: -1 | 1): void;
  wrap(count: number): void;
  paletteFilter(query: string): void;
}

function action<T extends HTMLElement = HTMLElement>(name: string): T {
  const el = document.querySelector(`[data-action="${name}"]`);
  if (!el) throw new Error(`the page has no [data-action="${name}"]`);
  return el as T;
}

/**
 * The controls that are always on the page (graphEditorHtml writes them): the toolbar, the selection's
 * edit buttons with the repeat count form, and the palette's filter.
 */
export class Toolbar {
  private readonly networks: VscodeSingleSelect;
  private readonly wrapForm: HTMLElement;
  private readonly wrapCount: VscodeTextfield;

  constructor(private readonly actions: ToolbarActions) {
    const click = (name: string, fn: () => void) => action(name).addEventListener('click', fn);
    click('zoom-in', () => actions.zoom(1.25));
    click('zoom-out', () => actions.zoom(0.8));
    click('fit', () => actions.fit());
    click('collapse-all', () => actions.foldAll(true));
    click('expand-all', () => actions.foldAll(false));
    click('toggle-side', () => actions.toggleSide());
    click('export-svg', () => actions.exportImage('svg'));
    click('export-png', () => actions.exportImage('png'));
    click('delete', () => actions.deleteSelection());
    click('move-up', () => actions.move(-1));
    click('move-down', () => actions.move(1));

    const search = action<VscodeTextfield>('search');
    search.addEventListener('input', () => actions.search(search.value));
    search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') actions.nextMatch(e.shiftKey ? -1 : 1);
      else if (e.key === 'Escape') {
        search.value = '';
        actions.search('');
      }
    });

    this.networks = action<VscodeSingleSelect>('network');
    this.networks.addEventListener('change', () => actions.switchNetwork(this.networks.value));

    this.wrapForm = byId('wrap-form');
    this.wrapCount = action<VscodeTextfield>('wrap-count');
    click('wrap', () => this.openWrap());
    click('wrap-cancel', () => (this.wrapForm.hidden = true));
    click('wrap-confirm', () => this.confirmWrap());
    this.wrapCount.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.confirmWrap();
      else if (e.key === 'Escape') this.wrapForm.hidden = true;
    });

    const filter = action<VscodeTextfield>('palette-filter');
    filter.addEventListener('input', () => actions.paletteFilter(filter.value));
  }

  setNetworks(names: string[], current: string | undefined): void {
    const shown = [...this.networks.querySelectorAll('vscode-option')].map((o) => o.getAttribute('value'));
    if (shown.join('\n') !== names.join('\n')) this.networks.replaceChildren(...names.map((n) => h('vscode-option', { value: n }, n)));
    this.networks.hidden = names.length < 2;
    if (current !== undefined && this.networks.value !== current) this.networks.value = current;
  }

  /** Whether the side panel shows, on the button that folds it. */
  setSideOpen(open: boolean): void {
    action('toggle-side').setAttribute('aria-pressed', String(open));
  }

  /** Collapse all and Expand all, enabled only where there are groups. */
  setFoldable(foldable: boolean): void {
    action('collapse-all').toggleAttribute('disabled', !foldable);
    action('expand-all').toggleAttribute('disabled', !foldable);
  }

  setTotals(text: string): void {
    byId('totals').textContent = text;
  }

  setMatchCount(text: string): void {
    byId('search-count').textContent = text;
  }

  /** Enables the edit buttons the selection allows: moving needs one statement. */
  setSelectionActions(count: number, oneStatement: boolean): void {
    const set = (name: string, enabled: boolean) => action(name).toggleAttribute('disabled', !enabled);
    set('delete', count > 0);
    set('wrap', count > 0);
    set('move-up', count > 0 && oneStatement);
    set('move-down', count > 0 && oneStatement);
    if (count === 0) this.wrapForm.hidden = true;
  }

  /** An edit's failure, in words, under the selection; undefined clears it. */
  showEditError(message: string | undefined): void {
    const el = byId('edit-error');
    el.hidden = message === undefined;
    el.textContent = message ?? '';
  }

  private openWrap(): void {
    this.wrapForm.hidden = false;
    this.wrapCount.focus();
  }

  private confirmWrap(): void {
    const count = Number(this.wrapCount.value);
    this.actions.wrap(count);
    this.wrapForm.hidden = true;
  }
}
