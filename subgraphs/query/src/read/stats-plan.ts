import { AppError } from '../../../../lib/errors/app-error';

export type Interval = 'MINUTE' | 'HOUR' | 'DAY';

export const INTERVAL_MS: Record<Interval, number> = { MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };
export const HOUR_MS = INTERVAL_MS.HOUR;
/** Enough for HOUR over a year (8,784) and MINUTE over a week; more is refused, not truncated. */
export const MAX_BUCKETS = 10_080;

export interface Range {
  from: number;
  to: number;
}

/** The histogram's bucket starts: aligned to the interval (UTC), covering [from, to). */
export function bucketStarts(range: Range, interval: Interval): number[] {
  const step = INTERVAL_MS[interval];
  const first = Math.floor(range.from / step) * step;
  const count = Math.ceil((range.to - first) / step);
  if (count > MAX_BUCKETS) {
    throw new AppError(
      'BAD_USER_INPUT',
      `${interval} over this range gives ${count} buckets (at most ${MAX_BUCKETS}): choose a larger interval or a shorter range`,
      {
        buckets: count,
        maxBuckets: MAX_BUCKETS,
      },
    );
  }
  return Array.from({ length: Math.max(0, count) }, (_, i) => first + i * step);
}

/**
 * Which parts of a range come from rollups and which from raw events: day documents serve the
 * whole, clean days (when `cleanDays` are given), hour documents the other whole, clean
 * (recomputed, not dirty since) hours; raw aggregation serves the edges and the dirty hours.
 * Returns undefined when rollups cannot serve any of it.
 */
export interface Split {
  rollupFrom: number;
  rollupTo: number;
  /** Hours inside [rollupFrom, rollupTo) that rollups must skip (served raw). */
  dirtyHours: number[];
  /** Raw ranges: the edges plus every dirty hour. */
  raw: Range[];
  /** Whole days inside [rollupFrom, rollupTo) served by day documents, and the build of each. */
  days: number[];
  builds: string[];
  /** The rest of [rollupFrom, rollupTo), served by hour documents (minus `dirtyHours`). */
  hourSpans: Range[];
}

const DAY_MS = INTERVAL_MS.DAY;

/** `cleanDays`: day start -> the build of its day documents (only for statistics day documents can serve). */
export function splitForRollups(range: Range, dirtyHours: readonly number[], cleanDays: ReadonlyMap<number, string> = new Map()): Split | undefined {
  const rollupFrom = Math.ceil(range.from / HOUR_MS) * HOUR_MS;
  const rollupTo = Math.floor(range.to / HOUR_MS) * HOUR_MS;
  if (rollupTo - rollupFrom < 6 * HOUR_MS) return undefined;
  const dirty = [...new Set(dirtyHours)].filter((h) => h >= rollupFrom && h < rollupTo).sort((a, b) => a - b);
  const raw: Range[] = [];
  if (range.from < rollupFrom) raw.push({ from: range.from, to: rollupFrom });
  for (const hour of dirty) {
    const last = raw[raw.length - 1];
    if (last && last.to === hour) last.to = hour + HOUR_MS;
    else raw.push({ from: hour, to: hour + HOUR_MS });
  }
  if (rollupTo < range.to) {
    const last = raw[raw.length - 1];
    if (last && last.to === rollupTo) last.to = range.to;
    else raw.push({ from: rollupTo, to: range.to });
  }
  // A day with a dirty hour is never served whole (its status cannot be clean then; this is a guard).
  const dirtyDays = new Set(dirty.map((hour) => Math.floor(hour / DAY_MS) * DAY_MS));
  const days = [...cleanDays.keys()].filter((day) => day >= rollupFrom && day + DAY_MS <= rollupTo && !dirtyDays.has(day)).sort((a, b) => a - b);
  const hourSpans: Range[] = [];
  let cursor = rollupFrom;
  for (const day of days) {
    if (day > cursor) hourSpans.push({ from: cursor, to: day });
    cursor = day + DAY_MS;
  }
  if (cursor < rollupTo) hourSpans.push({ from: cursor, to: rollupTo });
  return { rollupFrom, rollupTo, dirtyHours: dirty, raw, days, builds: days.map((day) => cleanDays.get(day)!), hourSpans };
}
