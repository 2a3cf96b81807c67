import { randomUUID } from 'node:crypto';
import { computeEventStats } from '../../../subgraphs/query/src/read/event-stats';
import { ReadSideHarness, camera, lifecycle, recorded } from './harness';

describe('several projector processes on one queue', () => {
  const h = new ReadSideHarness('competing');
  beforeAll(() => h.start({ projectors: 3 }));
  afterAll(() => h.stop());

  it('share the work with no double counting, each stream ending in its final state', async () => {
    const cam = randomUUID();
    const ids = Array.from({ length: 600 }, () => randomUUID());
    await h.write([camera(cam, 1)]);
    await h.write(ids.map((id) => recorded(id, cam)));
    await h.write(ids.slice(0, 300).map((id) => lifecycle(id, cam, 2)));
    const last = await h.write(ids.slice(0, 100).map((id) => lifecycle(id, cam, 3)));
    const head = last[last.length - 1]!.position;
    // Every process reaches the head, including through events the others applied.
    await Promise.all(h.projections.map((p) => p.runtime.freshness.waitFor(head, 60000)));
    const applied = h.projections.map((p) => p.projector.health.applied);
    expect(applied.filter((n) => n > 0).length).toBeGreaterThan(1);
    const stats = await computeEventStats(h.stats, { cameraIds: [cam] }, 'HOUR', undefined);
    expect(stats.total).toBe(600);
    expect(stats.byStatus).toEqual([
      { key: 'OPEN', count: 300 },
      { key: 'ACKNOWLEDGED', count: 200 },
      { key: 'RESOLVED', count: 100 },
    ]);
  }, 120000);
});
