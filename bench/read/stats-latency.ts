import { randomBytes } from 'node:crypto';
import { createElasticClient } from '../../lib/engines/elastic';
import { loadConfig } from '../../lib/config/config';
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
    const stack = await startStack({ services: ['command', 'query', 'media', 'gateway'], label: 'stats', env: { SIGHTLINE_NAMESPACE: namespace, LOG_LEVEL: 'warn' } });
    try {
      const year = { from: new Date(seeded.from).toISOString(), to: new Date(seeded.to).toISOString() };
      const result: Record<string, string | number> = { 'stored events': count, 'rollup docs': seeded.rollupDocs, 'seed time': `${(seedMs / 1000).toFixed(0)} s` };
      const variants: Array<[string, Record<string, unknown>]> = [
        ['year, all cameras, DAY', year],
        ['year, one camera, DAY', { ...year, cameraIds: ['cam-7'] }],
        ['year, text search (raw only), DAY', { ...year, text: 'person' }],
      ];
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
