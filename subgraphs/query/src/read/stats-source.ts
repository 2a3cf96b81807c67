import type { Client, estypes } from '@elastic/elasticsearch';
import { unavailable } from '../../../../lib/errors/engine-errors';
import type { ViewNames } from '../views/names';
import type { EventFilter } from './filters';
import { emptyPartial, type StatsPartial } from './stats-partial';
import { INTERVAL_MS, type Interval, type Range } from './stats-plan';

type Query = estypes.QueryDslQueryContainer;
type Aggs = Record<string, estypes.AggregationsAggregate>;

const FIXED: Record<Interval, string> = { MINUTE: '1m', HOUR: '1h', DAY: '1d' };

async function engine<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw unavailable('elasticsearch', error);
  }
}

const rangeQuery = (field: string, ranges: readonly Range[]): Query => ({
  bool: { should: ranges.map((r) => ({ range: { [field]: { gte: r.from, lt: r.to, format: 'epoch_millis' } } })), minimum_should_match: 1 },
});

type TermsAgg = { buckets: Array<{ key: string | number; doc_count: number; n?: { value: number } }> };
const termsOf = (aggs: Aggs, name: string, sumField?: string): Map<string, number> =>
  new Map(
    ((aggs[name] as TermsAgg | undefined)?.buckets ?? []).map((b) => [String(b.key), sumField ? Math.round(b.n?.value ?? 0) : b.doc_count]),
  );
const histogramOf = (aggs: Aggs, sum: boolean): Map<number, number> =>
  new Map(
    ((aggs.histogram as TermsAgg | undefined)?.buckets ?? [])
      .map((b): [number, number] => [Number(b.key), sum ? Math.round(b.n?.value ?? 0) : b.doc_count])
      .filter(([, count]) => count > 0),
  );
const valueOf = (aggs: Aggs, name: string): number => (aggs[name] as { value?: number | null } | undefined)?.value ?? 0;

/** Aggregations over the events view (raw) and over the hourly rollups. */
export class StatsSource {
  constructor(
    private readonly client: Client,
    private readonly names: ViewNames,
  ) {}

  /** Min and max occurredAt of the matching events, for a histogram without explicit bounds. */
  async bounds(query: Query): Promise<Range | undefined> {
    const response = await engine(() =>
      this.client.search({
        index: this.names.alias('events'),
        size: 0,
        query,
        aggs: { min: { min: { field: 'occurredAt' } }, max: { max: { field: 'occurredAt' } } },
      }),
    );
    const aggs = (response.aggregations ?? {}) as Aggs;
    const min = (aggs.min as { value: number | null } | undefined)?.value;
    const max = (aggs.max as { value: number | null } | undefined)?.value;
    return min === null || min === undefined || max === null || max === undefined ? undefined : { from: min, to: max + 1 };
  }

  /** Raw aggregation; `ranges` restricts occurredAt (undefined: no restriction beyond `query`). */
  async raw(query: Query, ranges: readonly Range[] | undefined, interval: Interval, withHistogram: boolean): Promise<StatsPartial> {
    if (ranges && ranges.length === 0) return emptyPartial();
    const filtered: Query = ranges ? { bool: { filter: [query, rangeQuery('occurredAt', ranges)] } } : query;
    const response = await engine(() =>
      this.client.search({
        index: this.names.alias('events'),
        size: 0,
        track_total_hits: true,
        query: filtered,
        aggs: {
          byType: { terms: { field: 'type', size: 1000 } },
          bySeverity: { terms: { field: 'severity', size: 10 } },
          byStatus: { terms: { field: 'status', size: 10 } },
          byCamera: { terms: { field: 'cameraId', size: 10000 } },
          ...(withHistogram ? { histogram: { date_histogram: { field: 'occurredAt', fixed_interval: FIXED[interval], min_doc_count: 1 } } } : {}),
          ackSum: { sum: { field: 'ackSeconds' } },
          ackCount: { value_count: { field: 'ackSeconds' } },
          resolveSum: { sum: { field: 'resolveSeconds' } },
          resolveCount: { value_count: { field: 'resolveSeconds' } },
        },
      }),
    );
    const aggs = (response.aggregations ?? {}) as Aggs;
    const total = response.hits.total;
    return {
      total: typeof total === 'number' ? total : (total?.value ?? 0),
      byType: termsOf(aggs, 'byType'),
      bySeverity: termsOf(aggs, 'bySeverity'),
      byStatus: termsOf(aggs, 'byStatus'),
      byCamera: termsOf(aggs, 'byCamera'),
      histogram: histogramOf(aggs, false),
      ackSum: valueOf(aggs, 'ackSum'),
      ackCount: valueOf(aggs, 'ackCount'),
      resolveSum: valueOf(aggs, 'resolveSum'),
      resolveCount: valueOf(aggs, 'resolveCount'),
    };
  }

  /** The hourly rollups of whole, clean hours in [from, to) except `skipHours`. */
  async rollups(filter: EventFilter | null | undefined, cameraIdsOfSites: string[] | undefined, range: Range, skipHours: number[], interval: Interval): Promise<StatsPartial> {
    const must: Query[] = [{ range: { hour: { gte: range.from, lt: range.to, format: 'epoch_millis' } } }];
    if (filter?.cameraIds) must.push({ terms: { cameraId: filter.cameraIds } });
    if (cameraIdsOfSites) must.push({ terms: { cameraId: cameraIdsOfSites } });
    if (filter?.types) must.push({ terms: { type: filter.types } });
    if (filter?.severities) must.push({ terms: { severity: filter.severities } });
    if (filter?.statuses) must.push({ terms: { status: filter.statuses } });
    const n = { sum: { field: 'count' } };
    const response = await engine(() =>
      this.client.search({
        index: this.names.alias('rollups'),
        size: 0,
        // Combination documents only (dimension documents carry a `kind`).
        query: { bool: { filter: must, must_not: [{ exists: { field: 'kind' } }, ...(skipHours.length > 0 ? [{ terms: { hour: skipHours } }] : [])] } },
        aggs: {
          total: n,
          byType: { terms: { field: 'type', size: 1000 }, aggs: { n } },
          bySeverity: { terms: { field: 'severity', size: 10 }, aggs: { n } },
          byStatus: { terms: { field: 'status', size: 10 }, aggs: { n } },
          byCamera: { terms: { field: 'cameraId', size: 10000 }, aggs: { n } },
          histogram: { date_histogram: { field: 'hour', fixed_interval: FIXED[interval === 'MINUTE' ? 'HOUR' : interval], min_doc_count: 1 }, aggs: { n } },
          ackSum: { sum: { field: 'ackSum' } },
          ackCount: { sum: { field: 'ackCount' } },
          resolveSum: { sum: { field: 'resolveSum' } },
          resolveCount: { sum: { field: 'resolveCount' } },
        },
      }),
    );
    const aggs = (response.aggregations ?? {}) as Aggs;
    return {
      total: Math.round(valueOf(aggs, 'total')),
      byType: termsOf(aggs, 'byType', 'n'),
      bySeverity: termsOf(aggs, 'bySeverity', 'n'),
      byStatus: termsOf(aggs, 'byStatus', 'n'),
      byCamera: termsOf(aggs, 'byCamera', 'n'),
      histogram: histogramOf(aggs, true),
      ackSum: valueOf(aggs, 'ackSum'),
      ackCount: Math.round(valueOf(aggs, 'ackCount')),
      resolveSum: valueOf(aggs, 'resolveSum'),
      resolveCount: Math.round(valueOf(aggs, 'resolveCount')),
    };
  }

  /**
   * The dimension rollups of whole, clean hours in [from, to) except `skipHours`: statistics with no
   * field filter. Each dimension partitions the events, so totals, histogram and duration sums come
   * from the `status` documents and each breakdown from its own dimension's documents.
   */
  async dimensionRollups(range: Range, skipHours: number[], interval: Interval): Promise<StatsPartial> {
    const n = { sum: { field: 'count' } };
    const of = (kind: string, aggs: Record<string, estypes.AggregationsAggregationContainer>): estypes.AggregationsAggregationContainer => ({ filter: { term: { kind } }, aggs });
    const query: Query = {
      bool: {
        filter: [{ range: { hour: { gte: range.from, lt: range.to, format: 'epoch_millis' } } }, { exists: { field: 'kind' } }],
        must_not: skipHours.length > 0 ? [{ terms: { hour: skipHours } }] : [],
      },
    };
    // Two searches at once: a search of the one-shard index runs on one thread, and the camera
    // documents (one per camera per hour) are most of the work, so they get a thread of their own.
    const search = (aggs: Record<string, estypes.AggregationsAggregationContainer>) =>
      engine(() => this.client.search({ index: this.names.alias('rollups'), size: 0, query, aggs }));
    const [main, cameras] = await Promise.all([
      search({
        status: of('status', {
          total: n,
          byStatus: { terms: { field: 'status', size: 10 }, aggs: { n } },
          histogram: { date_histogram: { field: 'hour', fixed_interval: FIXED[interval === 'MINUTE' ? 'HOUR' : interval], min_doc_count: 1 }, aggs: { n } },
          ackSum: { sum: { field: 'ackSum' } },
          ackCount: { sum: { field: 'ackCount' } },
          resolveSum: { sum: { field: 'resolveSum' } },
          resolveCount: { sum: { field: 'resolveCount' } },
        }),
        type: of('type', { byType: { terms: { field: 'type', size: 1000 }, aggs: { n } } }),
        severity: of('severity', { bySeverity: { terms: { field: 'severity', size: 10 }, aggs: { n } } }),
      }),
      search({ camera: of('cameraId', { byCamera: { terms: { field: 'cameraId', size: 10000 }, aggs: { n } } }) }),
    ]);
    const part = (response: { aggregations?: unknown }, name: string): Aggs => (((response.aggregations ?? {}) as Aggs)[name] ?? {}) as unknown as Aggs;
    const status = part(main, 'status');
    return {
      total: Math.round(valueOf(status, 'total')),
      byType: termsOf(part(main, 'type'), 'byType', 'n'),
      bySeverity: termsOf(part(main, 'severity'), 'bySeverity', 'n'),
      byStatus: termsOf(status, 'byStatus', 'n'),
      byCamera: termsOf(part(cameras, 'camera'), 'byCamera', 'n'),
      histogram: histogramOf(status, true),
      ackSum: valueOf(status, 'ackSum'),
      ackCount: Math.round(valueOf(status, 'ackCount')),
      resolveSum: valueOf(status, 'resolveSum'),
      resolveCount: Math.round(valueOf(status, 'resolveCount')),
    };
  }

  /**
   * Hours in [from, to) that rollups cannot serve: dirty ones (their rollups may be stale) and, for
   * combination rollups (`withSparse`), sparse ones (clean, but without combination documents).
   * Undefined when rollups are no help: more exceptions than one search lists, or (combinations)
   * most hours sparse, when listing them costs more than reading the events raw.
   */
  async hourExceptions(range: Range, withSparse: boolean): Promise<number[] | undefined> {
    const inRange = { range: { hour: { gte: range.from, lt: range.to } } };
    const response = await engine(() =>
      this.client.search<{ hour: number }>({
        index: this.names.dirtyHours,
        size: 10000,
        track_total_hits: true,
        query: { bool: { filter: [inRange] } },
        post_filter: { term: { dirty: true } },
        aggs: { sparse: { filter: { bool: { filter: [{ term: { sparse: true } }, { term: { dirty: false } }] } } } },
        _source: ['hour'],
      }),
    );
    const hoursOf = (hits: Array<{ _source?: { hour: number } }>) => hits.map((hit) => hit._source?.hour).filter((h): h is number => typeof h === 'number');
    const total = response.hits.total;
    const dirtyCount = typeof total === 'number' ? total : (total?.value ?? 0);
    if (dirtyCount > response.hits.hits.length) return undefined;
    const dirty = hoursOf(response.hits.hits);
    const sparseCount = (response.aggregations?.sparse as { doc_count?: number } | undefined)?.doc_count ?? 0;
    if (!withSparse || sparseCount === 0) return dirty;
    if (sparseCount * 2 > (range.to - range.from) / INTERVAL_MS.HOUR || sparseCount > 10000) return undefined;
    const sparse = await engine(() =>
      this.client.search<{ hour: number }>({
        index: this.names.dirtyHours,
        size: 10000,
        query: { bool: { filter: [inRange, { term: { sparse: true } }, { term: { dirty: false } }] } },
        _source: ['hour'],
      }),
    );
    return [...dirty, ...hoursOf(sparse.hits.hits)];
  }
}

export { INTERVAL_MS };
