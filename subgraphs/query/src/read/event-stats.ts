import type { EventFilter } from './filters';
import { addPartials, toBuckets, type Bucket, type StatsPartial } from './stats-partial';
import { HOUR_MS, bucketStarts, splitForRollups, type Interval, type Range } from './stats-plan';
import type { StatsStore } from './stats-store';

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
  rollupKind: 'combinations' | 'dimensions' | null;
}

/** More separate raw ranges than this (hours alternating dirty/sparse and clean) and all of it is read raw. */
const MAX_RAW_RANGES = 500;

/** A filter on a field the combination rollups carry (else the much smaller dimension rollups serve). */
const hasFieldFilter = (filter: EventFilter | null | undefined, cameraIdsOfSites: string[] | undefined): boolean =>
  Boolean(filter?.cameraIds || cameraIdsOfSites || filter?.types || filter?.severities || filter?.statuses);

/**
 * eventStats: aggregations, never counters. Over long ranges the whole clean days (DAY histogram,
 * no field filter) and hours come from the rollups and only the edges and the dirty hours are
 * aggregated from raw events, so a one-year query reads rollup documents (rollup-docs.ts) instead
 * of every event.
 */
export async function computeEventStats(
  source: StatsStore,
  filter: EventFilter | null | undefined,
  interval: Interval,
  cameraIdsOfSites: string[] | undefined,
  /** `rollups: false` answers from raw events only, `days: false` without day documents (tests and benches compare). */
  options: { rollups?: boolean; days?: boolean } = {},
): Promise<EventStats> {
  const from = filter?.from ? Date.parse(filter.from) : undefined;
  const to = filter?.to ? Date.parse(filter.to) : undefined;
  let range: Range | undefined;
  if (from !== undefined && to !== undefined) range = { from, to };
  else {
    const data = await source.bounds(filter, cameraIdsOfSites);
    if (data) range = { from: from ?? data.from, to: to ?? data.to };
  }
  const starts = range ? bucketStarts(range, interval) : [];

  let partial: StatsPartial;
  let usedRollups = false;
  const canRollup = (options.rollups ?? true) && range !== undefined && interval !== 'MINUTE' && !(filter?.text && filter.text.trim() !== '');
  let rollupKind: EventStats['rollupKind'] = null;
  const kind = hasFieldFilter(filter, cameraIdsOfSites) ? 'combinations' : 'dimensions';
  // Sparse hours have no combination documents: filtered statistics read them raw. Day documents
  // (dimensions only) cannot split a day, so only a DAY histogram can use them.
  const withDays = (options.days ?? true) && kind === 'dimensions' && interval === 'DAY';
  const status = canRollup && range ? await source.rollupStatus(range, kind === 'combinations', withDays) : undefined;
  const split = status && range ? splitForRollups(range, status.hours, status.days) : undefined;
  // Rollups help only if they serve some hours, and the raw rest must stay a query of bounded size.
  const useSplit = split !== undefined && split.dirtyHours.length * HOUR_MS < split.rollupTo - split.rollupFrom && split.raw.length <= MAX_RAW_RANGES;
  if (split && useSplit) {
    usedRollups = true;
    const rolledRange = { from: split.rollupFrom, to: split.rollupTo };
    rollupKind = kind;
    const [rolled, raw] = await Promise.all([
      rollupKind === 'combinations'
        ? source.rollups(filter, cameraIdsOfSites, rolledRange, split.dirtyHours, interval)
        : source.dimensionRollups({ hourSpans: split.hourSpans, skipHours: split.dirtyHours, builds: split.builds }, interval),
      source.raw(filter, cameraIdsOfSites, split.raw, interval),
    ]);
    partial = addPartials([rolled, raw]);
  } else {
    partial = await source.raw(filter, cameraIdsOfSites, range ? [range] : undefined, interval);
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
    rollupKind,
  };
}
