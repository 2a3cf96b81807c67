import { type DashboardState, parseState, serializeState } from './dashboard-state';

type Listener = (state: DashboardState, previous: DashboardState) => void;

/**
 * The page's one state, mirrored into the address bar (replaceState: filters are refinements of
 * one view, not steps the Back button should walk through).
 */
class Store {
  private current: DashboardState = parseState(location.search);
  private readonly listeners = new Set<Listener>();

  get state(): DashboardState {
    return this.current;
  }

  update(change: (state: DashboardState) => DashboardState): void {
    const previous = this.current;
    const next = change(previous);
    if (serializeState(next) === serializeState(previous)) return;
    this.current = next;
    history.replaceState(null, '', `${location.pathname}${serializeState(next)}${location.hash}`);
    for (const listener of this.listeners) listener(next, previous);
  }

  /** Returns the function that stops listening. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export const store = new Store();
