import { h } from './dom';

let counter = 0;

/** A labelled control in a filter bar: the label names the control for screen readers and tests. */
export function field(text: string, control: HTMLElement): HTMLElement {
  counter += 1;
  if (!control.id) control.id = `field-${counter}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, text), control);
}

/** A <select> of [value, text] pairs, with `value` chosen. */
export function select(
  attributes: Record<string, string | EventListener>,
  options: ReadonlyArray<readonly [string, string]>,
  value: string,
): HTMLSelectElement {
  const element = h('select', attributes, ...options.map(([v, t]) => h('option', { value: v }, t)));
  element.value = value;
  return element;
}

/** Replaces a <select>'s options, keeping its value when it is still offered (else the first option). */
export function setOptions(element: HTMLSelectElement, options: ReadonlyArray<readonly [string, string]>, value: string): void {
  element.replaceChildren(...options.map(([v, t]) => h('option', { value: v }, t)));
  element.value = options.some(([v]) => v === value) ? value : (options[0]?.[0] ?? '');
}
