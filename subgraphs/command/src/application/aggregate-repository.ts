import { Lru } from '../../../../lib/cache/lru';
import type { EventStore, SnapshotStore } from '../../../../lib/event-store/event-store';
import { isEventOf, type AggregateKind, type EventsOfKind } from '../../../../lib/events/domain-events';
import type { EventEnvelope } from '../../../../lib/events/envelope';
import type { Decider } from '../domain/decider';

/** An aggregate's state as of a version of its stream, with the position of that version's event. */
export interface Loaded<S> {
  state: S;
  version: number;
  position: number;
}

/** Streams at least this long are loaded from a snapshot. */
const SHORT_STREAM = 8;

/**
 * Loads aggregates by `_id` lookups only: a short stream version by version; a long one by finding
 * its head (O(log n) probes), its latest snapshot, and replaying only the tail. Keeps an LRU of
 * states: a stale entry is safe because the store refuses a taken version, and the caller then
 * reloads and decides once more.
 */
export class AggregateRepository<K extends AggregateKind, S> {
  private readonly cache: Lru<string, { loaded: Loaded<S>; checkedAt: number }>;
  /** Loads in flight by stream: concurrent callers share one (single flight). */
  private readonly loading = new Map<string, Promise<Loaded<S>>>();

  constructor(
    private readonly store: EventStore & SnapshotStore,
    /** The kind of aggregate whose streams it loads: `camera-<id>` or `event-<id>`. */
    readonly kind: K,
    private readonly decider: Pick<Decider<S, unknown, EventsOfKind[K]>, 'initialState' | 'evolve'>,
    private readonly options: { cacheSize: number; snapshotEvery: number },
  ) {
    this.cache = new Lru(options.cacheSize);
  }

  /** A stream with no event yet. */
  get initial(): Loaded<S> {
    return { state: this.decider.initialState(), version: 0, position: 0 };
  }

  /**
   * The aggregate, from the cache when it was checked against the store less than `maxAgeMs` ago.
   * Deciding on a stale state is safe when the decision appends to the same stream (the taken
   * version refuses it); a rule that only READS another aggregate passes a small `maxAgeMs`.
   */
  async load(streamId: string, maxAgeMs = 0): Promise<Loaded<S>> {
    const cached = this.cache.get(streamId);
    if (cached && Date.now() - cached.checkedAt < maxAgeMs) return cached.loaded;
    const running = this.loading.get(streamId);
    if (running) return running;
    const load = this.loadFresh(streamId).finally(() => this.loading.delete(streamId));
    this.loading.set(streamId, load);
    return load;
  }

  /**
   * For a rule that only reads this aggregate: the cached state at once, re-checked in the
   * background once it is older than `maxAgeMs` (so a slow engine lookup never sits on the request
   * path); a state not cached yet is loaded.
   */
  async peek(streamId: string, maxAgeMs: number): Promise<Loaded<S>> {
    const cached = this.cache.get(streamId);
    if (!cached) return this.load(streamId);
    if (Date.now() - cached.checkedAt >= maxAgeMs) void this.load(streamId).catch(() => undefined);
    return cached.loaded;
  }

  private async loadFresh(streamId: string): Promise<Loaded<S>> {
    const cached = this.cache.get(streamId);
    const base = cached ? { loaded: cached.loaded, complete: false } : await this.loadBase(streamId);
    let loaded = base.loaded;
    // Catch up with anything appended elsewhere (another process) since, unless the base load has
    // just looked past the end: that miss was a round trip to the engine, no need for a second.
    for (; !base.complete;) {
      const next = await this.store.readEvent(streamId, loaded.version + 1);
      if (!next) break;
      loaded = this.apply(loaded, next);
    }
    this.remember(streamId, loaded);
    return loaded;
  }

  /** The state after this process appended `envelope` on top of `before`; snapshots every N versions. */
  appended(before: Loaded<S>, envelope: EventEnvelope): Loaded<S> {
    const after = this.apply(before, envelope);
    this.remember(envelope.streamId, after);
    if (after.version % this.options.snapshotEvery === 0) {
      // A lost snapshot only makes a later load longer: never fail the command for it.
      void this.store.saveSnapshot(envelope.streamId, after.version, JSON.stringify(after)).catch(() => undefined);
    }
    return after;
  }

  forget(streamId: string): void {
    this.cache.delete(streamId);
  }

  /** The state of a stream not cached; `complete` when it ends with a lookup past the stream's end. */
  private async loadBase(streamId: string): Promise<{ loaded: Loaded<S>; complete: boolean }> {
    let loaded = this.initial;
    for (let version = 1; version <= SHORT_STREAM; version += 1) {
      const envelope = await this.store.readEvent(streamId, version);
      if (!envelope) return { loaded, complete: true };
      loaded = this.apply(loaded, envelope);
    }
    const head = await this.store.streamVersion(streamId);
    const every = this.options.snapshotEvery;
    // The newest few snapshot slots: a writer that died may have skipped one.
    for (let version = Math.floor(head / every) * every, tries = 0; version > SHORT_STREAM && tries < 3; version -= every, tries += 1) {
      const text = await this.store.loadSnapshot(streamId, version);
      if (text) return { loaded: JSON.parse(text) as Loaded<S>, complete: false };
    }
    return { loaded, complete: false };
  }

  private apply(loaded: Loaded<S>, envelope: EventEnvelope): Loaded<S> {
    // Only this aggregate's decider writes its streams: anything else there is a corrupt store.
    if (!isEventOf(this.kind, envelope)) throw new Error(`${envelope.streamId} holds a ${envelope.type} event`);
    return { state: this.decider.evolve(loaded.state, envelope), version: envelope.version, position: envelope.position };
  }

  private remember(streamId: string, loaded: Loaded<S>): void {
    this.cache.set(streamId, { loaded, checkedAt: Date.now() });
  }
}
