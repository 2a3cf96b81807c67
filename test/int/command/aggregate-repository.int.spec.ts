import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import type { EventStore, SnapshotStore } from '../../../lib/event-store/event-store';
import { createMongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { AggregateRepository } from '../../../subgraphs/command/src/application/aggregate-repository';
import { cameraDecider } from '../../../subgraphs/command/src/domain/camera';
import { testNamespace } from '../../support/namespace';
import { ENGINE_URLS } from '../../support/engine-urls';

let mongo: MongoHandle;

beforeAll(async () => {
  mongo = await connectMongo({ url: ENGINE_URLS.mongodb, database: testNamespace('aggrepo') });
});
afterAll(async () => {
  await mongo.db.dropDatabase();
  await mongo.close();
});

/** The real store, counting the event reads that go to the engine. */
function counting(store: EventStore & SnapshotStore) {
  const counts = { readEvent: 0, streamVersion: 0, loadSnapshot: 0 };
  const wrapped: EventStore & SnapshotStore = {
    ...store,
    readEvent: (streamId, version) => {
      counts.readEvent += 1;
      return store.readEvent(streamId, version);
    },
    loadSnapshot: (streamId, version) => {
      counts.loadSnapshot += 1;
      return store.loadSnapshot(streamId, version);
    },
  };
  return { wrapped, counts };
}

describe('loading a long stream', () => {
  // Slow on local FerretDB (its `_id` lookups scan; see lib/event-store/README.md), flat on MongoDB.
  it('loads a 20,000-event camera stream from its snapshot and tail, not from its 20,000 events', async () => {
    const streamId = 'camera-long';
    const total = 20_000;
    const envelope = (version: number) =>
      JSON.stringify({
        eventId: `e${version}`,
        streamId,
        version,
        position: version,
        schemaVersion: 1,
        occurredAt: '2026-01-01T00:00:00.000Z',
        recordedAt: '2026-01-01T00:00:00.000Z',
        metadata: { correlationId: 'c', causationId: null, actor: 'seed' },
        ...(version === 1
          ? { type: 'CameraRegistered', data: { cameraId: 'long', name: 'n1', site: null, rtspUrl: 'rtsp://127.0.0.1/l', tags: [] } }
          : { type: 'CameraUpdated', data: { cameraId: 'long', name: `n${version}` } }),
      });
    // Seeded in bulk (appending 100,000 events one by one would take minutes): the documents the adapter writes.
    // Camera streams have a collection of their own (see lib/event-store/README.md).
    const streams = mongo.db.collection<{ _id: string; position: number; e: string }>('streams_camera');
    for (let start = 1; start <= total; start += 5000) {
      await streams.insertMany(
        Array.from({ length: Math.min(5000, total - start + 1) }, (_, i) => ({ _id: `${streamId}:${start + i}`, position: start + i, e: envelope(start + i) })),
      );
    }
    const store = createMongoEventStore(mongo.db);
    const snapshotVersion = 19_900;
    const state = { id: 'long', name: `n${snapshotVersion}`, site: null, rtspUrl: 'rtsp://127.0.0.1/l', tags: [], status: 'ACTIVE' };
    await store.saveSnapshot(streamId, snapshotVersion, JSON.stringify({ state, version: snapshotVersion, position: snapshotVersion }));

    const { wrapped, counts } = counting(store);
    const repository = new AggregateRepository(wrapped, 'camera', cameraDecider, { cacheSize: 10, snapshotEvery: 100 });
    const loaded = await repository.load(streamId);
    expect(loaded.version).toBe(total);
    expect(loaded.state).toMatchObject({ name: `n${total}`, status: 'ACTIVE' });
    // 8 short-stream probes + the 100-event tail + one probe past the head; the head search is separate.
    expect(counts.readEvent).toBeLessThan(120);
    expect(counts.loadSnapshot).toBeLessThanOrEqual(3);
  });

  it('replays a stream without a snapshot in full, and catches up from its cache with one probe', async () => {
    const store = createMongoEventStore(mongo.db);
    const { wrapped, counts } = counting(store);
    const repository = new AggregateRepository(wrapped, 'camera', cameraDecider, { cacheSize: 10, snapshotEvery: 100 });
    const streamId = 'camera-short';
    const meta = { correlationId: 'c', causationId: null, actor: 't' };
    await store.append([
      {
        streamId,
        version: 1,
        id: 'a1',
        occurredAt: new Date().toISOString(),
        metadata: meta,
        event: {
          type: 'CameraRegistered',
          data: { cameraId: 'short', name: 'a', site: null, rtspUrl: 'rtsp://127.0.0.1/s', tags: [], recording: { enabled: false, retentionHours: 24 } },
        },
      },
    ]);
    counts.readEvent = 0;
    expect((await repository.load(streamId)).version).toBe(1);
    // Version 1, then one look past the end (not two: on FerretDB each miss scans the table).
    expect(counts.readEvent).toBe(2);
    await store.append([
      {
        streamId,
        version: 2,
        id: 'a2',
        occurredAt: new Date().toISOString(),
        metadata: meta,
        event: { type: 'CameraUpdated', data: { cameraId: 'short', name: 'b' } },
      },
    ]);
    counts.readEvent = 0;
    const loaded = await repository.load(streamId);
    expect(loaded).toMatchObject({ version: 2, state: { name: 'b' } });
    expect(counts.readEvent).toBe(2);
    // Trusted from the cache inside the given age: no lookup at all.
    counts.readEvent = 0;
    await repository.load(streamId, 60_000);
    expect(counts.readEvent).toBe(0);
  });
});
