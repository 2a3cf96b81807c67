import type { EventFilter } from './filters';
import type { StatsPartial } from './stats-partial';
import type { Interval, Range } from './stats-plan';

/**
 * Where the statistics come from: the events view (raw) and the rollups. The planner
 * (event-stats.ts) decides which ranges each part answers and adds the partial sums up; the store
 * (elastic-stats-store.ts) turns each request into its queries and aggregations.
 */
export interface StatsStore {
  /** Min and max occurredAt of the matching events, for a histogram without explicit bounds. */
  bounds(filter: EventFilter | null | undefined, cameraIdsOfSites: string[] | undefined): Promise<Range | undefined>;
  /** The matching events aggregated raw; `ranges` restricts occurredAt (undefined: no restriction). */
  raw(
    filter: EventFilter | null | undefined,
    cameraIdsOfSites: string[] | undefined,
    ranges: readonly Range[] | undefined,
    interval: Interval,
  ): Promise<StatsPartial>;
  /** The combination rollups of whole, clean hours in `range` except `skipHours` (field filters). */
  rollups(
    filter: EventFilter | null | undefined,
    cameraIdsOfSites: string[] | undefined,
    range: Range,
    skipHours: number[],
    interval: Interval,
  ): Promise<StatsPartial>;
  /** The dimension rollups (hour documents of `hourSpans` except `skipHours`, day documents of `builds`): no field filter. */
  dimensionRollups(parts: { hourSpans: readonly Range[]; skipHours: readonly number[]; builds: readonly string[] }, interval: Interval): Promise<StatsPartial>;
  /**
   * What rollups can serve in the range: the hours they cannot (dirty, and sparse ones for
   * combinations) and the clean days with their builds; undefined when rollups are no help.
   */
  rollupStatus(range: Range, withSparse: boolean, withDays: boolean): Promise<{ hours: number[]; days: Map<number, string> } | undefined>;
}
