import { ProjectionRuntime, type RuntimeDeps } from '../../../subgraphs/query/src/projection/runtime';
import { createLogger } from '../../../lib/logging/logger';

/** Fakes at the boundary: a store with nothing to read, views whose refreshes are counted. */
function runtimeWith(backlog: () => number) {
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
  } as unknown as RuntimeDeps;
  return { runtime: new ProjectionRuntime(deps), refreshes };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One applied event every 5 ms for `ms`, each followed by a tick, as the projector does. */
async function applyFor(runtime: ProjectionRuntime, ms: number): Promise<void> {
  const until = performance.now() + ms;
  for (let position = runtime.checkpoint.position + 1; performance.now() < until; position += 1) {
    runtime.checkpoint.markApplied([position]);
    runtime.tick();
    await sleep(5);
  }
}

describe('projection ticks', () => {
  it('refresh at most every 50 ms however often batches land', async () => {
    const { runtime, refreshes } = runtimeWith(() => 0);
    await applyFor(runtime, 500);
    await runtime.settle();
    expect(refreshes.length).toBeGreaterThan(3);
    expect(refreshes.length).toBeLessThanOrEqual(12);
    expect(runtime.freshness.searchable).toBe(runtime.checkpoint.position);
  });

  it('refresh at most every second while a backlog waits, and promptly once it is gone', async () => {
    let backlog = 5000;
    const { runtime, refreshes } = runtimeWith(() => backlog);
    await applyFor(runtime, 500);
    expect(refreshes.length).toBeLessThanOrEqual(1);
    backlog = 0;
    runtime.checkpoint.markApplied([runtime.checkpoint.position + 1]);
    runtime.tick();
    // The tick put off until a second after the first one is due in ~500 ms: it must come well before.
    for (let i = 0; i < 40 && runtime.freshness.searchable < runtime.checkpoint.position; i += 1) await sleep(5);
    expect(runtime.freshness.searchable).toBe(runtime.checkpoint.position);
  });
});
