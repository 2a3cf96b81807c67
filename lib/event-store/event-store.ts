import type { DomainEvent } from '../events/domain-events';
import type { EventEnvelope, EventMetadata } from '../events/envelope';

/**
 * The event store port. The command subgraph appends and loads streams; the relay follows the
 * global log; the query subgraph's projector rebuilds replay it with `readAll`. Adapters
 * (MongoDB, and one in memory for unit tests) implement it; one contract suite
 * (test/int/event-store/event-store-contract.ts) proves each.
 */

/** One event to append: the next version of its stream. */
export interface AppendCandidate {
  streamId: string;
  /** The version this event gets: current stream version + 1. A taken version is a conflict. */
  version: number;
  /** The stored event's own id (see EventEnvelope.id). */
  id: string;
  event: DomainEvent;
  occurredAt: string;
  metadata: EventMetadata;
}

/** What became of one candidate of an append. */
export type AppendOutcome =
  | { status: 'written'; envelope: EventEnvelope }
  /** The version was taken by another event first: `existing` is the one stored there. */
  | { status: 'conflict'; existing: EventEnvelope };

export interface AppendResult {
  /** Same order as the candidates. */
  outcomes: AppendOutcome[];
}

export interface ReadAllOptions {
  /** Envelopes per yielded batch (default 500). */
  batchSize?: number;
  /** Stop at this position (inclusive); default: the head seen when the read starts. */
  toPosition?: number;
}

export interface EventStore {
  /**
   * Appends candidates (at most one per stream) as one commit. Each stream's write is atomic on
   * its own: a candidate whose version is taken is a conflict, the others are still written.
   * Throws UNAVAILABLE (AppError) when the engine is down; nothing then becomes visible as committed
   * unless a reader recovers the whole intent.
   */
  append(candidates: readonly AppendCandidate[]): Promise<AppendResult>;
  /** The stream's events from `fromVersion` (inclusive, default 1), upcast, in version order. */
  readStream(streamId: string, fromVersion?: number): Promise<EventEnvelope[]>;
  /** One stored event of a stream by version, upcast; null when the version does not exist. */
  readEvent(streamId: string, version: number): Promise<EventEnvelope | null>;
  /** The stream's current version (0 when it does not exist), found with O(log n) `_id` lookups. */
  streamVersion(streamId: string): Promise<number>;
  /**
   * Every committed event after `fromPosition` (exclusive) in position order, in batches, up to the
   * head seen when called (or `toPosition`). Never skips an event that commits late: it waits for
   * (or recovers) in-flight appends below the head. `fromPosition` must be 0 or a position an
   * earlier read delivered (a projection's checkpoint). Batches end on commit boundaries, so one may
   * exceed `batchSize` by up to one commit (at most 1,000 events).
   */
  readAll(fromPosition: number, options?: ReadAllOptions): AsyncIterable<EventEnvelope[]>;
  /** The highest allocated global position (0 when empty). Every event at or below it is readable via readAll. */
  headPosition(): Promise<number>;
  /** Called in-process after every append that wrote something (the relay's nudge). Returns an unsubscribe. */
  onAppended(listener: (lastPosition: number) => void): () => void;
}

/**
 * Aggregate snapshots: opaque state text saved every N versions so a long stream loads from the
 * latest snapshot plus its tail. Insert-only; a missing snapshot only costs a longer load.
 */
export interface SnapshotStore {
  saveSnapshot(streamId: string, version: number, state: string): Promise<void>;
  loadSnapshot(streamId: string, version: number): Promise<string | null>;
}
