import { randomUUID } from 'node:crypto';
import { computeEventStats } from '../../../subgraphs/query/src/read/event-stats';
import { StateStore } from '../../../subgraphs/query/src/views/state-store';
import { ReadSideHarness, camera, recorded } from './harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// What a query process killed during rebuildProjection leaves behind must not break the next
// rebuild or the live projection; rebuilds of the rollups share the rollup worker's lease; and a
// rebuild does not wait for ever.
describe('rebuild leftovers, leases and timeouts', () => {
  const h = new ReadSideHarness('leftover');
  // The timeout test needs an event no projection applies: none replays it from the store in the test's time.
  beforeAll(() => h.start({ strandedMs: 600_000 }));
  afterAll(() => h.stop());

  const aliasIndices = async (alias: string) => Object.keys(await h.elastic.indices.getAlias({ name: alias }).catch(() => ({})));

  it('drops the -next index of a killed rebuild at start, and the next rebuild and the live projection go on', async () => {
    const cam = randomUUID();
    await h.write([camera(cam, 1), ...Array.from({ length: 20 }, () => recorded(randomUUID(), cam))]);
    // A rebuild that died after creating its index: the index behind `-next`, no process rebuilding.
    const leftover = await h.projection.admin.createNext('events');
    expect(await aliasIndices(h.names.nextAlias('events'))).toEqual([leftover]);

    // A query process starting now drops it.
    const second = await h.addProjector();
    expect(await aliasIndices(h.names.nextAlias('events'))).toEqual([]);

    // Another leftover, then a rebuild: it drops it first, so only its own index is behind `-next`.
    await h.projection.admin.createNext('events');
    const { done } = await second.rebuilder.start('events');
    const during = await h.write(Array.from({ length: 10 }, () => recorded(randomUUID(), cam)));
    await done;
    await h.caughtUp(during[during.length - 1]!.position);
    const stats = await computeEventStats(h.stats, { cameraIds: [cam] }, 'HOUR', undefined);
    expect(stats.total).toBe(30);
    const versions = Object.keys(await h.elastic.indices.get({ index: `${h.names.alias('events')}-v*` }));
    expect(versions).toEqual(await aliasIndices(h.names.alias('events')));
  }, 60_000);

  it('refuses a second rebuild of a view while another process rebuilds it', async () => {
    const state = new StateStore(h.elastic, h.names);
    expect(await state.holdLease('rebuild-cameras', 'another-process', 30_000)).toBe(true);
    await expect(h.projection.rebuilder.start('cameras')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await state.releaseLease('rebuild-cameras', 'another-process');
  });

  it('recomputes the rollups only under the rollup worker lease', async () => {
    const cam = randomUUID();
    const hoursAgo = new Date(Date.now() - 3 * 3600_000).toISOString();
    const written = await h.write(Array.from({ length: 12 }, () => recorded(randomUUID(), cam, { occurredAt: hoursAgo })));
    await h.caughtUp(written[written.length - 1]!.position);
    const state = new StateStore(h.elastic, h.names);
    // Another query process's worker holds the lease (written over this process's, as if it had
    // taken it after this one's expired): this process must not recompute meanwhile.
    await h.elastic.index({
      index: h.names.state,
      id: 'lease-rollups',
      document: { kind: 'lease', owner: 'another-process', until: Date.now() + 60_000, at: new Date().toISOString() },
      refresh: true,
    });
    const { done } = await h.projection.rebuilder.start('rollups');
    await sleep(3000);
    expect(await h.projection.rollups.settledDirtyLeft()).toBe(true);
    // That process stops: the rebuild gets the lease and finishes the work.
    await state.releaseLease('rollups', 'another-process');
    await done;
    expect(await h.projection.rollups.settledDirtyLeft()).toBe(false);
    const stats = await computeEventStats(h.stats, { cameraIds: [cam] }, 'HOUR', undefined);
    expect(stats.total).toBe(12);
  }, 90_000);

  it('gives up a rebuild whose live projection does not reach the head in time, and drops its index', async () => {
    // A process that does not consume: its live position never reaches what was written.
    const idle = await h.addProjector(undefined, { consume: false, rebuildWaitMs: 1500 });
    await h.write([camera(randomUUID(), 1)], false);
    const { done } = await idle.rebuilder.start('cameras');
    await expect(done).rejects.toThrow(/did not reach position/);
    expect(await aliasIndices(h.names.nextAlias('cameras'))).toEqual([]);
  }, 60_000);
});
