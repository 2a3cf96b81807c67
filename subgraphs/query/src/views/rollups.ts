import type { Client, estypes } from '@elastic/elasticsearch';
import type { Logger } from '../../../../lib/logging/logger';
import type { ViewDoc } from '../projection/merge';
import type { ViewNames } from './names';
import { DAY_MS, DIMENSIONS, addToDimension, dayOf, dayRollupDocs, emptyDimensionSums, newDayBuild, rollupDocs, type Combination } from './rollup-docs';

const HOUR_MS = 3_600_000;
/** An hour is recomputed once it has been over for this long (late events just mark it dirty again). */
const SETTLE_MS = 60_000;

export const hourOf = (iso: unknown): number | undefined => {
  if (typeof iso !== 'string') return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / HOUR_MS) * HOUR_MS;
};

interface DirtyDoc {
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

/** Stops a rollup run whose lease is running out (Rollups.recomputeDirty). */
class LeaseRunOut extends Error {}

type SumBuckets = { buckets: Array<{ key: string; count: { value: number }; ackSum: { value: number }; ackCount: { value: number }; resolveSum: { value: number }; resolveCount: { value: number } }>; sum_other_doc_count?: number };

type CompositeBucket = {
  key: Record<string, string>;
  doc_count: number;
  ackSum: { value: number };
  ackCount: { value: number };
  resolveSum: { value: number };
  resolveCount: { value: number };
};

/**
 * Hourly rollups (documents: rollup-docs.ts), recomputed from the events view (never incremented:
 * no scripts here).
 *
 * An hour's status document says whether its rollups can be trusted. The projector marks an hour
 * dirty BEFORE writing any event document of that hour, and again AFTER, so a recompute that
 * raced the write fails its compare-and-set and the hour stays dirty. The marks are made searchable
 * by the refresh that precedes publishing a position (any process that sees the event document
 * applied also sees the earlier mark), so a reader at that position reads the hour raw.
 * Queries read dirty hours raw. Acknowledging an old event therefore dirties its hour until the
 * worker recomputes it: byStatus and the means stay exact.
 * One worker runs at a time across the query processes (a lease: StateStore.holdLease, taken in
 * start-projection.ts): two recomputing the same hour could let the slower one overwrite the hour's
 * documents after the faster one marked it clean, and the mark would not catch that. A holder
 * writes only within the first half of its lease (counted from before it renewed it, on its own
 * monotonic clock) and stops its run after that, so a holder that stalls writes nothing once it
 * resumes. What is left: one write request that takes longer than half the lease (15 s) to reach
 * Elasticsearch, or clocks of two query processes more than 15 s apart. Hour documents carrying the
 * build that wrote them, as day documents do, would close that too.
 *
 * Days: every mark of an hour also marks its day dirty, in the same bulk. Once a day is over and
 * all its hours are clean, the worker sums their dimension documents into day documents of a new
 * `build` (ids carry the build, so no other build's writes touch them) and then sets the day clean
 * naming that build, by compare-and-set against the status it read before checking the hours. Any
 * mark of an hour of the day in between changes that status, so the set fails and the day stays
 * dirty; any mark after it makes the day dirty again. Queries use a day's documents only while its
 * status is clean, and only those of the build it names: documents a slow worker writes for an
 * older build are never read, however late they land.
 */
export class Rollups {
  constructor(
    private readonly client: Client,
    private readonly names: ViewNames,
    private readonly logger: Logger,
  ) {}

  /** Hours this process marked dirty that no worker may clean yet (they have not settled). */
  private readonly unsettledMarked = new Set<number>();

  /** After a rewind the marks may be among the lost writes: mark every hour again when it is written. */
  forgetMarks(): void {
    this.unsettledMarked.clear();
  }

  async markDirty(docs: readonly ViewDoc[], now = Date.now()): Promise<void> {
    const hours = new Set<number>();
    for (const doc of docs) {
      const hour = hourOf(doc.occurredAt);
      // An hour that has not settled cannot be cleaned, so one mark of it is enough; a margin
      // covers clocks of other processes that are a little ahead.
      if (hour === undefined || (this.unsettledMarked.has(hour) && now < hour + HOUR_MS + SETTLE_MS / 2)) continue;
      hours.add(hour);
    }
    for (const hour of this.unsettledMarked) if (now >= hour + HOUR_MS + SETTLE_MS / 2) this.unsettledMarked.delete(hour);
    if (hours.size === 0) return;
    const days = new Set([...hours].map(dayOf));
    const operations = [
      ...[...hours].flatMap((hour) => [{ index: { _index: this.names.dirtyHours, _id: String(hour) } }, { hour, dirty: true }]),
      ...[...days].flatMap((day) => [{ index: { _index: this.names.dirtyHours, _id: dayStatusId(day) } }, { day, dirty: true }]),
    ];
    // No refresh here: the compare-and-set of the worker reads in real time, and queries only need
    // the mark once the position of the event is published, which refreshes this index first
    // (ProjectionRuntime). A refresh per mark cost about as much as the event bulk itself.
    const response = await this.client.bulk({ operations, filter_path: 'errors' });
    if (response.errors) throw new Error('marking rollup hours dirty failed');
    for (const hour of hours) if (now < hour + HOUR_MS + SETTLE_MS / 2) this.unsettledMarked.add(hour);
  }

  /**
   * Marks every known hour (unless `hours: false`) and the day of each dirty: queries go raw (exact)
   * while the worker recomputes them all. `hours: false` only makes the worker (re)build every day.
   */
  async markAllDirty(options: { hours?: boolean } = {}): Promise<number> {
    const withHours = options.hours ?? true;
    let marked = 0;
    let after: estypes.SortResults | undefined;
    for (;;) {
      const page = await this.client.search<DirtyDoc>({
        index: this.names.dirtyHours,
        size: 5000,
        query: { exists: { field: 'hour' } },
        sort: [{ hour: 'asc' }],
        ...(after ? { search_after: after } : {}),
      });
      const hits = page.hits.hits;
      if (hits.length === 0) break;
      const hours = hits.map((hit) => hit._source?.hour).filter((hour): hour is number => typeof hour === 'number');
      const operations = [
        ...(withHours ? hours.flatMap((hour) => [{ index: { _index: this.names.dirtyHours, _id: String(hour) } }, { hour, dirty: true }]) : []),
        ...[...new Set(hours.map(dayOf))].flatMap((day) => [{ index: { _index: this.names.dirtyHours, _id: dayStatusId(day) } }, { day, dirty: true }]),
      ];
      const result = await this.client.bulk({ operations, refresh: true });
      if (result.errors) throw new Error('marking all rollup hours dirty failed');
      marked += hits.length;
      after = hits[hits.length - 1]?.sort;
    }
    return marked;
  }

  /**
   * Recomputes up to `limit` settled dirty hours, then builds up to `limit` days; returns how many
   * became clean. `mayWrite` is asked before every write of the run: once it says no (the worker's
   * lease is too close to its end, see start-projection.ts), the run stops where it is and the
   * hours and days it did not finish stay dirty.
   */
  async recomputeDirty(limit = 50, now = Date.now(), mayWrite: () => boolean = () => true): Promise<number> {
    const fence = () => {
      if (!mayWrite()) throw new LeaseRunOut();
    };
    try {
      return await this.recomputeDirtyFenced(limit, now, fence);
    } catch (error) {
      if (!(error instanceof LeaseRunOut)) throw error;
      this.logger.debug('rollup run stopped: its lease is too close to its end');
      return 0;
    }
  }

  private async recomputeDirtyFenced(limit: number, now: number, fence: () => void): Promise<number> {
    const response = await this.dirtyStatuses<DirtyDoc>('hour', { lt: now - HOUR_MS - SETTLE_MS }, limit);
    let cleaned = 0;
    for (const hit of response.hits.hits) {
      const hour = hit._source?.hour;
      if (hour === undefined) continue;
      // Read the status (and its version for the compare-and-set) again in real time: the search may be a refresh behind.
      const current = await this.client.get<DirtyDoc>({ index: this.names.dirtyHours, id: String(hour) });
      if (!current._source?.dirty || current._seq_no === undefined || current._primary_term === undefined) continue;
      await this.client.indices.refresh({ index: this.names.alias('events') });
      const { sparse } = await this.recomputeHour(hour, fence);
      fence();
      if (await this.setClean(String(hour), { hour, dirty: false, sparse }, current)) cleaned += 1;
      else this.logger.debug({ hour }, 'hour changed while recomputing; stays dirty');
    }
    return cleaned + (await this.recomputeDays(limit, now, fence));
  }

  /** Whether any settled hour is still dirty (what a worker run would recompute). */
  async settledDirtyLeft(now = Date.now()): Promise<boolean> {
    const response = await this.dirtyStatuses<DirtyDoc>('hour', { lt: now - HOUR_MS - SETTLE_MS }, 1);
    return response.hits.hits.length > 0;
  }

  /** Up to `limit` dirty hour or day statuses whose hour or day lies in `range`, oldest first. */
  private dirtyStatuses<T>(field: 'hour' | 'day', range: { lt: number } | { lte: number }, limit: number) {
    return this.client.search<T>({
      index: this.names.dirtyHours,
      size: limit,
      query: { bool: { filter: [{ term: { dirty: true } }, { range: { [field]: range } }] } },
      sort: [{ [field]: 'asc' as const }],
    });
  }

  /** Compare-and-set of a status from the version read before recomputing; false: it changed since (stays dirty). */
  private async setClean(id: string, document: DirtyDoc | DayStatus, read: { _seq_no?: number; _primary_term?: number }): Promise<boolean> {
    if (read._seq_no === undefined || read._primary_term === undefined) return false;
    try {
      await this.client.index({ index: this.names.dirtyHours, id, document, if_seq_no: read._seq_no, if_primary_term: read._primary_term, refresh: true });
      return true;
    } catch (error) {
      if ((error as { meta?: { statusCode?: number } }).meta?.statusCode !== 409) throw error;
      return false;
    }
  }

  /** Builds the day documents of up to `limit` dirty days that are over; returns how many became clean. */
  private async recomputeDays(limit: number, now: number, fence: () => void): Promise<number> {
    const response = await this.dirtyStatuses<DayStatus>('day', { lte: now - DAY_MS - SETTLE_MS }, limit);
    let cleaned = 0;
    for (const hit of response.hits.hits) {
      const day = hit._source?.day;
      if (typeof day === 'number' && (await this.recomputeDay(day, fence))) cleaned += 1;
    }
    return cleaned;
  }

  /** One day (see the class comment for why this order is exact under races). */
  private async recomputeDay(day: number, fence: () => void): Promise<boolean> {
    const status = await this.client.get<DayStatus>({ index: this.names.dirtyHours, id: dayStatusId(day) });
    if (!status._source?.dirty || status._seq_no === undefined || status._primary_term === undefined) return false;
    // Real-time reads: an hour not clean yet keeps the day dirty (hours with no status have no events).
    const hours = await this.client.mget<DirtyDoc>({ index: this.names.dirtyHours, ids: Array.from({ length: 24 }, (_, i) => String(day + i * HOUR_MS)) });
    if (hours.docs.some((doc) => '_source' in doc && doc._source !== undefined && doc._source.dirty !== false)) return false;
    const rollups = this.names.alias('rollups');
    const sums = { count: { sum: { field: 'count' } }, ackSum: { sum: { field: 'ackSum' } }, ackCount: { sum: { field: 'ackCount' } }, resolveSum: { sum: { field: 'resolveSum' } }, resolveCount: { sum: { field: 'resolveCount' } } };
    // A clean hour's documents were written (refresh=true) before its status turned clean.
    const response = await this.client.search({
      index: rollups,
      size: 0,
      query: { bool: { filter: [{ range: { hour: { gte: day, lt: day + DAY_MS, format: 'epoch_millis' } } }, { exists: { field: 'kind' } }], must_not: [{ exists: { field: 'day' } }] } },
      aggs: Object.fromEntries(DIMENSIONS.map((d) => [d, { filter: { term: { kind: d } }, aggs: { values: { terms: { field: d, size: 10000 }, aggs: sums } } }])),
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
    const build = newDayBuild(day);
    const docs = dayRollupDocs(day, build, byDimension);
    fence();
    if (docs.length > 0) {
      const written = await this.client.bulk({ operations: docs.flatMap(({ id, doc }) => [{ index: { _index: rollups, _id: id } }, doc]), refresh: true, filter_path: 'errors' });
      if (written.errors) throw new Error(`day rollup write for ${new Date(day).toISOString()} failed`);
    }
    fence();
    if (!(await this.setClean(dayStatusId(day), { day, dirty: false, build }, status))) {
      // This build's documents are never read (no status names it); the next build deletes them.
      this.logger.debug({ day }, 'day changed while building; stays dirty');
      return false;
    }
    // Other builds of the day are no longer named by its status: drop them.
    const stale = await this.client.search({ index: rollups, size: 10000, _source: false, query: { bool: { filter: [{ term: { day } }], must_not: [{ term: { build } }] } } });
    const deletes = stale.hits.hits.flatMap((hit) => (hit._id ? [{ delete: { _index: rollups, _id: hit._id } }] : []));
    if (deletes.length > 0) await this.client.bulk({ operations: deletes, filter_path: 'errors' });
    return true;
  }

  /** Rewrites the rollups of one hour; `sparse`: it has no combination documents (rollup-docs.ts). */
  private async recomputeHour(hour: number, fence: () => void): Promise<{ sparse: boolean }> {
    const rollups = this.names.alias('rollups');
    const fresh = new Set<string>();
    const operations: estypes.BulkRequest['operations'] = [];
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
              sources: [{ cameraId: { terms: { field: 'cameraId' } } }, { type: { terms: { field: 'type' } } }, { severity: { terms: { field: 'severity' } } }, { status: { terms: { field: 'status' } } }],
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
      if (!combos?.after_key || (combos.buckets.length ?? 0) === 0) break;
      after = combos.after_key;
    }
    const { docs, dense } = rollupDocs(hour, combinations);
    for (const { id, doc } of docs) {
      fresh.add(id);
      operations.push({ index: { _index: rollups, _id: id } }, doc);
    }
    // Combinations that no longer occur (e.g. all OPEN events of a camera got acknowledged) go away.
    // Day documents (their `hour` is the day's start) are the day's business, not this hour's.
    const existing = await this.client.search({ index: rollups, size: 10000, _source: false, query: { bool: { filter: [{ term: { hour } }], must_not: [{ exists: { field: 'day' } }] } } });
    for (const hit of existing.hits.hits) {
      if (hit._id && !fresh.has(hit._id)) operations.push({ delete: { _index: rollups, _id: hit._id } });
    }
    fence();
    if (operations.length > 0) {
      const result = await this.client.bulk({ operations, refresh: true });
      if (result.errors) throw new Error(`rollup write for hour ${new Date(hour).toISOString()} failed`);
    }
    return { sparse: !dense };
  }
}
