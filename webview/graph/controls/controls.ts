/**
 * The web components the editor uses, registered once here (importing one defines its element), with the
 * types the rest of the code reads them by.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/index.js';

export type { VscodeCheckbox, VscodeSingleSelect, VscodeTextfield };

/** The current value of a text field, single select or checkbox (as `true` / `''` for a checkbox). */
export function valueOf(el: Element): string {
  if (el.tagName === 'VSCODE-CHECKBOX') return (el as VscodeCheckbox).checked ? 'true' : '';
  return (el as VscodeTextfield | VscodeSingleSelect).value ?? '';
}
