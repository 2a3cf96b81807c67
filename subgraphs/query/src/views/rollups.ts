import type { Client, estypes } from '@elastic/elasticsearch';
import type { Logger } from '../../../../lib/logging/logger';
import type { ViewDoc } from '../projection/merge';
import type { ViewNames } from './names';
import { rollupDocs, type Combination } from './rollup-docs';

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
 */
export class Rollups {
  constructor(
    private readonly client: Client,
    private readonly names: ViewNames,
    private readonly logger: Logger,
  ) {}

  /** Hours this process marked dirty that no worker may clean yet (they have not settled). */
  private readonly unsettledMarked = new Set<number>();

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
    const operations = [...hours].flatMap((hour) => [{ index: { _index: this.names.dirtyHours, _id: String(hour) } }, { hour, dirty: true }]);
    // No refresh here: the compare-and-set of the worker reads in real time, and queries only need
    // the mark once the position of the event is published, which refreshes this index first
    // (ProjectionRuntime). A refresh per mark cost about as much as the event bulk itself.
    const response = await this.client.bulk({ operations, filter_path: 'errors' });
    if (response.errors) throw new Error('marking rollup hours dirty failed');
    for (const hour of hours) if (now < hour + HOUR_MS + SETTLE_MS / 2) this.unsettledMarked.add(hour);
  }

  /** Marks every known hour dirty: queries go raw (exact) while the worker recomputes them all. */
  async markAllDirty(): Promise<number> {
    let marked = 0;
    let after: estypes.SortResults | undefined;
    for (;;) {
      const page = await this.client.search<DirtyDoc>({ index: this.names.dirtyHours, size: 5000, sort: [{ hour: 'asc' }], ...(after ? { search_after: after } : {}) });
      const hits = page.hits.hits;
      if (hits.length === 0) break;
      const operations = hits.flatMap((hit) => [{ index: { _index: this.names.dirtyHours, _id: hit._id } }, { hour: hit._source?.hour, dirty: true }]);
      await this.client.bulk({ operations, refresh: true });
      marked += hits.length;
      after = hits[hits.length - 1]?.sort;
    }
    return marked;
  }

  /** Recomputes up to `limit` settled dirty hours; returns how many became clean. */
  async recomputeDirty(limit = 50, now = Date.now()): Promise<number> {
    const response = await this.client.search<DirtyDoc>({
      index: this.names.dirtyHours,
      size: limit,
      seq_no_primary_term: true,
      query: { bool: { filter: [{ term: { dirty: true } }, { range: { hour: { lt: now - HOUR_MS - SETTLE_MS } } }] } },
      sort: [{ hour: 'asc' }],
    });
    let cleaned = 0;
    for (const hit of response.hits.hits) {
      const hour = hit._source?.hour;
      if (hour === undefined || hit._seq_no === undefined || hit._primary_term === undefined) continue;
      // Read the status again in real time: the search may be a refresh behind.
      const current = await this.client.get<DirtyDoc>({ index: this.names.dirtyHours, id: String(hour) });
      if (!current._source?.dirty || current._seq_no === undefined || current._primary_term === undefined) continue;
      await this.client.indices.refresh({ index: this.names.alias('events') });
      const { sparse } = await this.recomputeHour(hour);
      try {
        await this.client.index({
          index: this.names.dirtyHours,
          id: String(hour),
          document: { hour, dirty: false, sparse },
          if_seq_no: current._seq_no,
          if_primary_term: current._primary_term,
          refresh: true,
        });
        cleaned += 1;
      } catch (error) {
        if ((error as { meta?: { statusCode?: number } }).meta?.statusCode !== 409) throw error;
        this.logger.debug({ hour }, 'hour changed while recomputing; stays dirty');
      }
    }
    return cleaned;
  }

  /** Rewrites the rollups of one hour; `sparse`: it has no combination documents (rollup-docs.ts). */
  private async recomputeHour(hour: number): Promise<{ sparse: boolean }> {
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
    const existing = await this.client.search({ index: rollups, size: 10000, _source: false, query: { term: { hour } } });
    for (const hit of existing.hits.hits) {
      if (hit._id && !fresh.has(hit._id)) operations.push({ delete: { _index: rollups, _id: hit._id } });
    }
    if (operations.length > 0) {
      const result = await this.client.bulk({ operations, refresh: true });
      if (result.errors) throw new Error(`rollup write for hour ${new Date(hour).toISOString()} failed`);
    }
    return { sparse: !dense };
  }
}
