import { randomUUID } from 'node:crypto';
import type { AppendCandidate, EventStore } from '../../../lib/event-store/event-store';
import type { EventEnvelope } from '../../../lib/events/envelope';

/** The contract every EventStore adapter must meet; an adapter's int spec calls it with a factory. */
export interface ContractHarness {
  store(): EventStore;
}

const metadata = { correlationId: 'c-1', causationId: null, actor: 'tester' };

export const cameraCandidate = (cameraId: string, version: number, name = `cam ${version}`): AppendCandidate => ({
  streamId: `camera-${cameraId}`,
  version,
  id: randomUUID(),
  occurredAt: new Date().toISOString(),
  metadata,
  event:
    version === 1
      ? {
          type: 'CameraRegistered',
          data: { cameraId, name, site: null, rtspUrl: 'rtsp://127.0.0.1/x', tags: [], recording: { enabled: false, retentionHours: 24 } },
        }
      : { type: 'CameraUpdated', data: { cameraId, name } },
});

export async function collect(iterable: AsyncIterable<EventEnvelope[]>): Promise<EventEnvelope[]> {
  const all: EventEnvelope[] = [];
  for await (const batch of iterable) all.push(...batch);
  return all;
}

export function eventStoreContract(harness: ContractHarness): void {
  it('appends a stream and reads it back in version order', async () => {
    const store = harness.store();
    const id = randomUUID();
    const first = await store.append([cameraCandidate(id, 1)]);
    expect(first.outcomes[0]?.status).toBe('written');
    await store.append([cameraCandidate(id, 2)]);
    const events = await store.readStream(`camera-${id}`);
    expect(events.map((e) => [e.version, e.type])).toEqual([
      [1, 'CameraRegistered'],
      [2, 'CameraUpdated'],
    ]);
    expect(events[0]!.position).toBeLessThan(events[1]!.position);
    expect(await store.streamVersion(`camera-${id}`)).toBe(2);
    expect(await store.readEvent(`camera-${id}`, 3)).toBeNull();
  });

  it('refuses a taken version and reports the event that holds it, writing nothing', async () => {
    const store = harness.store();
    const id = randomUUID();
    const winner = await store.append([cameraCandidate(id, 1, 'winner')]);
    const loser = await store.append([cameraCandidate(id, 1, 'loser')]);
    expect(loser.outcomes[0]).toMatchObject({ status: 'conflict', existing: { id: (winner.outcomes[0] as { envelope: EventEnvelope }).envelope.id } });
    const events = await store.readStream(`camera-${id}`);
    expect(events).toHaveLength(1);
    const all = await collect(store.readAll(0));
    expect(all.filter((e) => e.streamId === `camera-${id}`)).toHaveLength(1);
  });

  it('lets exactly one of many concurrent appends win each version', async () => {
    const store = harness.store();
    const id = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.append([cameraCandidate(id, 1)])));
    expect(results.filter((r) => r.outcomes[0]?.status === 'written')).toHaveLength(1);
    expect(await store.streamVersion(`camera-${id}`)).toBe(1);
  });

  it('writes each stream of a multi-stream append on its own', async () => {
    const store = harness.store();
    const taken = randomUUID();
    await store.append([cameraCandidate(taken, 1)]);
    const fresh = randomUUID();
    const result = await store.append([cameraCandidate(fresh, 1), cameraCandidate(taken, 1)]);
    expect(result.outcomes.map((o) => o.status)).toEqual(['written', 'conflict']);
  });

  it('reads everything after a position in position order, in batches, up to the head', async () => {
    const store = harness.store();
    const before = await store.headPosition();
    const ids = Array.from({ length: 7 }, () => randomUUID());
    await store.append(ids.slice(0, 3).map((id) => cameraCandidate(id, 1)));
    for (const id of ids.slice(3)) await store.append([cameraCandidate(id, 1)]);
    const batches: EventEnvelope[][] = [];
    for await (const batch of store.readAll(before, { batchSize: 2 })) batches.push(batch);
    const all = batches.flat();
    expect(all.map((e) => e.position)).toEqual([...all.map((e) => e.position)].sort((a, b) => a - b));
    expect(new Set(all.map((e) => e.streamId))).toEqual(new Set(ids.map((id) => `camera-${id}`)));
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(3);
    expect(await store.headPosition()).toBeGreaterThanOrEqual(all.at(-1)!.position);
    const tail = await collect(store.readAll(all[3]!.position));
    expect(tail.map((e) => e.position)).toEqual(all.slice(4).map((e) => e.position));
  });

  it('resumes after any delivered position, even inside a multi-event commit', async () => {
    const store = harness.store();
    const before = await store.headPosition();
    await store.append(Array.from({ length: 5 }, () => cameraCandidate(randomUUID(), 1)));
    const all = await collect(store.readAll(before));
    expect(all).toHaveLength(5);
    const resumed = await collect(store.readAll(all[1]!.position));
    expect(resumed.map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
  });

  it('rejects two events of one stream in a single append', async () => {
    const id = randomUUID();
    await expect(harness.store().append([cameraCandidate(id, 1), cameraCandidate(id, 2)])).rejects.toThrow('one event per stream');
  });
}
