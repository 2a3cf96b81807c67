import { randomUUID } from 'node:crypto';

/**
 * The documents of the hourly rollups, built from the (camera, type, severity, status) combinations
 * of one hour. Two kinds live in the rollups index:
 * - a **combination** document per (hour, camera, type, severity, status): serves filtered
 *   statistics (any filter on those fields); written only for dense hours (`isDense`), where they
 *   shrink the data;
 * - a **dimension** document per (hour, dimension, value), `kind` = the dimension: serves
 *   statistics without a field filter (the dashboard's case). At most (#types + #severities +
 *   #statuses + #cameras) per hour however sparse the data: one year is 8,760 hours x that, at
 *   any number of events. Each dimension partitions the hour's events, so the `status` documents
 *   alone give the total, the histogram and the duration sums.
 * - a **day** document per (day, dimension, value): the sum of that day's 24 hours of dimension
 *   documents (`dayRollupDocs`), built by the rollup worker once every hour of the day is clean.
 *   It carries `day` (and `hour` = the day's start, so one date histogram serves both kinds) and
 *   the `build` it belongs to; readers use only the build the day's status names (rollups.ts).
 * Counts and sums only (never means), so parts add up exactly.
 */
export interface Sums {
  count: number;
  ackSum: number;
  ackCount: number;
  resolveSum: number;
  resolveCount: number;
}

export interface Combination extends Sums {
  cameraId: string;
  type: string;
  severity: string;
  status: string;
}

export const DIMENSIONS = ['cameraId', 'type', 'severity', 'status'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface RollupDoc {
  id: string;
  doc: Record<string, unknown>;
}

const zero = (): Sums => ({ count: 0, ackSum: 0, ackCount: 0, resolveSum: 0, resolveCount: 0 });

const addSums = (into: Sums, from: Sums): void => {
  into.count += from.count;
  into.ackSum += from.ackSum;
  into.ackCount += from.ackCount;
  into.resolveSum += from.resolveSum;
  into.resolveCount += from.resolveCount;
};

const sumsOf = (s: Sums): Sums => ({ count: s.count, ackSum: s.ackSum, ackCount: s.ackCount, resolveSum: s.resolveSum, resolveCount: s.resolveCount });

export const DAY_MS = 86_400_000;
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** Sums per dimension value: the content of dimension documents, of an hour or of a day. */
export type DimensionSums = Map<Dimension, Map<string, Sums>>;
export const emptyDimensionSums = (): DimensionSums => new Map(DIMENSIONS.map((d) => [d, new Map()]));

export function addToDimension(into: DimensionSums, dimension: Dimension, key: string, sums: Sums): void {
  const values = into.get(dimension)!;
  const current = values.get(key) ?? zero();
  addSums(current, sums);
  values.set(key, current);
}

/**
 * Combination documents are written only for a dense hour: at least two events per combination on
 * average. A sparse hour (an event per combination, the common case below ~10M events a year on
 * 50 cameras) would gain nothing from them: filtered statistics read it raw, like a dirty hour.
 */
export function isDense(combinations: readonly Combination[]): boolean {
  let events = 0;
  for (const c of combinations) events += c.count;
  return combinations.length > 0 && combinations.length * 2 <= events;
}

/** The rollup documents of one hour, and whether it is dense (its combination documents are among them). */
export function rollupDocs(hour: number, combinationList: Iterable<Combination>): { docs: RollupDoc[]; dense: boolean } {
  const combinations = [...combinationList];
  const dense = isDense(combinations);
  const docs: RollupDoc[] = [];
  const byDimension = emptyDimensionSums();
  for (const c of combinations) {
    if (dense)
      docs.push({
        id: `${hour}|${c.cameraId}|${c.type}|${c.severity}|${c.status}`,
        doc: { hour, cameraId: c.cameraId, type: c.type, severity: c.severity, status: c.status, ...sumsOf(c) },
      });
    for (const dimension of DIMENSIONS) addToDimension(byDimension, dimension, c[dimension], c);
  }
  for (const [dimension, values] of byDimension) {
    for (const [key, sums] of values) docs.push({ id: `${hour}|by:${dimension}|${key}`, doc: { hour, kind: dimension, [dimension]: key, ...sums } });
  }
  return { docs, dense };
}

/**
 * A new build id for a day. It starts with the day, so readers learn the clean days and their
 * builds from one terms aggregation of the statuses' `build` (stats-source.ts).
 */
export const newDayBuild = (day: number): string => `${day}:${randomUUID()}`;
export const dayOfBuild = (build: string): number | undefined => {
  const day = Number(build.slice(0, build.indexOf(':')));
  return Number.isInteger(day) && build.includes(':') ? day : undefined;
};

/**
 * The day documents of one build of a day, from the sums of the day's hourly dimension documents.
 * The build is part of the id: a slow worker still writing an older build never overwrites the
 * documents of the build the day's status names.
 */
export function dayRollupDocs(day: number, build: string, sums: DimensionSums): RollupDoc[] {
  const docs: RollupDoc[] = [];
  for (const [dimension, values] of sums) {
    for (const [key, s] of values)
      docs.push({ id: `day:${day}|${build}|${dimension}|${key}`, doc: { hour: day, day, build, kind: dimension, [dimension]: key, ...sumsOf(s) } });
  }
  return docs;
}
