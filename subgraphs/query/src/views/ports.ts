import type { ViewNames } from './names';

/**
 * What the projection runtime needs of the views' storage. The Elasticsearch adapters beside this
 * file implement them (IndexAdmin, StateStore, ViewStore); the runtime sees only these.
 */
export interface ViewIndices {
  readonly names: ViewNames;
  /** Creates the view indices and aliases that are missing; `beforeRollupUpgrade`: see IndexAdmin. */
  ensureViews(beforeRollupUpgrade?: (missing: 'dimensions' | 'days') => Promise<unknown>): Promise<void>;
  /** The concrete index behind an alias, or undefined. */
  concreteIndex(alias: string): Promise<string | undefined>;
  /** Makes what was written to these indices searchable. */
  refresh(indices: string[]): Promise<void>;
}

/** The persisted checkpoint and the dead-letter records the checkpoint counts as done. */
export interface CheckpointStorage {
  loadCheckpoint(): Promise<SavedCheckpoint>;
  saveCheckpoint(position: number, nodes: string): Promise<void>;
  deadPositions(positions: readonly number[]): Promise<Set<number>>;
}

/** Which stream versions each document records as applied (the checkpoint's view of other processes' work). */
export interface AppliedVersions {
  appliedVersions(alias: string, ids: string[]): Promise<Map<string, number[]>>;
}

/** The persisted checkpoint, and the node identity it was saved under (absent in one saved by an earlier version). */
export interface SavedCheckpoint {
  position: number;
  nodes?: string;
}
