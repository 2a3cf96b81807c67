import { ProjectionRuntime, type RuntimeDeps } from '../../../subgraphs/query/src/projection/runtime';
import { createLogger } from '../../../lib/logging/logger';

/** Fakes at the boundary: a store with nothing to read, views whose refreshes are counted. */
function runtimeWith(backlog: () => number, idleRefreshMs?: number) {
  const refreshes: number[] = [];
  const deps = {
    store: { headPosition: async () => 0, async *readAll() {} },
    admin: {
      names: { alias: (view: string) => `ns-${view}`, dirtyHours: 'ns-rollup-dirty' },
      refresh: async () => {
        refreshes.push(performance.now());
      },
    },
    views: {},
    state: {},
    logger: createLogger('test'),
    backlog,
    ...(idleRefreshMs === undefined ? {} : { idleRefreshMs }),
  } as unknown as RuntimeDeps;
  return { runtime: new ProjectionRuntime(deps), refreshes };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One applied event every 5 ms for `ms`, each followed by a tick, as the projector does; with
 * `read`, a reader waits for each (`minPosition`), so every one is wanted searchable at once.
 */
async function applyFor(runtime: ProjectionRuntime, ms: number, options: { read?: boolean } = {}): Promise<void> {
  const until = performance.now() + ms;
  for (let position = runtime.checkpoint.position + 1; performance.now() < until; position += 1) {
    runtime.checkpoint.markApplied([position]);
    if (options.read) void runtime.freshness.waitFor(position, 60_000).catch(() => undefined);
    runtime.tick();
    await sleep(5);
  }
}

describe('projection ticks', () => {
  it('refresh at most every 50 ms however often batches land', async () => {
    const { runtime, refreshes } = runtimeWith(() => 0);
    await applyFor(runtime, 500, { read: true });
    await runtime.settle();
    expect(refreshes.length).toBeGreaterThan(3);
    expect(refreshes.length).toBeLessThanOrEqual(12);
    expect(runtime.freshness.searchable).toBe(runtime.checkpoint.position);
  });

  it('refresh at most every second while a backlog waits, and promptly once it is gone', async () => {
    let backlog = 5000;
    const { runtime, refreshes } = runtimeWith(() => backlog);
    await applyFor(runtime, 500, { read: true });
    expect(refreshes.length).toBeLessThanOrEqual(1);
    backlog = 0;
    runtime.checkpoint.markApplied([runtime.checkpoint.position + 1]);
    runtime.tick();
    // The tick put off until a second after the first one is due in ~500 ms: it must come well before.
    for (let i = 0; i < 40 && runtime.freshness.searchable < runtime.checkpoint.position; i += 1) await sleep(5);
    expect(runtime.freshness.searchable).toBe(runtime.checkpoint.position);
  });

  it('refresh only when a read waits for what is applied, not after every batch', async () => {
    // No refresh for lack of time in this test: only the first applied event (nothing refreshed yet) and demand.
    const { runtime, refreshes } = runtimeWith(() => 0, 600_000);
    await applyFor(runtime, 300);
    await sleep(100);
    expect(refreshes).toHaveLength(1);
    const applied = runtime.checkpoint.position;
    expect(applied).toBeGreaterThan(runtime.freshness.searchable);

    // A read of a position not applied yet: a refresh would not answer it.
    const ahead = runtime.freshness.waitFor(applied + 2, 60_000);
    await sleep(100);
    expect(refreshes).toHaveLength(1);
    // Now applied (one batch after another): the read is answered, after one refresh.
    runtime.checkpoint.markApplied([applied + 1, applied + 2]);
    runtime.tick();
    await ahead;
    expect(refreshes).toHaveLength(2);
    expect(runtime.freshness.searchable).toBe(applied + 2);
    await runtime.stop();
  });

  it('without reads, applied events become searchable after the idle interval', async () => {
    const { runtime, refreshes } = runtimeWith(() => 0, 100);
    const searchable = async (position: number) => {
      for (let i = 0; i < 500 && runtime.freshness.searchable < position; i += 1) await sleep(10);
      expect(runtime.freshness.searchable).toBe(position);
    };
    runtime.checkpoint.markApplied([1]);
    runtime.tick();
    await searchable(1);
    runtime.checkpoint.markApplied([2, 3]);
    runtime.tick();
    await searchable(3);
    expect(refreshes).toHaveLength(2);
    await runtime.stop();
  });
});
