import type { Logger } from '../../../../lib/logging/logger';
import type { ViewDoc } from './view-doc';
import { DAY_MS, dayOf, dayRollupDocs, newDayBuild, rollupDocs } from './rollup-docs';
import { pacedMethods } from '../../../../lib/async/duty-cycle';
import { dayStatusId, type RollupStorage } from './rollup-store';

const HOUR_MS = 3_600_000;
/** An hour is recomputed once it has been over for this long (late events just mark it dirty again). */
const SETTLE_MS = 60_000;

export const hourOf = (iso: unknown): number | undefined => {
  if (typeof iso !== 'string') return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / HOUR_MS) * HOUR_MS;
};

/** Stops a rollup run whose lease is running out (Rollups.recomputeDirty). */
class LeaseRunOut extends Error {}

/**
 * The rollup rules: hourly rollups (documents: rollup-docs.ts), recomputed from the events view
 * (never incremented: no scripts here), kept in a RollupStorage (rollup-store.ts).
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
    private readonly store: RollupStorage,
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
    // No refresh here: the compare-and-set of the worker reads in real time, and queries only need
    // the mark once the position of the event is published, which refreshes the status index first
    // (ProjectionRuntime). A refresh per mark cost about as much as the event bulk itself.
    await this.store.markDirty([...hours], [...new Set([...hours].map(dayOf))]);
    for (const hour of hours) if (now < hour + HOUR_MS + SETTLE_MS / 2) this.unsettledMarked.add(hour);
  }

  /**
   * Marks every known hour (unless `hours: false`) and the day of each dirty: queries go raw (exact)
   * while the worker recomputes them all. `hours: false` only makes the worker (re)build every day.
   */
  async markAllDirty(options: { hours?: boolean } = {}): Promise<number> {
    const withHours = options.hours ?? true;
    let marked = 0;
    for await (const hours of this.store.allHours()) {
      await this.store.markDirty(withHours ? hours : [], [...new Set(hours.map(dayOf))], { refresh: true });
      marked += hours.length;
    }
    return marked;
  }

  /**
   * Recomputes up to `limit` settled dirty hours, then builds up to `limit` days; returns how many
   * became clean. `mayWrite` is asked before every write of the run: once it says no (the worker's
   * lease is too close to its end, see start-projection.ts), the run stops where it is and the
   * hours and days it did not finish stay dirty. `pause` is awaited after every call to the storage
   * (the timed worker's pacing, so a long catch-up leaves the cores to live work).
   */
  async recomputeDirty(limit = 50, now = Date.now(), mayWrite: () => boolean = () => true, pause?: () => Promise<void>): Promise<number> {
    const fence = () => {
      if (!mayWrite()) throw new LeaseRunOut();
    };
    const store = pause ? pacedMethods(this.store, pause) : this.store;
    try {
      return await this.recomputeDirtyFenced(store, limit, now, fence);
    } catch (error) {
      if (!(error instanceof LeaseRunOut)) throw error;
      this.logger.debug('rollup run stopped: its lease is too close to its end');
      return 0;
    }
  }

  private async recomputeDirtyFenced(store: RollupStorage, limit: number, now: number, fence: () => void): Promise<number> {
    let cleaned = 0;
    for (const hour of await store.dirty('hour', { lt: now - HOUR_MS - SETTLE_MS }, limit)) {
      // Read the status (and its version for the compare-and-set) again in real time: the search may be a refresh behind.
      const current = await store.hourStatus(hour);
      if (!current?.status.dirty) continue;
      await store.refreshEvents();
      const { docs, dense } = rollupDocs(hour, await store.hourCombinations(hour));
      fence();
      await store.replaceHour(hour, docs);
      fence();
      if (await store.setClean(String(hour), { hour, dirty: false, sparse: !dense }, current.version)) cleaned += 1;
      else this.logger.debug({ hour }, 'hour changed while recomputing; stays dirty');
    }
    return cleaned + (await this.recomputeDays(store, limit, now, fence));
  }

  /** Whether any settled hour is still dirty (what a worker run would recompute). */
  async settledDirtyLeft(now = Date.now()): Promise<boolean> {
    return (await this.store.dirty('hour', { lt: now - HOUR_MS - SETTLE_MS }, 1)).length > 0;
  }

  /** Builds the day documents of up to `limit` dirty days that are over; returns how many became clean. */
  private async recomputeDays(store: RollupStorage, limit: number, now: number, fence: () => void): Promise<number> {
    let cleaned = 0;
    for (const day of await store.dirty('day', { lte: now - DAY_MS - SETTLE_MS }, limit)) {
      if (await this.recomputeDay(store, day, fence)) cleaned += 1;
    }
    return cleaned;
  }

  /** One day (see the class comment for why this order is exact under races). */
  private async recomputeDay(store: RollupStorage, day: number, fence: () => void): Promise<boolean> {
    const status = await store.dayStatus(day);
    if (!status?.status.dirty) return false;
    // An hour not clean yet keeps the day dirty. A clean hour's documents were written before its status turned clean.
    if (!(await store.hoursClean(day))) return false;
    const build = newDayBuild(day);
    const docs = dayRollupDocs(day, build, await store.daySums(day));
    fence();
    await store.writeDay(day, docs);
    fence();
    if (!(await store.setClean(dayStatusId(day), { day, dirty: false, build }, status.version))) {
      // This build's documents are never read (no status names it); the next build deletes them.
      this.logger.debug({ day }, 'day changed while building; stays dirty');
      return false;
    }
    // Other builds of the day are no longer named by its status: drop them.
    await store.dropOtherBuilds(day, build);
    return true;
  }
}
