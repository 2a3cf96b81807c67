type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | EventListener | undefined>;

/** Creates an element: attributes starting with `on` become listeners, `true` becomes an empty attribute. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** Replaces an element's children. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((c): c is Node | string => Boolean(c)));
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return 'none yet';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A dashboard panel: a section labelled by its heading, an optional Refresh button, then the body. */
export function panel(name: string, title: string, onRefresh: (() => void) | undefined, ...body: Child[]): HTMLElement {
  const titleId = `${name}-title`;
  return h(
    'section',
    { class: `panel ${name}`, 'aria-labelledby': titleId },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', { id: titleId }, title),
      onRefresh ? h('button', { type: 'button', class: 'quiet', 'aria-label': `Refresh ${title.toLowerCase()}`, onclick: onRefresh }, 'Refresh') : null,
    ),
    ...body,
  );
}
