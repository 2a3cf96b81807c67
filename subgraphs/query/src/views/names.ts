/**
 * Index and alias names. Every view is a versioned concrete index (`<ns>-<view>-v<stamp>`) behind a
 * read/write alias (`<ns>-<view>`); during a rebuild a second alias (`<ns>-<view>-next`) points at
 * the index being filled, so every projector process writes live events into both.
 */
export const VIEW_NAMES = ['cameras', 'events', 'rollups'] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

export const isViewName = (value: string): value is ViewName => (VIEW_NAMES as readonly string[]).includes(value);

export interface ViewNames {
  alias(view: ViewName): string;
  nextAlias(view: ViewName): string;
  /** A new concrete index name; the stamp only has to grow, so rebuilds can never collide. */
  newIndex(view: ViewName, stamp?: number): string;
  /** Projector state (checkpoint), not versioned: it describes the views, it is not one. */
  state: string;
  /** Hours whose rollups must be recomputed. */
  dirtyHours: string;
}

export function viewNames(namespace: string): ViewNames {
  return {
    alias: (view) => `${namespace}-${view}`,
    nextAlias: (view) => `${namespace}-${view}-next`,
    newIndex: (view, stamp = Date.now()) => `${namespace}-${view}-v${stamp}`,
    state: `${namespace}-projector-state`,
    dirtyHours: `${namespace}-rollup-dirty`,
  };
}
