import type { EventFilter } from './filters';
import { eventQuery } from './filters';
import { addPartials, toBuckets, type Bucket, type StatsPartial } from './stats-partial';
import { bucketStarts, splitForRollups, type Interval, type Range } from './stats-plan';
import type { StatsSource } from './stats-source';

export interface EventStats {
  total: number;
  byType: Bucket[];
  bySeverity: Bucket[];
  byStatus: Bucket[];
  /** Every camera, largest first: `topCameras(limit)` slices it. */
  cameras: Bucket[];
  histogram: Array<{ start: string; count: number }>;
  meanTimeToAcknowledgeSeconds: number | null;
  meanTimeToResolveSeconds: number | null;
  /** Which source answered: for tests and benchmarks. */
  usedRollups: boolean;
}

/**
 * eventStats: aggregations, never counters. Over long ranges the whole clean hours come from the
 * hourly rollups and only the edges and the dirty hours are aggregated from raw events, so a
 * one-year query reads a rollup per (hour, camera, type, severity, status) instead of every event.
 */
export async function computeEventStats(
  source: StatsSource,
  filter: EventFilter | null | undefined,
  interval: Interval,
  cameraIdsOfSites: string[] | undefined,
): Promise<EventStats> {
  const from = filter?.from ? Date.parse(filter.from) : undefined;
  const to = filter?.to ? Date.parse(filter.to) : undefined;
  let range: Range | undefined;
  if (from !== undefined && to !== undefined) range = { from, to };
  else {
    const data = await source.bounds(eventQuery(filter, cameraIdsOfSites));
    if (data) range = { from: from ?? data.from, to: to ?? data.to };
  }
  const starts = range ? bucketStarts(range, interval) : [];

  let partial: StatsPartial;
  let usedRollups = false;
  const noTime = eventQuery(filter, cameraIdsOfSites, { timeRange: false });
  const canRollup = range !== undefined && interval !== 'MINUTE' && !(filter?.text && filter.text.trim() !== '');
  const split = canRollup && range ? splitForRollups(range, await source.dirtyHours(range)) : undefined;
  if (split) {
    usedRollups = true;
    const [rolled, raw] = await Promise.all([
      source.rollups(filter, cameraIdsOfSites, { from: split.rollupFrom, to: split.rollupTo }, split.dirtyHours, interval),
      source.raw(noTime, split.raw, interval, true),
    ]);
    partial = addPartials([rolled, raw]);
  } else {
    partial = await source.raw(noTime, range ? [range] : undefined, interval, true);
  }

  return {
    total: partial.total,
    byType: toBuckets(partial.byType),
    bySeverity: toBuckets(partial.bySeverity),
    byStatus: toBuckets(partial.byStatus),
    cameras: toBuckets(partial.byCamera),
    histogram: starts.map((start) => ({ start: new Date(start).toISOString(), count: partial.histogram.get(start) ?? 0 })),
    meanTimeToAcknowledgeSeconds: partial.ackCount > 0 ? partial.ackSum / partial.ackCount : null,
    meanTimeToResolveSeconds: partial.resolveCount > 0 ? partial.resolveSum / partial.resolveCount : null,
    usedRollups,
  };
}
