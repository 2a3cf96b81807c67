/** A Prometheus histogram read from a `/metrics` text: cumulative bucket counts by upper bound. */
export interface HistogramSnapshot {
  buckets: Array<[number, number]>;
  sum: number;
  count: number;
}

const EMPTY: HistogramSnapshot = { buckets: [], sum: 0, count: 0 };

/** The series of `name` whose labels include every `labels` pair (undefined when absent). */
export function readHistogram(text: string, name: string, labels: Record<string, string> = {}): HistogramSnapshot {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const matches = (raw: string) => wanted.every((pair) => raw.includes(pair));
  const buckets: Array<[number, number]> = [];
  let sum = 0;
  let count = 0;
  for (const [, part, raw = '', value] of text.matchAll(new RegExp(`^${name}_(bucket|sum|count)(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) {
    if (!matches(raw)) continue;
    if (part === 'sum') sum = Number(value);
    else if (part === 'count') count = Number(value);
    else {
      const le = /le="([^"]+)"/.exec(raw)?.[1];
      if (le !== undefined) buckets.push([le === '+Inf' ? Infinity : Number(le), Number(value)]);
    }
  }
  return count === 0 && buckets.length === 0 ? EMPTY : { buckets, sum, count };
}

/** What was observed between two snapshots of one series. */
export function histogramDelta(before: HistogramSnapshot, after: HistogramSnapshot): HistogramSnapshot {
  const earlier = new Map(before.buckets);
  return {
    buckets: after.buckets.map(([le, n]) => [le, n - (earlier.get(le) ?? 0)]),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** "mean 12.3 ms, p50 <= 25 ms, p99 <= 100 ms (n)": percentiles as the bucket bound they fall in. */
export function formatHistogram(h: HistogramSnapshot): string {
  if (h.count <= 0) return 'none';
  const bound = (p: number) => {
    const rank = (p / 100) * h.count;
    const bucket = h.buckets.find(([, n]) => n >= rank);
    return bucket && Number.isFinite(bucket[0]) ? `<= ${(bucket[0] * 1000).toFixed(0)} ms` : 'above the last bucket';
  };
  return `mean ${((1000 * h.sum) / h.count).toFixed(1)} ms, p50 ${bound(50)}, p99 ${bound(99)} (${h.count})`;
}

/** A plain gauge or counter without labels (NaN when absent). */
export function readValue(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}
