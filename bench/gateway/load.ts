import { percentile } from '../hardware';

export interface LoadResult {
  label: string;
  requests: number;
  /** Requests sent, warm-up included (for CPU per request measured around the whole loop). */
  sent: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Sorted latencies (ms), to merge rounds. */
  latencies: number[];
}

/** One result from several rounds of the same target. */
export function mergeLoads(results: readonly LoadResult[]): LoadResult {
  const [first] = results;
  if (!first) throw new Error('no rounds to merge');
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = results.reduce((sum, r) => sum + r.seconds, 0);
  const errors = results.reduce((sum, r) => sum + r.errors, 0);
  const sent = results.reduce((sum, r) => sum + r.sent, 0);
  return {
    label: first.label,
    requests: latencies.length,
    sent,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencies,
  };
}

/**
 * Closed-loop load: `concurrency` workers send one request after another for `seconds` (after a
 * warm-up that is not measured). A request counts as an error when it fails or carries GraphQL errors.
 */
export async function closedLoop(
  label: string,
  request: () => Promise<{ ok: boolean }>,
  options: { concurrency: number; seconds: number; warmupSeconds: number },
): Promise<LoadResult> {
  const run = async (seconds: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    let sent = 0;
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < deadline) {
          const started = performance.now();
          sent += 1;
          const outcome = await request().catch(() => ({ ok: false }));
          if (!record) continue;
          latencies.push(performance.now() - started);
          if (!outcome.ok) errors += 1;
        }
      }),
    );
    return { latencies, errors, sent };
  };
  const warmup = options.warmupSeconds > 0 ? (await run(options.warmupSeconds, false)).sent : 0;
  const started = performance.now();
  const { latencies, errors, sent } = await run(options.seconds, true);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    label,
    requests: latencies.length,
    sent: warmup + sent,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencies,
  };
}

export const formatLoad = (r: LoadResult): string =>
  `${r.label.padEnd(28)} ${r.perSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  (${r.requests} requests, ${r.errors} errors, ${r.seconds.toFixed(1)} s)`;
