export interface KeyActions {
  move(step: 1 | -1): void;
  act(action: 'acknowledge' | 'resolve'): void;
  toggleSelection(): void;
  open(): void;
  search(): void;
  close(): boolean;
}

/** Text fields keep their keys; checkboxes and buttons do not type, so the shortcuts still work there. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
}

/**
 * The feed's keys: j/k move, x selects, a acknowledges, r resolves, o (or Enter on an event) opens
 * it, / goes to the event search, Escape closes the detail panel. Returns the function that removes them.
 */
export function installKeys(actions: KeyActions): () => void {
  const onKey = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape') {
      if (actions.close()) event.preventDefault();
      return;
    }
    if (typing(event.target)) return;
    const onFeedItem = event.target instanceof HTMLElement && event.target.matches('li.feed-item');
    const handlers: Record<string, () => void> = {
      j: () => actions.move(1),
      k: () => actions.move(-1),
      a: () => actions.act('acknowledge'),
      r: () => actions.act('resolve'),
      x: () => actions.toggleSelection(),
      o: () => actions.open(),
      '/': () => actions.search(),
      ...(onFeedItem ? { Enter: () => actions.open() } : {}),
    };
    const handler = handlers[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  };
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
