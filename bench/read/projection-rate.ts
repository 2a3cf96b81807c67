import { changeOf } from '../../subgraphs/query/src/projection/changes';
import { mergeChanges } from '../../subgraphs/query/src/views/view-doc';
import { startProjection } from '../../subgraphs/query/src/projection/start-projection';
import { IndexAdmin } from '../../subgraphs/query/src/views/index-admin';
import { INDEX_SETTINGS, MAPPINGS } from '../../subgraphs/query/src/views/mappings';
import { profiled } from './cpu-profile';
import { cpuMeter, waitUntilIdle } from './engine-cpu';
import { esTiming } from './es-timing';
import { appendAll, benchContext, publishAll, rate, recordCandidate, type BenchContext } from './setup';

/**
 * Projection rate: N events waiting on the projector queue, then the projector started; timed
 * until the last one is searchable (checkpoint reached and refreshed). Next to it, in the same
 * run, the raw `_bulk` rate of the very same documents into an index with the same mapping.
 */
export async function projectionRate(count: number, options: { cpuProfile?: string } = {}): Promise<Record<string, string | number>> {
  const ctx = await benchContext('projrate');
  try {
    const now = Date.now();
    const candidates = Array.from({ length: count }, (_, i) => recordCandidate(i, 50, new Date(now - (i % 3600) * 1000).toISOString()));
    const envelopes = await appendAll(ctx.store, candidates);
    await publishAll(ctx, envelopes);
    const rawDocs = envelopes.map((e) => mergeChanges(undefined, [changeOf(e)])!);
    const rawCpu = cpuMeter();
    const rawMs = await rawBulk(ctx, rawDocs);
    const rawCpuUsed = rawCpu();

    // The views exist before the clock starts (first-start index creation is not projection work),
    // and the broker has finished storing the backlog (that is publishing work, not projection work).
    await new IndexAdmin(ctx.elastic, ctx.names).ensureViews();
    const brokerSettledMs = await waitUntilIdle('rabbitmq');
    const projection = startProjection({
      elastic: ctx.elastic,
      store: ctx.store,
      amqp: ctx.amqp,
      amqpNames: ctx.amqpNames,
      names: ctx.names,
      logger: ctx.logger,
    });
    const timing = esTiming(ctx.elastic, ctx.namespace);
    const projectionCpu = cpuMeter();
    const started = performance.now();
    const { top } = await profiled(options.cpuProfile, async () => {
      await projection.started;
      await projection.runtime.freshness.waitFor(envelopes[envelopes.length - 1]!.position, 600_000);
    });
    const projectedMs = performance.now() - started;
    const projectionCpuUsed = projectionCpu();
    timing.stop();
    await projection.stop();
    console.log(`projector's Elasticsearch requests (wall time, overlapping):\n  ${timing.report().join('\n  ')}`);
    if (top.length > 0) console.log(`projector CPU profile (self time, written to ${options.cpuProfile}):\n  ${top.join('\n  ')}`);
    return {
      events: count,
      'raw _bulk (5,000-doc batches, same docs)': rate(count, rawMs),
      'projection (queue -> searchable)': rate(count, projectedMs),
      'projection / raw': `${((rawMs / projectedMs) * 100).toFixed(0)}%`,
      'CPU seconds during raw _bulk': JSON.stringify(rawCpuUsed),
      'CPU seconds during projection': JSON.stringify(projectionCpuUsed),
      'waited for RabbitMQ to finish storing the backlog before the clock started': `${Math.round(brokerSettledMs)} ms`,
    };
  } finally {
    await ctx.close();
  }
}

async function rawBulk(ctx: BenchContext, docs: Array<Record<string, unknown> & { id: string }>): Promise<number> {
  const index = `${ctx.namespace}-rawbulk`;
  await ctx.elastic.indices.create({ index, settings: INDEX_SETTINGS, mappings: MAPPINGS.events as never });
  const started = performance.now();
  for (let i = 0; i < docs.length; i += 5000) {
    const operations = docs.slice(i, i + 5000).flatMap((doc) => [{ index: { _index: index, _id: doc.id } }, doc]);
    const response = await ctx.elastic.bulk({ operations });
    if (response.errors) throw new Error('raw bulk failed');
  }
  await ctx.elastic.indices.refresh({ index });
  return performance.now() - started;
}
