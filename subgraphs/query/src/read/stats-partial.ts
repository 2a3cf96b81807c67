/** Statistics of one part of a range; parts add up exactly (sums and counts, never means). */
export interface StatsPartial {
  total: number;
  byType: Map<string, number>;
  bySeverity: Map<string, number>;
  byStatus: Map<string, number>;
  byCamera: Map<string, number>;
  histogram: Map<number, number>;
  ackSum: number;
  ackCount: number;
  resolveSum: number;
  resolveCount: number;
}

export const emptyPartial = (): StatsPartial => ({
  total: 0,
  byType: new Map(),
  bySeverity: new Map(),
  byStatus: new Map(),
  byCamera: new Map(),
  histogram: new Map(),
  ackSum: 0,
  ackCount: 0,
  resolveSum: 0,
  resolveCount: 0,
});

const addInto = <K>(target: Map<K, number>, source: Map<K, number>): void => {
  for (const [key, count] of source) target.set(key, (target.get(key) ?? 0) + count);
};

export function addPartials(parts: readonly StatsPartial[]): StatsPartial {
  const sum = emptyPartial();
  for (const part of parts) {
    sum.total += part.total;
    addInto(sum.byType, part.byType);
    addInto(sum.bySeverity, part.bySeverity);
    addInto(sum.byStatus, part.byStatus);
    addInto(sum.byCamera, part.byCamera);
    addInto(sum.histogram, part.histogram);
    sum.ackSum += part.ackSum;
    sum.ackCount += part.ackCount;
    sum.resolveSum += part.resolveSum;
    sum.resolveCount += part.resolveCount;
  }
  return sum;
}

export interface Bucket {
  key: string;
  count: number;
}

/** Largest first, then by key, so equal counts always come in the same order. */
export const toBuckets = (counts: Map<string, number>, limit = Number.MAX_SAFE_INTEGER): Bucket[] =>
  [...counts]
    .filter(([, count]) => count > 0)
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, limit);
