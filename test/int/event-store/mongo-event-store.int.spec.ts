import { randomUUID } from 'node:crypto';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { createMongoEventStore, type MongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { positionKey } from '../../../lib/event-store/documents';
import { testNamespace } from '../../support/namespace';
import { cameraCandidate, collect, eventStoreContract } from './event-store-contract';

let mongo: MongoHandle;
let store: MongoEventStore;

beforeAll(async () => {
  mongo = await connectMongo({ url: process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017', database: testNamespace('evstore') });
  store = createMongoEventStore(mongo.db, { recoveryTimeoutMs: 300 });
});
afterAll(async () => {
  await mongo.db.dropDatabase();
  await mongo.close();
});

describe('MongoDB event store: the port contract', () => {
  eventStoreContract({ store: () => store });
});

describe('MongoDB event store: late commits and dead writers', () => {
  it('waits for an allocated slot and claims it with a gap marker when no writer shows up', async () => {
    const before = await store.headPosition();
    // A writer allocates and dies before writing its intent.
    await mongo.db.collection<{ _id: string; value: number }>('counters').updateOne({ _id: 'position' }, { $inc: { value: 1 } });
    const id = randomUUID();
    await store.append([cameraCandidate(id, 1)]);
    const events = await collect(store.readAll(before));
    expect(events.map((e) => e.streamId)).toEqual([`camera-${id}`]);
    const gap = await mongo.db.collection<{ _id: string }>('commits').findOne({ _id: positionKey(before + 1) });
    expect(gap).toMatchObject({ gap: true, count: 1 });
  });

  it('finishes an intent whose writer died before writing stream docs, and the event is then in its stream', async () => {
    const before = await store.headPosition();
    const id = randomUUID();
    const candidate = cameraCandidate(id, 1);
    const position = before + 1;
    await mongo.db.collection<{ _id: string; value: number }>('counters').updateOne({ _id: 'position' }, { $inc: { value: 1 } });
    const envelope = {
      eventId: candidate.eventId, streamId: candidate.streamId, version: 1, position, type: candidate.event.type, schemaVersion: 1,
      occurredAt: candidate.occurredAt, recordedAt: new Date().toISOString(), data: candidate.event.data, metadata: candidate.metadata,
    };
    await mongo.db.collection('commits').insertOne({ _id: positionKey(position) as never, first: position, count: 1, events: [JSON.stringify(envelope)], createdAt: new Date() });
    const fresh = createMongoEventStore(mongo.db, { recoveryTimeoutMs: 300 });
    const events = await collect(fresh.readAll(before));
    expect(events.map((e) => e.eventId)).toEqual([candidate.eventId]);
    expect((await fresh.readStream(candidate.streamId)).map((e) => e.position)).toEqual([position]);
    // The late writer now finds its version taken by its own position: it won, not a conflict.
    expect(await fresh.streamVersion(candidate.streamId)).toBe(1);
  });

  it('upcasts a stored v1 EventRecorded (no source) on read', async () => {
    const position = (await store.headPosition()) + 1000;
    const v1 = {
      eventId: randomUUID(), streamId: 'event-legacy-1', version: 1, position, type: 'EventRecorded', schemaVersion: 1,
      occurredAt: '2025-01-01T00:00:00.000Z', recordedAt: '2025-01-01T00:00:01.000Z',
      data: { eventId: 'legacy-1', cameraId: 'c', type: 'motion', severity: 'LOW', occurredAt: '2025-01-01T00:00:00.000Z', attributes: null },
      metadata: { correlationId: 'x', causationId: null, actor: 'old' },
    };
    await mongo.db.collection('streams').insertOne({ _id: 'event-legacy-1:1' as never, position, e: JSON.stringify(v1) });
    const [read] = await store.readStream('event-legacy-1');
    expect(read).toMatchObject({ schemaVersion: 2, data: { source: 'graphql', eventId: 'legacy-1' } });
  });

  it('finds the head of a long stream by probing ids', async () => {
    const streamId = `camera-${randomUUID()}`;
    const docs = Array.from({ length: 3000 }, (_, i) => ({ _id: `${streamId}:${i + 1}` as never, position: i + 1, e: '{}' }));
    await mongo.db.collection('streams').insertMany(docs);
    expect(await store.streamVersion(streamId)).toBe(3000);
  });
});

describe('MongoDB event store: resuming in a fresh process', () => {
  it('finds the commit holding a position it did not deliver itself', async () => {
    const before = await store.headPosition();
    await store.append(Array.from({ length: 4 }, () => cameraCandidate(randomUUID(), 1)));
    const all = await collect(store.readAll(before));
    const fresh = createMongoEventStore(mongo.db, { recoveryTimeoutMs: 300 });
    const resumed = await collect(fresh.readAll(all[0]!.position));
    expect(resumed.map((e) => e.position)).toEqual(all.slice(1).map((e) => e.position));
  });
});
