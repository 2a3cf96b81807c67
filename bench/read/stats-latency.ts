import { randomBytes } from 'node:crypto';
import { createElasticClient } from '../../lib/engines/elastic';
import { loadConfig } from '../../lib/config/config';
import { computeEventStats } from '../../subgraphs/query/src/read/event-stats';
import { ElasticStatsStore } from '../../subgraphs/query/src/read/elastic-stats-store';
import { viewNames } from '../../subgraphs/query/src/views/names';
import { startStack } from '../../test/support/stack';
import { percentile } from '../hardware';
import { seedViews } from './seed-views';
import { ms } from './setup';

const QUERY = `query($f: EventFilter) { eventStats(interval: DAY, filter: $f) {
  total byType { key count } bySeverity { key count } byStatus { key count } topCameras(limit: 10) { key count }
  histogram { start count } meanTimeToAcknowledgeSeconds meanTimeToResolveSeconds position } }`;

/** eventStats p50/p99 through the gateway over a one-year range, at `count` stored events. */
export async function statsLatency(count: number, samples = 200): Promise<Record<string, string | number>> {
  const namespace = `bstats${randomBytes(3).toString('hex')}`;
  const elastic = createElasticClient(loadConfig().elasticsearch);
  const names = viewNames(namespace);
  try {
    const seedStart = performance.now();
    const seeded = await seedViews(elastic, names, count);
    const seedMs = performance.now() - seedStart;
    // Every sample repeats one query on unchanging data: the shard request cache would answer all
    // but the first (a few ms at any size). Live, every refresh with new events invalidates it, so
    // the figures are taken without it.
    await elastic.indices.putSettings({ index: `${namespace}-*`, settings: { 'index.requests.cache.enable': false } });
    const stack = await startStack({
      services: ['command', 'query', 'media', 'gateway'],
      label: 'stats',
      env: { SIGHTLINE_NAMESPACE: namespace, LOG_LEVEL: 'warn' },
    });
    try {
      const year = { from: new Date(seeded.from).toISOString(), to: new Date(seeded.to).toISOString() };
      const stored = await elastic.indices.stats({ index: names.alias('events'), metric: ['store'] });
      const result: Record<string, string | number> = {
        'stored events': count,
        'events index size': `${((stored._all.primaries?.store?.size_in_bytes ?? 0) / 2 ** 30).toFixed(2)} GiB`,
        'rollup docs (hour: combinations + dimensions; day)': `${seeded.rollupDocs}; ${seeded.dayDocs}`,
        'sparse hours (no combination docs)': `${seeded.sparseHours} of ${seeded.hours}`,
        'seed time': `${(seedMs / 1000).toFixed(0)} s (${Math.round(count / (seedMs / 1000)).toLocaleString('en-US')} docs/s)`,
      };
      const variants: Array<[string, Record<string, unknown>]> = [
        ['year, all cameras, DAY', year],
        ['year, one camera, DAY', { ...year, cameraIds: ['cam-7'] }],
        ['year, text search (raw only), DAY', { ...year, text: 'person' }],
      ];
      // For scale, in process (no gateway), 10 samples each after 3 warm-ups: the same one-year
      // question from raw events only, and from hour documents only (no day documents).
      const source = new ElasticStatsStore(elastic, names);
      const inProcess = async (label: string, options: { rollups?: boolean; days?: boolean }) => {
        const times: number[] = [];
        for (let i = 0; i < 13; i += 1) {
          const started = performance.now();
          await computeEventStats(source, year, 'DAY', undefined, options);
          if (i >= 3) times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        result[label] = `p50 ${ms(percentile(times, 50))}, max ${ms(times[times.length - 1]!)}`;
      };
      await inProcess('year, all cameras, raw events only (in process)', { rollups: false });
      await inProcess('year, all cameras, hour documents only (in process)', { days: false });
      await inProcess('year, all cameras, day + hour documents (in process)', {});
      for (const [label, filter] of variants) {
        const times: number[] = [];
        let total = 0;
        for (let i = 0; i < samples + 20; i += 1) {
          const started = performance.now();
          const response = await stack.graphql<{ eventStats: { total: number } }>(QUERY, { f: filter }, 'viewer');
          const took = performance.now() - started;
          if (response.errors) throw new Error(JSON.stringify(response.errors));
          total = response.data!.eventStats.total;
          if (i >= 20) times.push(took);
        }
        times.sort((a, b) => a - b);
        result[label] = `p50 ${ms(percentile(times, 50))}, p99 ${ms(percentile(times, 99))} (total ${total})`;
      }
      return result;
    } finally {
      await stack.stop();
    }
  } finally {
    await elastic.indices.delete({ index: `${namespace}-*` }).catch(() => undefined);
    await elastic.close();
  }
}
