import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { dutyCyclePacer } from '../../../../lib/async/duty-cycle';
import { sleep } from '../../../../lib/async/sleep';
import type { AmqpConnection } from '../../../../lib/engines/amqp';
import type { EventEnvelope } from '../../../../lib/events/envelope';
import type { AmqpNames } from '../../../../lib/events/topology';
import type { Logger } from '../../../../lib/logging/logger';
import { IndexAdmin } from '../views/index-admin';
import { elasticNodeIdentity, onElasticUnreachable } from '../views/node-identity';
import { VIEW_NAMES, type ViewNames } from '../views/names';
import { ElasticRollupStore } from '../views/rollup-store';
import { Rollups } from '../views/rollups';
import type { SavedCheckpoint } from '../views/ports';
import { StateStore } from '../views/state-store';
import { ViewStore } from '../views/view-store';
import { AmqpBatches } from './amqp-batches';
import { Projector } from './projector';
import { Rebuilder } from './rebuild';
import { RestartHealer } from './restart-healer';
import { ProjectionRuntime, type EventStoreReader } from './runtime';
import { ProjectionStatusReporter } from './status';

export interface Projection {
  runtime: ProjectionRuntime;
  projector: Projector;
  rebuilder: Rebuilder;
  healer: RestartHealer;
  status: ProjectionStatusReporter;
  admin: IndexAdmin;
  rollups: Rollups;
  /** Resolves once the views exist and the consumer runs (Elasticsearch may be late). */
  started: Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_ROLLUP_WORKER_SHARE = 0.1;

/** Assembles the projection of one process: views, checkpoint, consumer, rollup worker, rebuilds. */
export function startProjection(deps: {
  elastic: Client;
  store: EventStoreReader;
  /** See CheckpointPorts.decidedStore. */
  decidedStore?: EventStoreReader;
  amqp: AmqpConnection;
  amqpNames: AmqpNames;
  names: ViewNames;
  logger: Logger;
  /** False for a process that only answers queries. */
  consume?: boolean;
  batch?: { maxBatch: number; lingerMs: number; prefetch: number; maxInFlight?: number };
  /** How often the rollup worker runs; 0: never (a test drives `rollups.recomputeDirty` itself). */
  rollupWorkerMs?: number;
  /** The share of the wall time the timed rollup worker may be busy; 10% by default. */
  rollupWorkerShare?: number;
  /** How long a rebuild waits for the live projection (or the rollup worker); 10 min by default. */
  rebuildWaitMs?: number;
  /** How long a stored event may stay undelivered before it is applied from the store (Checkpoint). */
  strandedMs?: number;
}): Projection {
  const { elastic, logger } = deps;
  const admin = new IndexAdmin(elastic, deps.names);
  const rollups = new Rollups(new ElasticRollupStore(elastic, deps.names), logger);
  const views = new ViewStore(elastic, (docs) => rollups.markDirty(docs));
  const state = new StateStore(elastic, deps.names);
  const batches = new AmqpBatches(deps.amqp, deps.amqpNames, logger, deps.batch ?? { maxBatch: 5000, lingerMs: 20, prefetch: 10000, maxInFlight: 2 });
  const runtime: ProjectionRuntime = new ProjectionRuntime({
    store: deps.store,
    backlog: () => batches.waiting,
    ...(deps.decidedStore ? { decidedStore: deps.decidedStore } : {}),
    beforeRollupUpgrade: (missing) => rollups.markAllDirty({ hours: missing === 'dimensions' }),
    admin,
    views,
    state,
    logger,
    // Called from the runtime's timers only, once `healer` below exists.
    verifiedNodes: (): string | undefined => healer.verifiedNodes,
    onRewind: () => rollups.forgetMarks(),
    ...(deps.strandedMs === undefined ? {} : { strandedMs: deps.strandedMs }),
    // Only a process that writes the views; called from the checkpoint's advance, once `projector` below exists.
    ...((deps.consume ?? true)
      ? {
          applyStranded: async (envelopes: EventEnvelope[]) => {
            logger.warn(
              { events: envelopes.length, from: envelopes[0]?.position, to: envelopes.at(-1)?.position },
              'projection applies stored events that no delivery brought',
            );
            await projector.applyReplayed(envelopes, new Map());
          },
        }
      : {}),
  });
  const projector = new Projector(
    {
      apply: (changes, targetsOf) => views.apply(changes, targetsOf),
      targetsOf: runtime.targetsOf,
      recordDeadLetter: (reason, position, body) => state.recordDeadLetter(reason, position, body),
      eventDocsChanged: (result) => rollups.markDirty(result.changedEventDocs),
    },
    runtime.checkpoint,
    logger,
    () => runtime.tick(),
  );
  let stopped = false;
  let rollupTimer: NodeJS.Timeout | undefined;
  let rollupRun: Promise<number | undefined> | undefined;
  // One rollup worker at a time across the query processes (StateStore.holdLease), renewed every run.
  const rollupOwner = `rollups-${randomUUID()}`;
  const rollupWorkerMs = deps.rollupWorkerMs ?? 5000;
  const leaseMs = Math.max(30_000, rollupWorkerMs * 6);
  /**
   * One run of the rollup worker: under the lease across processes, and one at a time in this
   * process (the timer's runs and a rollups rebuild's). Undefined while another process holds it.
   */
  const runRollups = async (limit?: number, pause?: () => Promise<void>): Promise<number | undefined> => {
    while (rollupRun) await rollupRun.catch(() => undefined);
    // Counted from before the renewal is asked for: the lease runs at least that long.
    const writeUntil = performance.now() + leaseMs / 2;
    const run = state
      .holdLease('rollups', rollupOwner, leaseMs)
      .then((held) => (held ? rollups.recomputeDirty(limit, undefined, () => !stopped && performance.now() < writeUntil, pause) : undefined));
    rollupRun = run;
    try {
      return await run;
    } finally {
      if (rollupRun === run) rollupRun = undefined;
    }
  };
  const rebuilder = new Rebuilder({
    store: deps.store,
    admin,
    views,
    rollups,
    runtime,
    logger,
    leases: state,
    recomputeRollups: (limit) => runRollups(limit),
    ...(deps.rebuildWaitMs === undefined ? {} : { waitMs: deps.rebuildWaitMs }),
  });
  const healer: RestartHealer = new RestartHealer(
    {
      nodeIdentity: () => elasticNodeIdentity(elastic),
      loadCheckpoint: () => state.loadCheckpoint(),
      store: deps.store,
      applyReplayed: (envelopes, links) => projector.applyReplayed(envelopes, links),
      rewind: (position) => runtime.rewind(position),
      freshness: runtime.freshness,
    },
    logger,
  );
  const stopWatching = onElasticUnreachable(elastic, () => healer.suspect());
  const status = new ProjectionStatusReporter({ runtime, projector, rebuilder, healer, admin, state });

  const started = (async () => {
    let saved: SavedCheckpoint | undefined;
    for (let attempt = 0; !stopped; attempt += 1) {
      try {
        saved ??= await runtime.start();
        await healer.start(saved);
        break;
      } catch (error) {
        runtime.lastError = (error as Error).message;
        logger.warn({ err: runtime.lastError }, 'projection cannot start yet; retrying');
        await sleep(Math.min(5000, 200 * 2 ** Math.min(attempt, 5)));
      }
    }
    if (stopped) return;
    // What a rebuild killed midway (a crash of this or another query process) left behind.
    for (const view of VIEW_NAMES)
      await rebuilder
        .dropLeftovers(view)
        .catch((error: unknown) => logger.warn({ view, err: (error as Error).message }, 'could not check for rebuild leftovers'));
    if (deps.consume ?? true) await batches.start(projector.handle);
    if (rollupWorkerMs <= 0) return;
    // Only the timed runs are paced: they catch up in the background (hundreds of hours after a bulk
    // import, ~100 ms of wall and 160 ms of Elasticsearch CPU each with 1M events stored), while
    // a rollups rebuild is what an operator asked for and waits on.
    const share = deps.rollupWorkerShare ?? DEFAULT_ROLLUP_WORKER_SHARE;
    rollupTimer = setInterval(() => {
      if (rollupRun) return;
      runRollups(undefined, dutyCyclePacer(share)).catch((error: unknown) =>
        logger.debug({ err: (error as Error).message }, 'rollup recompute failed; will retry'),
      );
    }, rollupWorkerMs);
  })();

  return {
    runtime,
    projector,
    rebuilder,
    healer,
    status,
    admin,
    rollups,
    started,
    async stop() {
      stopped = true;
      stopWatching();
      projector.stop();
      await healer.stop();
      if (rollupTimer) clearInterval(rollupTimer);
      // Hand the lease on only once this worker wrote its last documents.
      await rollupRun?.catch(() => undefined);
      await state.releaseLease('rollups', rollupOwner).catch(() => undefined);
      await runtime.stop();
    },
  };
}
