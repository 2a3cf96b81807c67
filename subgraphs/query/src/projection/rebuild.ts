import { randomUUID } from 'node:crypto';
import { sleep } from '../../../../lib/async/sleep';
import { AppError } from '../../../../lib/errors/app-error';
import type { Logger } from '../../../../lib/logging/logger';
import type { IndexAdmin } from '../views/index-admin';
import type { ViewName } from '../views/names';
import type { Rollups } from '../views/rollups';
import type { ViewStore } from '../views/view-store';
import { changeOf } from './changes';
import type { EventStoreReader, ProjectionRuntime } from './runtime';
import { isProjectable } from './validate-envelope';

export interface RebuildState {
  view: ViewName;
  index: string;
  progress: number;
  error?: string;
}

/** Longer than the 1 s in which every projector process notices a `-next` alias appear or go. */
const PROPAGATION_MS = 2500;
/** A rebuild holds its view's lease for this long, renewed every third of it while it runs. */
const LEASE_MS = 30_000;
/** How long a rebuild waits for the live projection to reach the head it replayed to, or for the rollups to be recomputed. */
const DEFAULT_WAIT_MS = 10 * 60_000;

/** Elasticsearch-side leases (StateStore.holdLease / releaseLease). */
export interface Leases {
  holdLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;
}

/**
 * Zero-downtime rebuild of a view: a new index version is filled by replaying the event store
 * while live events keep flowing into both versions (`-next` alias), then the alias moves
 * atomically once the new version has everything the live one has, and the old index is dropped.
 * Readers keep reading the complete old version until the swap, and a complete new one after it.
 */
export class Rebuilder {
  readonly running = new Map<ViewName, RebuildState>();
  /** The error of each view's last rebuild, if it failed; cleared by the next one. */
  readonly failures = new Map<ViewName, string>();

  constructor(
    private readonly deps: {
      store: EventStoreReader;
      admin: IndexAdmin;
      views: ViewStore;
      rollups: Rollups;
      runtime: ProjectionRuntime;
      logger: Logger;
      leases: Leases;
      /**
       * One run of the rollup worker in this process, under the worker's lease across processes
       * (start-projection.ts): hours it made clean, or undefined while another process holds it.
       */
      recomputeRollups: (limit: number) => Promise<number | undefined>;
      batchSize?: number;
      waitMs?: number;
    },
  ) {}

  /** Owner of this process's rebuild leases. */
  private readonly owner = `rebuild-${randomUUID()}`;

  /**
   * Drops what a rebuild killed midway left of a view (a `-next` index behind the alias would
   * otherwise make the next rebuild put two indices behind it, and stall the live projection), if
   * no process is rebuilding it. Run at start. Returns the indices dropped.
   */
  async dropLeftovers(view: ViewName): Promise<string[]> {
    if (this.running.has(view) || !(await this.deps.leases.holdLease(`rebuild-${view}`, this.owner, LEASE_MS))) return [];
    try {
      return await this.dropLeftoversHeld(view);
    } finally {
      await this.deps.leases.releaseLease(`rebuild-${view}`, this.owner).catch(() => undefined);
    }
  }

  /**
   * Starts a rebuild and returns once it holds the view's lease (one rebuild of a view at a time
   * across query processes); `done` settles when it ends.
   */
  async start(view: ViewName): Promise<{ state: RebuildState; done: Promise<void> }> {
    if (this.running.has(view)) throw new AppError('BAD_USER_INPUT', `a rebuild of ${view} is already running`);
    const state: RebuildState = { view, index: '', progress: 0 };
    this.running.set(view, state);
    const lease = `rebuild-${view}`;
    let held = false;
    try {
      held = await this.deps.leases.holdLease(lease, this.owner, LEASE_MS);
    } finally {
      if (!held) this.running.delete(view);
    }
    if (!held) throw new AppError('BAD_USER_INPUT', `a rebuild of ${view} is already running in another query process`);
    const renewal = setInterval(() => void this.deps.leases.holdLease(lease, this.owner, LEASE_MS).catch(() => undefined), LEASE_MS / 3);
    this.failures.delete(view);
    const done = (view === 'rollups' ? this.rebuildRollups(state) : this.rebuildView(state, view))
      .finally(async () => {
        clearInterval(renewal);
        await this.deps.leases.releaseLease(lease, this.owner).catch(() => undefined);
      })
      .catch((error: unknown) => {
        state.error = (error as Error).message;
        this.failures.set(view, state.error);
        this.deps.logger.error({ view, err: state.error }, 'rebuild failed');
        throw error;
      })
      .finally(() => this.running.delete(view));
    done.catch(() => undefined);
    return { state, done };
  }

  /**
   * Marks every hour dirty (queries read them raw: exact), then recomputes them through the rollup
   * worker's own runs, under its lease: two recomputations of one hour at once could let the slower
   * overwrite the faster's documents after they were marked clean. While another process holds the
   * lease, its worker does the work and this waits for it.
   */
  private async rebuildRollups(state: RebuildState): Promise<void> {
    state.index = (await this.deps.admin.concreteIndex(this.deps.admin.names.alias('rollups'))) ?? '';
    const total = await this.deps.rollups.markAllDirty();
    const deadline = performance.now() + (this.deps.waitMs ?? DEFAULT_WAIT_MS);
    let cleaned = 0;
    for (;;) {
      const run = await this.deps.recomputeRollups(200);
      cleaned += run ?? 0;
      if (total > 0) state.progress = Math.min(0.99, cleaned / total);
      // A run that cleaned nothing may have stopped at its lease's half-time: look, don't assume.
      if (!run && !(await this.deps.rollups.settledDirtyLeft())) break;
      if (performance.now() > deadline)
        throw new Error(
          `rollups still dirty after ${Math.round((this.deps.waitMs ?? DEFAULT_WAIT_MS) / 1000)} s (queries read those hours raw meanwhile: exact)`,
        );
      if (run === undefined) await sleep(1000);
    }
    state.progress = 1;
  }

  private async rebuildView(state: RebuildState, view: 'cameras' | 'events'): Promise<void> {
    const { admin, store, views, runtime, logger } = this.deps;
    const oldIndex = await admin.concreteIndex(admin.names.alias(view));
    if (!oldIndex) throw new Error(`${view} has no index`);
    // A rebuild killed midway may have left its index behind (this one holds the lease now).
    await this.dropLeftoversHeld(view);
    const next = await admin.createNext(view);
    state.index = next;
    runtime.addNextTarget(view);
    logger.info({ view, oldIndex, next }, 'rebuild started');
    try {
      await sleep(PROPAGATION_MS);
      // Everything after `head` reaches the new index live (every process writes to -next by now).
      const head = await store.headPosition();
      const nextTarget = [{ alias: admin.names.nextAlias(view), optional: false }];
      // The next batch is read from the store while the current one is written to Elasticsearch.
      const batches = store.readAll(0, { toPosition: head, batchSize: this.deps.batchSize ?? 5000 })[Symbol.asyncIterator]();
      let pending = batches.next();
      for (;;) {
        const read = await pending;
        if (read.done) break;
        pending = batches.next();
        // Awaited on the next turn; this only keeps an early exit from leaving it unhandled.
        pending.catch(() => undefined);
        const batch = read.value;
        const changes = batch
          .filter(isProjectable)
          .map(changeOf)
          .filter((c) => c.view === view);
        for (let attempt = 0; ; attempt += 1) {
          try {
            if (changes.length > 0) await views.apply(changes, () => nextTarget, { markRollups: false });
            break;
          } catch (error) {
            if (attempt >= 30) throw error;
            await sleep(Math.min(5000, 100 * 2 ** Math.min(attempt, 6)));
          }
        }
        const last = batch[batch.length - 1];
        if (last && head > 0) state.progress = Math.min(0.99, last.position / head);
      }
      // Live writes are in both versions from `head` on: once the live projection has passed
      // `head`, the new version holds everything the old one does.
      const deadline = performance.now() + (this.deps.waitMs ?? DEFAULT_WAIT_MS);
      while (runtime.freshness.searchable < head) {
        if (performance.now() > deadline)
          throw new Error(
            `the live projection did not reach position ${head} within ${Math.round((this.deps.waitMs ?? DEFAULT_WAIT_MS) / 1000)} s (it is at ${runtime.freshness.searchable}); the old version stays`,
          );
        await sleep(100);
      }
      await admin.setRefreshInterval(next, '1s');
      await admin.refresh([next]);
      await admin.swap(view, oldIndex, next);
      state.progress = 1;
      logger.info({ view, oldIndex, next }, 'rebuild swapped');
      await sleep(PROPAGATION_MS);
      await admin.finishSwap(view, oldIndex);
    } catch (error) {
      await admin.dropNext(view, next);
      throw error;
    }
  }

  private async dropLeftoversHeld(view: ViewName): Promise<string[]> {
    const dropped = await this.deps.admin.dropLeftovers(view);
    if (dropped.length > 0) this.deps.logger.warn({ view, dropped }, 'dropped what an interrupted rebuild left behind');
    return dropped;
  }
}
