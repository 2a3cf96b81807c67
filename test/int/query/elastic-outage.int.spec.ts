import { randomUUID } from 'node:crypto';
import { computeEventStats } from '../../../subgraphs/query/src/read/event-stats';
import { startFaultProxyFor, type FaultProxy } from '../../support/fault-proxy';
import { ReadSideHarness, camera, lifecycle, recorded } from './harness';
import { ENGINE_URLS } from '../../support/engine-urls';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Elasticsearch outage under load', () => {
  const h = new ReadSideHarness('esoutage');
  let proxy: FaultProxy;
  beforeAll(async () => {
    const url = new URL(ENGINE_URLS.elasticsearch);
    proxy = await startFaultProxyFor(url.toString());
    // The projector reaches Elasticsearch only through the proxy; the test reads directly.
    await h.start({ projectors: 0 });
    await h.addProjector(proxy.url(url.toString().replace(/\/$/, '')));
  });
  afterAll(async () => {
    await h.stop();
    await proxy.close();
  });

  it('backs off while it is away, reports the growing lag, then catches up with exact counts', async () => {
    const cam = randomUUID();
    await h.write([camera(cam, 1)]);
    let written = 0;
    let acked = 0;
    let last = 0;
    let writing = true;
    const writer = (async () => {
      for (let round = 0; writing && round < 400; round += 1) {
        const ids = Array.from({ length: 25 }, () => randomUUID());
        const envelopes = await h.write(ids.map((id) => recorded(id, cam)));
        const ack = await h.write([lifecycle(ids[0]!, cam, 2)]);
        written += ids.length;
        acked += 1;
        last = Math.max(envelopes[envelopes.length - 1]!.position, ack[0]!.position);
        await sleep(50);
      }
    })();

    await sleep(2000);
    proxy.cut();
    const cutAt = last;
    await sleep(12000);
    const during = (await h.projection.status.statuses()).find((s) => s.name === 'events')!;
    proxy.restore();
    await sleep(2000);
    writing = false;
    await writer;

    expect(Number(during.headPosition)).toBeGreaterThan(cutAt);
    expect(during.lag).toBeGreaterThan(0);
    expect(during.state).toBe('CATCHING_UP');
    expect(during.lastError).toMatch(/elasticsearch|connect|socket|ECONN|closed/i);

    await h.caughtUp(last, 60000);
    const stats = await computeEventStats(h.stats, { cameraIds: [cam] }, 'HOUR', undefined);
    expect(stats.total).toBe(written);
    expect(stats.byStatus).toEqual([
      { key: 'OPEN', count: written - acked },
      { key: 'ACKNOWLEDGED', count: acked },
    ]);
    const after = (await h.projection.status.statuses()).find((s) => s.name === 'events')!;
    expect(after.lastError).toBeNull();
  }, 120000);
});
