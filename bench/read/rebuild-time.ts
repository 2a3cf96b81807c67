import { startProjection } from '../../subgraphs/query/src/projection/start-projection';
import { IndexAdmin } from '../../subgraphs/query/src/views/index-admin';
import { appendAll, benchContext, publishAll, rate, recordCandidate } from './setup';

/**
 * Rebuild time: `count` events go through the event store and the queue into the live view (the
 * projection rate at that size is reported too), then the events view is rebuilt by replaying the
 * store into a new index version and swapping the alias, timed from start to swap + drop.
 */
export async function rebuildTime(count: number): Promise<Record<string, string | number>> {
  const ctx = await benchContext('rebuild');
  try {
    await new IndexAdmin(ctx.elastic, ctx.names).ensureViews();
    const projection = startProjection({
      elastic: ctx.elastic,
      store: ctx.store,
      amqp: ctx.amqp,
      amqpNames: ctx.amqpNames,
      names: ctx.names,
      logger: ctx.logger,
    });
    await projection.started;
    const now = Date.now();
    const appendStart = performance.now();
    let last = 0;
    for (let i = 0; i < count; i += 10_000) {
      const chunk = Array.from({ length: Math.min(10_000, count - i) }, (_, j) =>
        recordCandidate(i + j, 50, new Date(now - ((i + j) % 86_400) * 1000).toISOString()),
      );
      const envelopes = await appendAll(ctx.store, chunk);
      await publishAll(ctx, envelopes);
      last = envelopes[envelopes.length - 1]!.position;
    }
    const appendMs = performance.now() - appendStart;
    await projection.runtime.freshness.waitFor(last, 1_800_000);
    const liveMs = performance.now() - appendStart;

    const rebuildStart = performance.now();
    const { done } = await projection.rebuilder.start('events');
    await done;
    const rebuildMs = performance.now() - rebuildStart;
    const total = await ctx.elastic.count({ index: ctx.names.alias('events') });
    await projection.stop();
    return {
      events: count,
      'append + publish (event store, 500 per commit)': rate(count, appendMs),
      'live: append start -> all searchable': rate(count, liveMs),
      'rebuild (replay, catch up, swap, drop)': `${(rebuildMs / 1000).toFixed(1)} s (${rate(count, rebuildMs)})`,
      'documents after rebuild': total.count,
    };
  } finally {
    await ctx.close();
  }
}
