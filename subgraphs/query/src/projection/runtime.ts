import type { EventStore } from '../../../../lib/event-store/event-store';
import { AGGREGATE_OF } from '../../../../lib/events/domain-events';
import type { EventEnvelope } from '../../../../lib/events/envelope';
import { parseStreamId } from '../../../../lib/events/domain-events';
import type { Logger } from '../../../../lib/logging/logger';
import { Freshness } from '../read/freshness';
import { VIEW_NAMES, type ViewName } from '../views/names';
import type { AppliedVersions, CheckpointStorage, ViewIndices } from '../views/ports';
import type { SavedCheckpoint } from '../views/ports';
import type { WriteTarget } from '../views/view-store';
import { Checkpoint } from './checkpoint';
import { isProjectable } from './validate-envelope';

/**
 * Ticks (each a refresh of the read views) start at most this often. A refresh writes a new small
 * segment per index; one per applied batch (a batch every ~20 ms under a trickle of single events)
 * made refreshes Elasticsearch's main cost, ~3 ms of CPU per event at 200 events/s (bench/write).
 */
const MIN_TICK_INTERVAL_MS = 50;
/**
 * While this many deliveries are in hand or waiting, more than one full batch (a backlog: a restart,
 * an outage, a flood; not a `recordEvents` of 1,000), ticks start at most every second. Each refresh of thousands of new documents cuts a new
 * segment (~100 ms), and back to back they cost Elasticsearch nearly as much as the writes; readers
 * wait for the backlog anyway.
 */
const BACKLOG = 5000;
const BACKLOG_TICK_INTERVAL_MS = 1000;
/**
 * Applied events are made searchable (a refresh, then the position published) when a read waits for
 * them (`minPosition`, which is also how the gateway's subscription payloads wait for the read
 * model), and otherwise at most this long after they are applied. A refresh after every batch, with
 * no one asking, was most of Elasticsearch's CPU under a trickle of single events (bench/write).
 */
export const IDLE_REFRESH_MS = 500;

export type EventStoreReader = Pick<EventStore, 'readAll' | 'headPosition'>;

export interface RuntimeDeps {
  store: EventStoreReader;
  /** Marks rollup hours and/or days dirty: run once when the rollups predate a document kind (IndexAdmin.ensureViews). */
  beforeRollupUpgrade?: (missing: 'dimensions' | 'days') => Promise<unknown>;
  /** Reads already-decided slots with a short recovery timeout (see CheckpointPorts.decidedStore). */
  decidedStore?: Pick<EventStore, 'readAll'>;
  admin: ViewIndices;
  views: AppliedVersions;
  state: CheckpointStorage;
  logger: Logger;
  /** How often the checkpoint is advanced and made searchable when nothing else triggers it. */
  tickMs?: number;
  /** See IDLE_REFRESH_MS (the default). */
  idleRefreshMs?: number;
  /** Deliveries received and not yet being applied (AmqpBatches.waiting). */
  backlog?: () => number;
  /** The Elasticsearch node identity last verified (RestartHealer): the checkpoint is saved under it. */
  verifiedNodes?: () => string | undefined;
  /** Runs on every rewind, after the checkpoint moved back (e.g. forget which rollup hours are marked). */
  onRewind?: () => void;
  /** Applies stored events no delivery brought (CheckpointPorts.applyStranded). */
  applyStranded?: (envelopes: EventEnvelope[]) => Promise<void>;
  /** See CheckpointPorts.applyStranded; 3 s by default. */
  strandedMs?: number;
}

/**
 * The projection's moving parts that are not the consumer: the checkpoint (advanced after every
 * batch and on a timer), the refresh that makes applied events searchable before the position is
 * published to readers, the persisted checkpoint, and the write targets (the `-next` alias of a
 * rebuild, seen by every process within a second).
 */
export class ProjectionRuntime {
  readonly checkpoint: Checkpoint;
  readonly freshness = new Freshness();
  lastError: string | undefined;
  private readonly nextAliases = new Set<ViewName>();
  private timers: NodeJS.Timeout[] = [];
  private ticking: Promise<void> | undefined;
  private again = false;
  private lastTickAt = 0;
  private delayed: NodeJS.Timeout | undefined;
  private delayedUntil = 0;
  private persisted = 0;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  private idleRefresh: NodeJS.Timeout | undefined;
  private forceRefresh = false;

  constructor(private readonly deps: RuntimeDeps) {
    this.freshness.onWait = () => this.tick();
    this.checkpoint = new Checkpoint(
      {
        store: deps.store,
        ...(deps.decidedStore ? { decidedStore: deps.decidedStore } : {}),
        projectable: isProjectable,
        appliedInViews: (envelopes) => this.appliedInViews(envelopes),
        ...(deps.applyStranded ? { applyStranded: deps.applyStranded } : {}),
      },
      0,
      undefined,
      deps.strandedMs,
    );
  }

  /** Returns the persisted checkpoint it starts from. */
  async start(): Promise<SavedCheckpoint> {
    await this.deps.admin.ensureViews(this.deps.beforeRollupUpgrade);
    const [saved] = await Promise.all([this.deps.state.loadCheckpoint(), this.refreshTargets()]);
    this.checkpoint.position = Math.max(this.checkpoint.position, saved.position);
    this.persisted = saved.position;
    this.tick();
    const every = this.deps.tickMs ?? 250;
    this.timers.push(setInterval(() => this.tick(), every));
    this.timers.push(setInterval(() => void this.persist(), 1000));
    this.timers.push(
      setInterval(() => {
        this.checkpoint.refreshHead().catch((error: unknown) => {
          this.lastError = (error as Error).message;
        });
      }, every),
    );
    this.timers.push(setInterval(() => void this.refreshTargets().catch(() => undefined), 1000));
    return saved;
  }

  /**
   * The views may have lost writes above `position` (RestartHealer): the checkpoint and the published
   * position move back to it, and only what is applied again moves them on. Returns the highest
   * position applied before.
   */
  rewind(position: number): number {
    const applied = this.checkpoint.rewind(position);
    this.freshness.rewind(position);
    this.deps.onRewind?.();
    return applied;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.delayed) clearTimeout(this.delayed);
    this.delayed = undefined;
    if (this.idleRefresh) clearTimeout(this.idleRefresh);
    this.idleRefresh = undefined;
    await this.ticking;
    await this.persist();
  }

  targetsOf = (view: ViewName): WriteTarget[] => {
    const targets: WriteTarget[] = [{ alias: this.deps.admin.names.alias(view), optional: false }];
    if (this.nextAliases.has(view)) targets.push({ alias: this.deps.admin.names.nextAlias(view), optional: true });
    return targets;
  };

  /** Starts writing into a rebuild's `-next` alias at once in this process (others follow within 1 s). */
  addNextTarget(view: ViewName): void {
    this.nextAliases.add(view);
  }

  /** Advances the checkpoint, refreshes, then publishes the searchable position. Coalesced and spaced. */
  tick(): void {
    if (this.ticking) {
      this.again = true;
      return;
    }
    const spacing = (this.deps.backlog?.() ?? 0) >= BACKLOG ? BACKLOG_TICK_INTERVAL_MS : MIN_TICK_INTERVAL_MS;
    const due = this.lastTickAt + spacing;
    // A tick put off while there was a backlog comes sooner once the backlog is gone.
    if (this.delayed && due >= this.delayedUntil) return;
    if (this.delayed) clearTimeout(this.delayed);
    this.delayed = undefined;
    const wait = due - performance.now();
    if (wait > 0) {
      this.delayedUntil = due;
      this.delayed = setTimeout(() => {
        this.delayed = undefined;
        this.tick();
      }, wait);
      return;
    }
    this.startTick();
  }

  private startTick(): void {
    this.lastTickAt = performance.now();
    this.ticking = this.runTick().finally(() => {
      this.ticking = undefined;
      if (this.again) {
        this.again = false;
        this.tick();
      }
    });
  }

  /** Resolves after one full tick from now, which makes everything applied so far searchable. */
  async settle(): Promise<void> {
    await this.ticking;
    if (this.delayed) clearTimeout(this.delayed);
    this.delayed = undefined;
    this.forceRefresh = true;
    if (!this.ticking) this.startTick();
    await this.ticking;
  }

  /**
   * Whether to refresh now: a read waits for what is applied, or the oldest unsearchable applied
   * event reached IDLE_REFRESH_MS (then a tick is set up for that moment).
   */
  private refreshDue(position: number, force: boolean): boolean {
    if (force || this.freshness.awaitedUpTo(position)) return true;
    const due = this.lastRefreshAt + (this.deps.idleRefreshMs ?? IDLE_REFRESH_MS);
    const now = performance.now();
    if (now >= due) return true;
    this.idleRefresh ??= setTimeout(() => {
      this.idleRefresh = undefined;
      this.tick();
    }, due - now);
    return false;
  }

  private async runTick(): Promise<void> {
    try {
      const started = performance.now();
      await this.checkpoint.advance();
      const advanced = performance.now();
      const position = this.checkpoint.position;
      const epoch = this.checkpoint.epoch;
      const force = this.forceRefresh;
      this.forceRefresh = false;
      if (position > this.freshness.searchable && this.refreshDue(position, force)) {
        this.lastRefreshAt = performance.now();
        if (this.idleRefresh) clearTimeout(this.idleRefresh);
        this.idleRefresh = undefined;
        // Only what readers read (rollups refresh themselves; a rebuild's index once, when complete),
        // and the hour marks: the projector writes them unrefreshed, and a reader at this position
        // must see the hours it dirtied as dirty (else a stale rollup would answer for them).
        const indices = [...(['cameras', 'events'] as const).map((view) => this.deps.admin.names.alias(view)), this.deps.admin.names.dirtyHours];
        await this.deps.admin.refresh(indices);
        // A rewind during the refresh: this position may include lost writes.
        if (epoch !== this.checkpoint.epoch) return;
        this.freshness.advanced(position);
        const done = performance.now();
        // Where freshness goes, when asked for (LOG_LEVEL=debug): the checkpoint vs the refresh.
        this.deps.logger.debug({ position, advanceMs: Math.round(advanced - started), refreshMs: Math.round(done - advanced) }, 'position published');
      } else if (advanced - started > 100) {
        this.deps.logger.debug({ position, advanceMs: Math.round(advanced - started) }, 'checkpoint advance was slow');
      }
      this.lastError = undefined;
    } catch (error) {
      this.lastError = (error as Error).message;
    }
  }

  /**
   * Saves the published position: every write below it was acknowledged by a bulk that fsynced
   * (mappings.ts), so it is durable under the node identity verified last. Nothing is saved while
   * that identity is in doubt (the published position is held).
   */
  private async persist(): Promise<void> {
    const position = this.freshness.searchable;
    const nodes = this.deps.verifiedNodes?.();
    if (position <= this.persisted || this.freshness.held || nodes === undefined) return;
    try {
      await this.deps.state.saveCheckpoint(position, nodes);
      this.persisted = position;
    } catch (error) {
      this.deps.logger.debug({ err: (error as Error).message }, 'checkpoint not saved; will retry');
    }
  }

  private async refreshTargets(): Promise<void> {
    const found = await Promise.all(VIEW_NAMES.map((view) => this.deps.admin.concreteIndex(this.deps.admin.names.nextAlias(view))));
    VIEW_NAMES.forEach((view, i) => {
      if (found[i] !== undefined) this.nextAliases.add(view);
      else this.nextAliases.delete(view);
    });
  }

  private async appliedInViews(envelopes: EventEnvelope[]): Promise<boolean[]> {
    const byView = new Map<ViewName, string[]>();
    for (const envelope of envelopes) {
      const view: ViewName = AGGREGATE_OF[envelope.type] === 'camera' ? 'cameras' : 'events';
      byView.set(view, [...(byView.get(view) ?? []), parseStreamId(envelope.streamId).id]);
    }
    const applied = new Map<string, number[]>();
    for (const [view, ids] of byView) {
      const versions = await this.deps.views.appliedVersions(this.deps.admin.names.alias(view), ids);
      for (const [id, list] of versions) applied.set(`${view}:${id}`, list);
    }
    const inViews = envelopes.map((envelope) => {
      const view = AGGREGATE_OF[envelope.type] === 'camera' ? 'cameras' : 'events';
      return (applied.get(`${view}:${parseStreamId(envelope.streamId).id}`) ?? []).includes(envelope.version);
    });
    // An event whose document Elasticsearch refuses was dead-lettered (Projector): it counts as done.
    const dead = await this.deps.state.deadPositions(envelopes.filter((_, i) => !inViews[i]).map((e) => e.position));
    return envelopes.map((envelope, i) => inViews[i]! || dead.has(envelope.position));
  }
}
