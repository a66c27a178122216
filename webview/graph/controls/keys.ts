/** What the keyboard does in the diagram (outside any field). */
export interface KeyActions {
  /** Delete or Backspace. */
  deleteSelection(): void;
  /** Alt+Up, Alt+Down. */
  move(by: -1 | 1): void;
  /** Escape. */
  clearSelection(): void;
  /** + and -. */
  zoom(factor: number): void;
  hasSelection(): boolean;
}

export function bindKeys(actions: KeyActions): void {
  document.addEventListener('keydown', (e) => {
    if (isTyping(e)) return;
    if ((e.key === 'Delete' || e.key === 'Backspace') && actions.hasSelection()) {
      e.preventDefault();
      actions.deleteSelection();
    } else if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown') && actions.hasSelection()) {
      e.preventDefault();
      actions.move(e.key === 'ArrowUp' ? -1 : 1);
    } else if (e.key === 'Escape') {
      actions.clearSelection();
    } else if (e.key === '+' || e.key === '=') {
      actions.zoom(1.25);
    } else if (e.key === '-') {
      actions.zoom(0.8);
    }
  });
}

/** Keys typed into a field are the field's, not the diagram's. */
function isTyping(e: KeyboardEvent): boolean {
  return e.composedPath().some((t) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|VSCODE-TEXTFIELD|VSCODE-TEXTAREA|VSCODE-SINGLE-SELECT)$/.test(t.tagName)));
}
