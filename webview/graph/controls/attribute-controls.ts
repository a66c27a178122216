import type { GraphAttr } from '../../../language/views/graph.js';
import { type VscodeCheckbox, type VscodeSingleSelect, type VscodeTextfield, valueOf } from './controls.js';
import { h } from '../view/dom.js';

/**
 * One control per attribute of a statement: a checkbox for a flag, a single select for an enum, a text
 * field for anything else, showing what is written or, as a placeholder, the default. `commit` gets the new
 * text (`''` removes the attribute, so its default applies) when the user commits a change: Enter, or
 * leaving the field, or picking a value.
 */
export function attributeRow(a: GraphAttr, commit: (value: string) => void): HTMLElement {
  const written = a.value ?? '';
  const control = controlFor(a);
  let last = written;
  const fire = () => {
    const v = valueOf(control).trim();
    if (v === last) return;
    last = v;
    commit(v);
  };
  control.addEventListener('change', fire);
  control.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') fire();
  });
  const label = h('label', { class: 'attr-name', title: a.doc }, a.name, a.required ? h('span', { class: 'required', title: 'required' }, '*') : undefined);
  return h('div', { class: 'attr', title: a.doc }, label, control);
}

function controlFor(a: GraphAttr): HTMLElement {
  const written = a.value ?? '';
  if (a.kind === 'flag') {
    const box = h('vscode-checkbox', { 'data-attr': a.name, 'aria-label': a.name }) as VscodeCheckbox;
    box.checked = written === 'true';
    return box;
  }
  if (a.kind === 'enum' && a.values && a.values.length > 0) {
    const select = h('vscode-single-select', { 'data-attr': a.name, 'aria-label': a.name }) as VscodeSingleSelect;
    // '' stands for "not written": the default applies.
    select.append(h('vscode-option', { value: '', selected: written === '' }, a.default ? `default (${a.default})` : 'default'));
    for (const v of a.values) select.append(h('vscode-option', { value: v, selected: written === v }, v));
    return select;
  }
  const field = h('vscode-textfield', { 'data-attr': a.name, 'aria-label': a.name }) as VscodeTextfield;
  field.value = written;
  field.placeholder = a.default !== '' ? a.default : a.required ? 'required' : '';
  return field;
}
