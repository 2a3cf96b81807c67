import { randomUUID } from 'node:crypto';
import { computeEventStats } from '../../../subgraphs/query/src/read/event-stats';
import { ReadSideHarness, camera, lifecycle, recorded } from './harness';

describe('rebuild with zero downtime', () => {
  const h = new ReadSideHarness('rebuild');
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('keeps answering exactly while a new index version is replayed, swapped in and the old one dropped', async () => {
    const steady = randomUUID();
    const live = randomUUID();
    const ids = Array.from({ length: 400 }, () => randomUUID());
    await h.write([camera(steady, 1), camera(live, 1)]);
    await h.write(ids.map((id, i) => recorded(id, steady, { severity: i % 2 ? 'HIGH' : 'LOW' })));
    const acked = await h.write(ids.slice(0, 50).map((id) => lifecycle(id, steady, 2)));
    await h.caughtUp(acked[acked.length - 1]!.position);
    const oldIndex = await h.projection.admin.concreteIndex(h.names.alias('events'));

    // Live traffic on another camera all along.
    let writing = true;
    let liveCount = 0;
    let lastLive = 0;
    const writer = (async () => {
      while (writing && liveCount < 2000) {
        const written = await h.write(Array.from({ length: 20 }, () => recorded(randomUUID(), live)));
        liveCount += written.length;
        lastLive = written[written.length - 1]!.position;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const { state, done } = await h.projection.rebuilder.start('events');
    let finished = false;
    void done.finally(() => {
      finished = true;
    });
    let queries = 0;
    const wrong: string[] = [];
    const progress: number[] = [];
    while (!finished) {
      const stats = await computeEventStats(h.stats, { cameraIds: [steady] }, 'HOUR', undefined);
      const page = await h.reader.searchEvents({ cameraIds: [steady], statuses: ['ACKNOWLEDGED'] }, 5, undefined);
      if (stats.total !== 400) wrong.push(`total ${stats.total}`);
      if (
        JSON.stringify(stats.byStatus) !==
        JSON.stringify([
          { key: 'OPEN', count: 350 },
          { key: 'ACKNOWLEDGED', count: 50 },
        ])
      )
        wrong.push(JSON.stringify(stats.byStatus));
      if (page.totalCount !== 50) wrong.push(`page ${page.totalCount}`);
      progress.push(state.progress);
      queries += 1;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await done;
    writing = false;
    await writer;

    expect(wrong).toEqual([]);
    expect(queries).toBeGreaterThan(3);
    expect(progress.some((p) => p > 0 && p < 1)).toBe(true);
    const newIndex = await h.projection.admin.concreteIndex(h.names.alias('events'));
    expect(newIndex).not.toBe(oldIndex);
    expect(await h.elastic.indices.exists({ index: oldIndex! })).toBe(false);

    // Live events written during the rebuild are all in the new version.
    await h.caughtUp(lastLive);
    const liveStats = await computeEventStats(h.stats, { cameraIds: [live] }, 'HOUR', undefined);
    expect(liveStats.total).toBe(liveCount);
  });

  it('rebuilds cameras too', async () => {
    const id = randomUUID();
    const written = await h.write([camera(id, 1, { name: 'before' }), camera(id, 2, { name: 'after' })]);
    await h.caughtUp(written[1]!.position);
    await (
      await h.projection.rebuilder.start('cameras')
    ).done;
    expect((await h.reader.getMany('cameras', [id])).get(id)).toMatchObject({ name: 'after', version: 2 });
  });
});
