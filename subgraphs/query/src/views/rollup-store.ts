import type { Client, estypes } from '@elastic/elasticsearch';
import type { ViewNames } from './names';
import { DAY_MS, DIMENSIONS, addToDimension, emptyDimensionSums, type Combination, type DimensionSums, type RollupDoc } from './rollup-docs';
import { statusOf } from './elastic-errors';

const HOUR_MS = 3_600_000;

/** An hour's status: whether its rollup documents can be trusted. */
export interface HourStatus {
  hour: number;
  dirty: boolean;
  /** Clean but without combination documents: filtered statistics read the hour raw. */
  sparse?: boolean;
}

/** A day's status, in the same index as the hours' (one refresh makes both visible together). */
export interface DayStatus {
  day: number;
  dirty: boolean;
  /** When clean: the build whose day documents hold the day. */
  build?: string;
}

export const dayStatusId = (day: number): string => `day:${day}`;

/** A status read with the version a compare-and-set needs. */
export interface Versioned<T> {
  status: T;
  version: { seqNo: number; primaryTerm: number };
}

/**
 * Where the rollup rules (rollups.ts) keep their statuses and documents. The rules decide what to
 * recompute and in which order; this only reads and writes.
 */
export interface RollupStorage {
  /** Marks these hours and days dirty in one request (unrefreshed: see Rollups.markDirty). */
  markDirty(hours: readonly number[], days: readonly number[], options?: { refresh?: boolean }): Promise<void>;
  /** Every hour that has a status, in pages of ascending hours. */
  allHours(): AsyncIterable<number[]>;
  /** Up to `limit` dirty hours or days in `range`, oldest first. */
  dirty(field: 'hour' | 'day', range: { lt: number } | { lte: number }, limit: number): Promise<number[]>;
  /** The status in real time, or undefined when there is none. */
  hourStatus(hour: number): Promise<Versioned<HourStatus> | undefined>;
  dayStatus(day: number): Promise<Versioned<DayStatus> | undefined>;
  /** Whether every hour of the day that has a status is clean (real time). */
  hoursClean(day: number): Promise<boolean>;
  /** Makes every event document written so far visible to the aggregations below. */
  refreshEvents(): Promise<void>;
  /** The hour's events, summed per (camera, type, severity, status). */
  hourCombinations(hour: number): Promise<Combination[]>;
  /** Writes the hour's documents and deletes its documents that are not among them (refreshed). */
  replaceHour(hour: number, docs: readonly RollupDoc[]): Promise<void>;
  /** The clean hour dimension documents of the day, summed per dimension value. */
  daySums(day: number): Promise<DimensionSums>;
  /** Writes one build of the day's documents (refreshed). */
  writeDay(day: number, docs: readonly RollupDoc[]): Promise<void>;
  /** Deletes the day documents of every build but `build`. */
  dropOtherBuilds(day: number, build: string): Promise<void>;
  /** Compare-and-set against the version read before: false when the status changed since. */
  setClean(id: string, status: HourStatus | DayStatus, version: Versioned<unknown>['version']): Promise<boolean>;
}

type SumBuckets = {
  buckets: Array<{
    key: string;
    count: { value: number };
    ackSum: { value: number };
    ackCount: { value: number };
    resolveSum: { value: number };
    resolveCount: { value: number };
  }>;
  sum_other_doc_count?: number;
};

type CompositeBucket = {
  key: Record<string, string>;
  doc_count: number;
  ackSum: { value: number };
  ackCount: { value: number };
  resolveSum: { value: number };
  resolveCount: { value: number };
};

const versionOf = (read: { _seq_no?: number; _primary_term?: number }) =>
  read._seq_no === undefined || read._primary_term === undefined ? undefined : { seqNo: read._seq_no, primaryTerm: read._primary_term };

/** The rollups in Elasticsearch: statuses in `<ns>-rollup-dirty`, documents behind `<ns>-rollups`. */
export class ElasticRollupStore implements RollupStorage {
  constructor(
    private readonly client: Client,
    private readonly names: ViewNames,
  ) {}

  async markDirty(hours: readonly number[], days: readonly number[], options: { refresh?: boolean } = {}): Promise<void> {
    const operations = [
      ...hours.flatMap((hour) => [{ index: { _index: this.names.dirtyHours, _id: String(hour) } }, { hour, dirty: true }]),
      ...days.flatMap((day) => [{ index: { _index: this.names.dirtyHours, _id: dayStatusId(day) } }, { day, dirty: true }]),
    ];
    if (operations.length === 0) return;
    const response = await this.client.bulk({ operations, filter_path: 'errors', ...(options.refresh ? { refresh: true } : {}) });
    if (response.errors) throw new Error('marking rollup hours dirty failed');
  }

  async *allHours(): AsyncIterable<number[]> {
    let after: estypes.SortResults | undefined;
    for (;;) {
      const page = await this.client.search<HourStatus>({
        index: this.names.dirtyHours,
        size: 5000,
        query: { exists: { field: 'hour' } },
        sort: [{ hour: 'asc' }],
        ...(after ? { search_after: after } : {}),
      });
      const hits = page.hits.hits;
      if (hits.length === 0) return;
      yield hits.map((hit) => hit._source?.hour).filter((hour): hour is number => typeof hour === 'number');
      after = hits[hits.length - 1]?.sort;
    }
  }

  async dirty(field: 'hour' | 'day', range: { lt: number } | { lte: number }, limit: number): Promise<number[]> {
    const response = await this.client.search<Record<string, unknown>>({
      index: this.names.dirtyHours,
      size: limit,
      query: { bool: { filter: [{ term: { dirty: true } }, { range: { [field]: range } }] } },
      sort: [{ [field]: 'asc' as const }],
    });
    return response.hits.hits.map((hit) => hit._source?.[field]).filter((value): value is number => typeof value === 'number');
  }

  async hourStatus(hour: number): Promise<Versioned<HourStatus> | undefined> {
    return this.status<HourStatus>(String(hour));
  }

  async dayStatus(day: number): Promise<Versioned<DayStatus> | undefined> {
    return this.status<DayStatus>(dayStatusId(day));
  }

  private async status<T>(id: string): Promise<Versioned<T> | undefined> {
    const read = await this.client.get<T>({ index: this.names.dirtyHours, id }, { ignore: [404] });
    const version = versionOf(read);
    return read.found && read._source && version ? { status: read._source, version } : undefined;
  }

  async hoursClean(day: number): Promise<boolean> {
    const hours = await this.client.mget<HourStatus>({ index: this.names.dirtyHours, ids: Array.from({ length: 24 }, (_, i) => String(day + i * HOUR_MS)) });
    // Hours with no status have no events.
    return !hours.docs.some((doc) => '_source' in doc && doc._source !== undefined && doc._source.dirty !== false);
  }

  async refreshEvents(): Promise<void> {
    await this.client.indices.refresh({ index: this.names.alias('events') });
  }

  async hourCombinations(hour: number): Promise<Combination[]> {
    const combinations: Combination[] = [];
    let after: Record<string, string> | undefined;
    for (;;) {
      const response = await this.client.search({
        index: this.names.alias('events'),
        size: 0,
        query: { bool: { filter: [{ term: { hasRecord: true } }, { range: { occurredAt: { gte: hour, lt: hour + HOUR_MS, format: 'epoch_millis' } } }] } },
        aggs: {
          combos: {
            composite: {
              size: 2000,
              sources: [
                { cameraId: { terms: { field: 'cameraId' } } },
                { type: { terms: { field: 'type' } } },
                { severity: { terms: { field: 'severity' } } },
                { status: { terms: { field: 'status' } } },
              ],
              ...(after ? { after } : {}),
            },
            aggs: {
              ackSum: { sum: { field: 'ackSeconds' } },
              ackCount: { value_count: { field: 'ackSeconds' } },
              resolveSum: { sum: { field: 'resolveSeconds' } },
              resolveCount: { value_count: { field: 'resolveSeconds' } },
            },
          },
        },
      });
      const combos = response.aggregations?.combos as { buckets: CompositeBucket[]; after_key?: Record<string, string> } | undefined;
      for (const bucket of combos?.buckets ?? []) {
        const { cameraId, type, severity, status } = bucket.key;
        if (cameraId === undefined || type === undefined || severity === undefined || status === undefined) continue;
        combinations.push({
          cameraId,
          type,
          severity,
          status,
          count: bucket.doc_count,
          ackSum: bucket.ackSum.value,
          ackCount: bucket.ackCount.value,
          resolveSum: bucket.resolveSum.value,
          resolveCount: bucket.resolveCount.value,
        });
      }
      if (!combos?.after_key || (combos.buckets.length ?? 0) === 0) return combinations;
      after = combos.after_key;
    }
  }

  async replaceHour(hour: number, docs: readonly RollupDoc[]): Promise<void> {
    const rollups = this.names.alias('rollups');
    const fresh = new Set(docs.map(({ id }) => id));
    const operations: estypes.BulkRequest['operations'] = docs.flatMap(({ id, doc }) => [{ index: { _index: rollups, _id: id } }, doc]);
    // Combinations that no longer occur (e.g. all OPEN events of a camera got acknowledged) go away.
    // Day documents (their `hour` is the day's start) are the day's business, not this hour's.
    const existing = await this.client.search({
      index: rollups,
      size: 10000,
      _source: false,
      query: { bool: { filter: [{ term: { hour } }], must_not: [{ exists: { field: 'day' } }] } },
    });
    for (const hit of existing.hits.hits) {
      if (hit._id && !fresh.has(hit._id)) operations.push({ delete: { _index: rollups, _id: hit._id } });
    }
    if (operations.length === 0) return;
    const result = await this.client.bulk({ operations, refresh: true });
    if (result.errors) throw new Error(`rollup write for hour ${new Date(hour).toISOString()} failed`);
  }

  async daySums(day: number): Promise<DimensionSums> {
    const sums = {
      count: { sum: { field: 'count' } },
      ackSum: { sum: { field: 'ackSum' } },
      ackCount: { sum: { field: 'ackCount' } },
      resolveSum: { sum: { field: 'resolveSum' } },
      resolveCount: { sum: { field: 'resolveCount' } },
    };
    const response = await this.client.search({
      index: this.names.alias('rollups'),
      size: 0,
      query: {
        bool: {
          filter: [{ range: { hour: { gte: day, lt: day + DAY_MS, format: 'epoch_millis' } } }, { exists: { field: 'kind' } }],
          must_not: [{ exists: { field: 'day' } }],
        },
      },
      aggs: Object.fromEntries(
        DIMENSIONS.map((d) => [d, { filter: { term: { kind: d } }, aggs: { values: { terms: { field: d, size: 10000 }, aggs: sums } } }]),
      ),
    });
    const byDimension = emptyDimensionSums();
    for (const dimension of DIMENSIONS) {
      const values = (response.aggregations?.[dimension] as { values?: SumBuckets } | undefined)?.values;
      if ((values?.sum_other_doc_count ?? 0) > 0) throw new Error(`day ${new Date(day).toISOString()}: more than 10,000 values of ${dimension}`);
      for (const b of values?.buckets ?? []) {
        addToDimension(byDimension, dimension, String(b.key), {
          count: Math.round(b.count.value),
          ackSum: b.ackSum.value,
          ackCount: Math.round(b.ackCount.value),
          resolveSum: b.resolveSum.value,
          resolveCount: Math.round(b.resolveCount.value),
        });
      }
    }
    return byDimension;
  }

  async writeDay(day: number, docs: readonly RollupDoc[]): Promise<void> {
    if (docs.length === 0) return;
    const rollups = this.names.alias('rollups');
    const written = await this.client.bulk({
      operations: docs.flatMap(({ id, doc }) => [{ index: { _index: rollups, _id: id } }, doc]),
      refresh: true,
      filter_path: 'errors',
    });
    if (written.errors) throw new Error(`day rollup write for ${new Date(day).toISOString()} failed`);
  }

  async dropOtherBuilds(day: number, build: string): Promise<void> {
    const rollups = this.names.alias('rollups');
    const stale = await this.client.search({
      index: rollups,
      size: 10000,
      _source: false,
      query: { bool: { filter: [{ term: { day } }], must_not: [{ term: { build } }] } },
    });
    const deletes = stale.hits.hits.flatMap((hit) => (hit._id ? [{ delete: { _index: rollups, _id: hit._id } }] : []));
    if (deletes.length > 0) await this.client.bulk({ operations: deletes, filter_path: 'errors' });
  }

  async setClean(id: string, status: HourStatus | DayStatus, version: Versioned<unknown>['version']): Promise<boolean> {
    try {
      await this.client.index({
        index: this.names.dirtyHours,
        id,
        document: status,
        if_seq_no: version.seqNo,
        if_primary_term: version.primaryTerm,
        refresh: true,
      });
      return true;
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      return false;
    }
  }
}
