import { randomUUID } from 'node:crypto';
import { BSON, MongoClient } from 'mongodb';
import type { AppendCandidate } from '../../../lib/event-store/event-store';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { createMongoEventStore, type MongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { MAX_COMMIT_BYTES, seqOf } from '../../../lib/event-store/commits';
import { seqKey } from '../../../lib/event-store/documents';
import { LOG_BUCKET, insertManyReportingTaken } from '../../../lib/event-store/mongo-collections';
import { testNamespace } from '../../support/namespace';
import { cameraCandidate, collect, eventStoreContract } from './event-store-contract';
import { ENGINE_URLS } from '../../support/engine-urls';

let mongo: MongoHandle;
let store: MongoEventStore;

beforeAll(async () => {
  mongo = await connectMongo({ url: ENGINE_URLS.mongodb, database: testNamespace('evstore') });
  store = createMongoEventStore(mongo.db, { recoveryTimeoutMs: 300 });
});
afterAll(async () => {
  await mongo.db.dropDatabase();
  await mongo.close();
});

describe('MongoDB event store: the port contract', () => {
  eventStoreContract({ store: () => store });
});

const counters = () => mongo.db.collection<{ _id: string; value: number }>('counters');
// The shared hint may lag behind the slots the writer in this process claimed: ask the store.
const headSeq = async () => Math.floor((await store.headPosition()) / 1000);

describe('MongoDB event store: late commits and dead writers', () => {
  it('waits for a slot a writer took but never wrote, then closes it with a gap marker', async () => {
    const before = await store.headPosition();
    const seq = await headSeq();
    // A writer reserved slot seq+1 and died; a later writer (a fresh process) commits at seq+2.
    await counters().updateOne({ _id: 'head' }, { $set: { value: seq + 1 } });
    const id = randomUUID();
    const [written] = (await createMongoEventStore(mongo.db).append([cameraCandidate(id, 1)])).outcomes;
    // Up to that event: the other "process" raises the shared head hint a moment after its append.
    const events = await collect(store.readAll(before, { toPosition: (written as { envelope: { position: number } }).envelope.position }));
    expect(events.map((e) => e.streamId)).toEqual([`camera-${id}`]);
    const gap = await mongo.db.collection<{ _id: string }>(`commits_${Math.floor((seq + 1) / 1024)}`).findOne({ _id: seqKey(seq + 1) });
    expect(gap).toMatchObject({ gap: true });
  });

  it('finishes an intent whose writer died before writing stream docs, and the event is then in its stream', async () => {
    const before = await store.headPosition();
    const seq = (await headSeq()) + 1;
    const candidate = cameraCandidate(randomUUID(), 1);
    const position = seq * 1000;
    const envelope = {
      eventId: candidate.id,
      streamId: candidate.streamId,
      version: 1,
      position,
      type: candidate.event.type,
      schemaVersion: 1,
      occurredAt: candidate.occurredAt,
      recordedAt: new Date().toISOString(),
      data: candidate.event.data,
      metadata: candidate.metadata,
    };
    await mongo.db
      .collection(`commits_${Math.floor(seq / 1024)}`)
      .insertOne({ _id: seqKey(seq) as never, seq, count: 1, events: [JSON.stringify(envelope)], createdAt: new Date() });
    await counters().updateOne({ _id: 'head' }, { $set: { value: seq } });
    const fresh = createMongoEventStore(mongo.db, { recoveryTimeoutMs: 300 });
    const events = await collect(fresh.readAll(before));
    expect(events.map((e) => e.id)).toEqual([candidate.id]);
    expect((await fresh.readStream(candidate.streamId)).map((e) => e.position)).toEqual([position]);
    // A late writer of that intent would now find its version taken by its own position: won.
    expect(await fresh.streamVersion(candidate.streamId)).toBe(1);
  });

  it('never hands out one position twice, even to many concurrent appends from two processes', async () => {
    const other = createMongoEventStore(mongo.db);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? store : other).append([cameraCandidate(randomUUID(), 1), cameraCandidate(randomUUID(), 1)])),
    );
    const positions = results.flatMap((r) => r.outcomes.map((o) => (o.status === 'written' ? o.envelope.position : -1)));
    expect(new Set(positions).size).toBe(200);
    const all = await collect(store.readAll(0));
    for (const p of positions) expect(all.some((e) => e.position === p)).toBe(true);
  });

  it('upcasts a stored v1 EventRecorded (no source) on read', async () => {
    const position = (await store.headPosition()) + 1000;
    const v1 = {
      eventId: randomUUID(),
      streamId: 'event-legacy-1',
      version: 1,
      position,
      type: 'EventRecorded',
      schemaVersion: 1,
      occurredAt: '2025-01-01T00:00:00.000Z',
      recordedAt: '2025-01-01T00:00:01.000Z',
      data: { eventId: 'legacy-1', cameraId: 'c', type: 'motion', severity: 'LOW', occurredAt: '2025-01-01T00:00:00.000Z', attributes: null },
      metadata: { correlationId: 'x', causationId: null, actor: 'old' },
    };
    await mongo.db.collection('streams').insertOne({ _id: 'event-legacy-1:1' as never, position, e: JSON.stringify(v1) });
    const [read] = await store.readStream('event-legacy-1');
    expect(read).toMatchObject({ schemaVersion: 2, data: { source: 'graphql', eventId: 'legacy-1' } });
  });

  it('upcasts a stored v1 CameraRegistered (no recording) on read: not recorded, 24 hours', async () => {
    const position = (await store.headPosition()) + 1000;
    const streamId = `camera-legacy-${randomUUID()}`;
    const v1 = {
      eventId: randomUUID(),
      streamId,
      version: 1,
      position,
      type: 'CameraRegistered',
      schemaVersion: 1,
      occurredAt: '2025-01-01T00:00:00.000Z',
      recordedAt: '2025-01-01T00:00:01.000Z',
      data: { cameraId: 'legacy', name: 'Old', site: null, rtspUrl: 'rtsp://127.0.0.1/old', tags: [] },
      metadata: { correlationId: 'x', causationId: null, actor: 'old' },
    };
    // Camera streams have a collection of their own (see lib/event-store/README.md).
    await mongo.db.collection('streams_camera').insertOne({ _id: `${streamId}:1` as never, position, e: JSON.stringify(v1) });
    const [read] = await store.readStream(streamId);
    expect(read).toMatchObject({ schemaVersion: 2, data: { name: 'Old', recording: { enabled: false, retentionHours: 24 } } });
  });

  it('finds the head of a long stream by probing ids', async () => {
    const streamId = `camera-${randomUUID()}`;
    const docs = Array.from({ length: 3000 }, (_, i) => ({ _id: `${streamId}:${i + 1}` as never, position: i + 1, e: '{}' }));
    // Camera streams have a collection of their own (see lib/event-store/README.md).
    await mongo.db.collection('streams_camera').insertMany(docs);
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

describe('MongoDB event store: the head in a fresh process', () => {
  it('costs concurrent first callers one probe past the hint, not a walk of the log from slot 1', async () => {
    for (let i = 0; i < 20; i += 1) await store.append([cameraCandidate(randomUUID(), 1)]);
    const head = await headSeq();
    // The shared hint is raised in the background: wait until it names the last commit.
    for (let i = 0; i < 100 && ((await counters().findOne({ _id: 'head' }))?.value ?? 0) < head; i += 1) await new Promise((r) => setTimeout(r, 50));
    const monitored = new MongoClient(ENGINE_URLS.mongodb, { monitorCommands: true });
    const commitLookups: string[] = [];
    monitored.on('commandStarted', (event) => {
      const collection = (event.command as { find?: unknown }).find;
      if (typeof collection === 'string' && collection.startsWith('commits_')) commitLookups.push(collection);
    });
    try {
      const fresh = createMongoEventStore(monitored.db(mongo.db.databaseName), { recoveryTimeoutMs: 60_000 });
      const heads = await Promise.all([fresh.headPosition(), fresh.headPosition(), fresh.headPosition()]);
      expect(new Set(heads.map((position) => Math.floor(position / 1000)))).toEqual(new Set([head]));
      expect(commitLookups.length).toBeLessThanOrEqual(1);
    } finally {
      await monitored.close();
    }
  });
});

describe('MongoDB event store: reading from just short of the first commit', () => {
  it('starts at the first slot, not at a slot 0 that never exists (a reader would wait out the recovery timeout there)', async () => {
    const database = await connectMongo({ url: ENGINE_URLS.mongodb, database: testNamespace('evfirst') });
    try {
      // A recovery timeout longer than the test's own: a reader stuck on slot 0 fails the test.
      const patient = createMongoEventStore(database.db, { recoveryTimeoutMs: 10 * 60 * 1000 });
      const [written] = (await patient.append([cameraCandidate(randomUUID(), 1)])).outcomes;
      const position = (written as { envelope: { position: number } }).envelope.position;
      const events = await collect(patient.readAll(position - 1));
      expect(events.map((e) => e.position)).toEqual([position]);
    } finally {
      await database.db.dropDatabase();
      await database.close();
    }
  });
});

describe('MongoDB event store: document size', () => {
  // FerretDB stores documents over 16 MiB, MongoDB refuses them: so the size of what is written is what this checks.
  it('keeps every intent document under its budget, well below 16 MiB, for 1,000 events of 16 KiB in one append', async () => {
    const before = await store.headPosition();
    const occurredAt = new Date().toISOString();
    const blob = 'x'.repeat(16 * 1024 - 20);
    const candidates: AppendCandidate[] = Array.from({ length: 1000 }, () => {
      const eventId = randomUUID();
      return {
        streamId: `event-${eventId}`,
        version: 1,
        id: randomUUID(),
        occurredAt,
        metadata: { correlationId: 'c', causationId: null, actor: 'a' },
        event: { type: 'EventRecorded', data: { eventId, cameraId: 'c', type: 'motion', severity: 'LOW', occurredAt, source: 'test', attributes: { blob } } },
      };
    });
    const { outcomes } = await store.append(candidates);
    const positions = outcomes.map((o) => (o.status === 'written' ? o.envelope.position : -1));
    expect(positions.every((p) => p > 0)).toBe(true);
    const seqs = [...new Set(positions.map(seqOf))];
    expect(seqs.length).toBeGreaterThan(1);
    for (const seq of seqs) {
      const commit = await mongo.db.collection(`commits_${Math.floor(seq / LOG_BUCKET)}`).findOne({ _id: seqKey(seq) as never });
      expect(BSON.calculateObjectSize(commit!)).toBeLessThanOrEqual(MAX_COMMIT_BYTES);
    }
    const read = await collect(store.readAll(before));
    expect(read.map((e) => e.id)).toEqual(candidates.map((c) => c.id));
  });

  it('reports a document over 16 MiB as refused (BAD_USER_INPUT, never storable), not as UNAVAILABLE (retry forever)', async () => {
    const huge = 'x'.repeat(17 * 1024 * 1024);
    await expect(store.saveSnapshot(`camera-${randomUUID()}`, 100, huge)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    const docs = [{ _id: randomUUID(), state: huge, createdAt: new Date() }];
    await expect(insertManyReportingTaken(mongo.db.collection<{ _id: string; state: string; createdAt: Date }>('snapshots'), docs)).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });
});
