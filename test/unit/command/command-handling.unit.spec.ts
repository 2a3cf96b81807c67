import type { AppendCandidate, EventStore, SnapshotStore } from '../../../lib/event-store/event-store';
import { createInMemoryEventStore } from '../../../lib/event-store/in-memory-event-store';
import { CommandService } from '../../../subgraphs/command/src/application/command-service';
import { recordEvents, type RecordItem } from '../../../subgraphs/command/src/application/event-recorder';
import { collect } from '../../int/event-store/event-store-contract';

const context = { actor: 'tester', correlationId: 'corr-1', causationId: null };
const gate = { kind: 'RegisterCamera' as const, cameraId: 'gate', name: 'Gate', site: null, rtspUrl: 'rtsp://127.0.0.1/gate', tags: [] };
const item = (input: Record<string, unknown>): RecordItem => ({
  input: { cameraId: 'gate', type: 'motion', severity: 'HIGH', occurredAt: '2026-11-25T10:00:00.000Z', ...input },
  source: 'graphql',
  context,
});

/** The in-memory store, recording every append it is asked for (the handler's boundary). */
function countingStore() {
  const store = createInMemoryEventStore();
  const appends: AppendCandidate[][] = [];
  const counted: EventStore & SnapshotStore = {
    ...store,
    append: (candidates) => {
      appends.push([...candidates]);
      return store.append(candidates);
    },
  };
  return { store: counted, appends };
}

describe('command handling on the in-memory event store', () => {
  it('records a batch as ONE append, each item decided on its own, and the incidents then go through their lifecycle', async () => {
    const { store, appends } = countingStore();
    const service = new CommandService(store);
    await service.registerCamera(gate, context);
    appends.length = 0;

    const results = await recordEvents(service, [item({ id: 'e1' }), item({ id: 'e2', cameraId: 'nowhere' }), item({ id: 'e3' }), item({ id: 'e1' })]);
    expect(results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted', 'duplicate']);
    expect(results[1]).toMatchObject({ status: 'rejected', error: { code: 'NOT_FOUND' } });
    expect(appends.map((candidates) => candidates.map((c) => c.streamId))).toEqual([['event-e1', 'event-e3']]);

    const acknowledged = await service.changeIncident({ kind: 'AcknowledgeEvent', eventId: 'e1', by: 'op', note: null }, 1, context);
    expect(acknowledged.version).toBe(2);
    await service.changeIncident({ kind: 'ResolveEvent', eventId: 'e1', by: 'op', note: 'done' }, undefined, context);
    const stream = await store.readStream('event-e1');
    expect(stream.map((e) => e.type)).toEqual(['EventRecorded', 'EventAcknowledged', 'EventResolved']);
    expect(stream.map((e) => e.metadata.actor)).toEqual(['tester', 'tester', 'tester']);
  });

  it('answers a repeated creation with the original result, and refuses its id to a different one', async () => {
    const service = new CommandService(createInMemoryEventStore());
    const first = await service.registerCamera(gate, context);
    // A second process (another service, nothing cached) gets the same answer from the store.
    expect(await new CommandService(service.store).registerCamera(gate, context)).toEqual(first);
    await expect(service.registerCamera({ ...gate, name: 'Other' }, context)).rejects.toMatchObject({ code: 'DUPLICATE_ID' });

    const [recorded] = await recordEvents(service, [item({ id: 'e1' })]);
    const [again] = await recordEvents(service, [item({ id: 'e1' })]);
    expect(again).toEqual({ ...recorded, status: 'duplicate' });
    const [other] = await recordEvents(service, [item({ id: 'e1', severity: 'LOW' })]);
    expect(other).toMatchObject({ status: 'rejected', error: { code: 'DUPLICATE_ID' } });
  });

  it('decides a change made on a stale state once more on fresh state; an expected version that is gone is a conflict', async () => {
    const store = createInMemoryEventStore();
    const stale = new CommandService(store);
    await stale.registerCamera(gate, context);
    // Another process renames the camera: `stale` still caches version 1.
    await new CommandService(store).changeCamera({ kind: 'UpdateCamera', cameraId: 'gate', name: 'Renamed' }, undefined, context);

    const result = await stale.changeCamera({ kind: 'UpdateCamera', cameraId: 'gate', site: 'north' }, undefined, context);
    expect(result.version).toBe(3);
    await expect(stale.changeCamera({ kind: 'UpdateCamera', cameraId: 'gate', name: 'x' }, 2, context)).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      details: { actualVersion: 3, expectedVersion: 2 },
    });
    // A command that changes nothing appends nothing and answers the current version.
    expect(await stale.changeCamera({ kind: 'UpdateCamera', cameraId: 'gate', site: 'north' }, undefined, context)).toMatchObject({ version: 3 });
    expect((await collect(store.readAll(0))).map((e) => e.type)).toEqual(['CameraRegistered', 'CameraUpdated', 'CameraUpdated']);
  });

  it('records no event for a decommissioned camera', async () => {
    const service = new CommandService(createInMemoryEventStore());
    await service.registerCamera(gate, context);
    await service.changeCamera({ kind: 'DecommissionCamera', cameraId: 'gate' }, undefined, context);
    const [result] = await recordEvents(service, [item({ id: 'late' })]);
    expect(result).toMatchObject({ status: 'rejected', error: { code: 'BAD_USER_INPUT' } });
    expect(await service.store.readEvent('event-late', 1)).toBeNull();
  });
});
