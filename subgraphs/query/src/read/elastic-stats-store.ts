import type { Client, estypes } from '@elastic/elasticsearch';
import { unavailable } from '../../../../lib/errors/engine-errors';
import type { ViewNames } from '../views/names';
import { dayOfBuild } from '../views/rollup-docs';
import { eventQuery, type EventFilter } from './filters';
import { emptyPartial, type StatsPartial } from './stats-partial';
import { INTERVAL_MS, type Interval, type Range } from './stats-plan';
import type { StatsStore } from './stats-store';

type Query = estypes.QueryDslQueryContainer;
type Aggs = Record<string, estypes.AggregationsAggregate>;

const FIXED: Record<Interval, string> = { MINUTE: '1m', HOUR: '1h', DAY: '1d' };

/** Rollup documents carry `count` and the duration sums; a histogram on them is HOUR at its finest. */
const ROLLUP_COUNT = { sum: { field: 'count' } };
const rollupHistogram = (interval: Interval): estypes.AggregationsAggregationContainer => ({
  date_histogram: { field: 'hour', fixed_interval: FIXED[interval === 'MINUTE' ? 'HOUR' : interval], min_doc_count: 1 },
  aggs: { n: ROLLUP_COUNT },
});
const ROLLUP_DURATION_SUMS = {
  ackSum: { sum: { field: 'ackSum' } },
  ackCount: { sum: { field: 'ackCount' } },
  resolveSum: { sum: { field: 'resolveSum' } },
  resolveCount: { sum: { field: 'resolveCount' } },
};

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
  new Map(((aggs[name] as TermsAgg | undefined)?.buckets ?? []).map((b) => [String(b.key), sumField ? Math.round(b.n?.value ?? 0) : b.doc_count]));
const histogramOf = (aggs: Aggs, sum: boolean): Map<number, number> =>
  new Map(
    ((aggs.histogram as TermsAgg | undefined)?.buckets ?? [])
      .map((b): [number, number] => [Number(b.key), sum ? Math.round(b.n?.value ?? 0) : b.doc_count])
      .filter(([, count]) => count > 0),
  );
const valueOf = (aggs: Aggs, name: string): number => (aggs[name] as { value?: number | null } | undefined)?.value ?? 0;

/** The statistics in Elasticsearch: aggregations over the events view (raw) and over the rollups. */
export class ElasticStatsStore implements StatsStore {
  constructor(
    private readonly client: Client,
    private readonly names: ViewNames,
  ) {}

  async bounds(filter: EventFilter | null | undefined, cameraIdsOfSites: string[] | undefined): Promise<Range | undefined> {
    const query = eventQuery(filter, cameraIdsOfSites);
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

  async raw(
    filter: EventFilter | null | undefined,
    cameraIdsOfSites: string[] | undefined,
    ranges: readonly Range[] | undefined,
    interval: Interval,
  ): Promise<StatsPartial> {
    if (ranges && ranges.length === 0) return emptyPartial();
    // The time range is the `ranges`' business (the filter's own from/to is what the planner split).
    const query = eventQuery(filter, cameraIdsOfSites, { timeRange: false });
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
          histogram: { date_histogram: { field: 'occurredAt', fixed_interval: FIXED[interval], min_doc_count: 1 } },
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
  async rollups(
    filter: EventFilter | null | undefined,
    cameraIdsOfSites: string[] | undefined,
    range: Range,
    skipHours: number[],
    interval: Interval,
  ): Promise<StatsPartial> {
    const must: Query[] = [{ range: { hour: { gte: range.from, lt: range.to, format: 'epoch_millis' } } }];
    if (filter?.cameraIds) must.push({ terms: { cameraId: filter.cameraIds } });
    if (cameraIdsOfSites) must.push({ terms: { cameraId: cameraIdsOfSites } });
    if (filter?.types) must.push({ terms: { type: filter.types } });
    if (filter?.severities) must.push({ terms: { severity: filter.severities } });
    if (filter?.statuses) must.push({ terms: { status: filter.statuses } });
    const n = ROLLUP_COUNT;
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
          histogram: rollupHistogram(interval),
          ...ROLLUP_DURATION_SUMS,
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
   * The dimension rollups: hour documents of whole, clean hours in `hourSpans` except `skipHours`,
   * and the day documents of `builds` (whole, clean days; stats-plan.ts): statistics with no field
   * filter. Each dimension partitions the events, so totals, histogram and duration sums come from
   * the `status` documents and each breakdown from its own dimension's documents. A day document's
   * `hour` is its day's start, so one histogram on `hour` (HOUR or DAY, never finer) serves both.
   */
  async dimensionRollups(
    parts: { hourSpans: readonly Range[]; skipHours: readonly number[]; builds: readonly string[] },
    interval: Interval,
  ): Promise<StatsPartial> {
    const { hourSpans, skipHours, builds } = parts;
    const should: Query[] = [];
    if (hourSpans.length > 0) {
      should.push({
        bool: {
          filter: [rangeQuery('hour', hourSpans)],
          must_not: [{ exists: { field: 'day' } }, ...(skipHours.length > 0 ? [{ terms: { hour: [...skipHours] } }] : [])],
        },
      });
    }
    if (builds.length > 0) should.push({ terms: { build: [...builds] } });
    if (should.length === 0) return emptyPartial();
    const n = ROLLUP_COUNT;
    const of = (kind: string, aggs: Record<string, estypes.AggregationsAggregationContainer>): estypes.AggregationsAggregationContainer => ({
      filter: { term: { kind } },
      aggs,
    });
    const query: Query = { bool: { filter: [{ exists: { field: 'kind' } }, { bool: { should, minimum_should_match: 1 } }] } };
    // Two searches at once: a search of the one-shard index runs on one thread, and the camera
    // documents (one per camera per hour or day) are most of the work, so they get a thread of their own.
    const search = (aggs: Record<string, estypes.AggregationsAggregationContainer>) =>
      engine(() => this.client.search({ index: this.names.alias('rollups'), size: 0, query, aggs }));
    const [main, cameras] = await Promise.all([
      search({
        status: of('status', {
          total: n,
          byStatus: { terms: { field: 'status', size: 10 }, aggs: { n } },
          histogram: rollupHistogram(interval),
          ...ROLLUP_DURATION_SUMS,
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

  /** The hours of `rollupStatus` alone (no days). */
  async hourExceptions(range: Range, withSparse: boolean): Promise<number[] | undefined> {
    return (await this.rollupStatus(range, withSparse, false))?.hours;
  }

  /**
   * What rollups can serve in [from, to), in one search of the status index. `hours`: hours they
   * cannot, dirty ones (their rollups may be stale) and, for combination rollups (`withSparse`),
   * sparse ones (clean, but without combination documents). `days` (with `withDays`): clean days
   * and the build of their day documents. Undefined when rollups are no help: more exceptions than
   * one search lists, or (combinations) most hours sparse, when listing them costs more than
   * reading the events raw.
   */
  async rollupStatus(range: Range, withSparse: boolean, withDays: boolean): Promise<{ hours: number[]; days: Map<number, string> } | undefined> {
    const inRange = (field: string): Query => ({ range: { [field]: { gte: range.from, lt: range.to } } });
    const dirtyHour: Query = { bool: { filter: [{ term: { dirty: true } }, { exists: { field: 'hour' } }] } };
    const cleanDay: Query = { bool: { filter: [{ term: { dirty: false } }, { exists: { field: 'day' } }] } };
    // Dirty hours come as hits (usually none); clean days as the buckets of their builds (each
    // build id starts with its day): fetching a year of day statuses as hits, or a terms of days
    // with their builds under them, cost 2-4 ms more.
    const dayCount = Math.min(10000, Math.ceil((range.to - range.from) / INTERVAL_MS.DAY) + 1);
    const search = (size: number) =>
      engine(() =>
        this.client.search<{ hour?: number }>({
          index: this.names.dirtyHours,
          size,
          track_total_hits: true,
          query: withDays ? { bool: { should: [inRange('hour'), inRange('day')], minimum_should_match: 1 } } : inRange('hour'),
          post_filter: dirtyHour,
          aggs: {
            sparse: { filter: { bool: { filter: [{ term: { sparse: true } }, { term: { dirty: false } }] } } },
            ...(withDays ? { days: { filter: cleanDay, aggs: { build: { terms: { field: 'build', size: dayCount } } } } } : {}),
          },
          _source: ['hour'],
        }),
      );
    // Few hours are dirty at a time: a first page of 500, and 10,000 only when there are more (the
    // hit queue is sized by `size`: at 10,000 it cost ~1 ms of this search's 3.5 ms at 1M events).
    let response = await search(500);
    const listed = (r: typeof response) => (typeof r.hits.total === 'number' ? r.hits.total : (r.hits.total?.value ?? 0));
    if (listed(response) > response.hits.hits.length) response = await search(10000);
    if (listed(response) > response.hits.hits.length) return undefined;
    const dirty = response.hits.hits.map((hit) => hit._source?.hour).filter((h): h is number => typeof h === 'number');
    // Days past `dayCount` (never in a range this long) are simply served by hours: still exact.
    const days = new Map<number, string>();
    for (const bucket of (response.aggregations?.days as { build?: { buckets: Array<{ key: string }> } } | undefined)?.build?.buckets ?? []) {
      const day = dayOfBuild(bucket.key);
      if (day !== undefined) days.set(day, bucket.key);
    }
    const sparseCount = (response.aggregations?.sparse as { doc_count?: number } | undefined)?.doc_count ?? 0;
    if (!withSparse || sparseCount === 0) return { hours: dirty, days };
    if (sparseCount * 2 > (range.to - range.from) / INTERVAL_MS.HOUR || sparseCount > 10000) return undefined;
    const sparse = await engine(() =>
      this.client.search<{ hour: number }>({
        index: this.names.dirtyHours,
        size: 10000,
        query: { bool: { filter: [inRange('hour'), { term: { sparse: true } }, { term: { dirty: false } }] } },
        _source: ['hour'],
      }),
    );
    const sparseHours = sparse.hits.hits.map((hit) => hit._source?.hour).filter((h): h is number => typeof h === 'number');
    return { hours: [...dirty, ...sparseHours], days };
  }
}

export { INTERVAL_MS };
