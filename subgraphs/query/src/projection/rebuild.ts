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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Longer than the 1 s in which every projector process notices a `-next` alias appear or go. */
const PROPAGATION_MS = 2500;

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
      batchSize?: number;
    },
  ) {}

  /** Starts a rebuild and returns at once; `done` settles when it ends. */
  start(view: ViewName): { state: RebuildState; done: Promise<void> } {
    if (this.running.has(view)) throw new AppError('BAD_USER_INPUT', `a rebuild of ${view} is already running`);
    const state: RebuildState = { view, index: '', progress: 0 };
    this.running.set(view, state);
    this.failures.delete(view);
    const done = (view === 'rollups' ? this.rebuildRollups(state) : this.rebuildView(state, view))
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

  private async rebuildRollups(state: RebuildState): Promise<void> {
    state.index = (await this.deps.admin.concreteIndex(this.deps.admin.names.alias('rollups'))) ?? '';
    await this.deps.rollups.markAllDirty();
    for (;;) {
      const cleaned = await this.deps.rollups.recomputeDirty(200);
      if (cleaned === 0) break;
    }
    state.progress = 1;
  }

  private async rebuildView(state: RebuildState, view: 'cameras' | 'events'): Promise<void> {
    const { admin, store, views, runtime, logger } = this.deps;
    const oldIndex = await admin.concreteIndex(admin.names.alias(view));
    if (!oldIndex) throw new Error(`${view} has no index`);
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
        const changes = batch.filter(isProjectable).map(changeOf).filter((c) => c.view === view);
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
      while (runtime.freshness.searchable < head) await sleep(100);
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
}
