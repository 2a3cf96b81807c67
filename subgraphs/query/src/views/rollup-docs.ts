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
  const byDimension = new Map<Dimension, Map<string, Sums>>(DIMENSIONS.map((d) => [d, new Map()]));
  for (const c of combinations) {
    if (dense) docs.push({ id: `${hour}|${c.cameraId}|${c.type}|${c.severity}|${c.status}`, doc: { hour, cameraId: c.cameraId, type: c.type, severity: c.severity, status: c.status, ...sumsOf(c) } });
    for (const dimension of DIMENSIONS) {
      const values = byDimension.get(dimension)!;
      const key = c[dimension];
      const sums = values.get(key) ?? zero();
      addSums(sums, c);
      values.set(key, sums);
    }
  }
  for (const [dimension, values] of byDimension) {
    for (const [key, sums] of values) docs.push({ id: `${hour}|by:${dimension}|${key}`, doc: { hour, kind: dimension, [dimension]: key, ...sums } });
  }
  return { docs, dense };
}
