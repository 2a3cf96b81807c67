/** One item's outcome in a bulk action. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs `work` for every item, at most `limit` at a time, and reports each item's outcome in input
 * order: one failure neither stops nor hides the others (bulk acknowledge/resolve shows each).
 */
export async function runEach<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<Array<Outcome<R>>> {
  const outcomes = new Array<Outcome<R>>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      try {
        outcomes[index] = { ok: true, value: await work(items[index] as T) };
      } catch (error) {
        outcomes[index] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return outcomes;
}
