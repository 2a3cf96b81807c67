import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { loadConfig } from '../../../lib/config/config';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { MongoSessionRepository } from '../../../subgraphs/media/src/adapters/mongo-session-repository';
import { pageOfSessions } from '../../../subgraphs/media/src/sessions/session-pages';
import type { StreamSession } from '../../../subgraphs/media/src/sessions/session';
import { testNamespace } from '../../support/namespace';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { startMediaHarness, waitForStatus, type MediaHarness } from './media-harness';

const idsOf = (sessions: ReadonlyArray<{ id: string }>) => sessions.map((s) => s.id);
/** The stored layout (subgraphs/media/README.md): what earlier versions left in it must still be read. */
const SESSIONS = 'media_sessions';
const SESSION_ORDER = 'media_session_order';

/** streamSessions pages against the real MongoDB-protocol engine: the listing order, its cursor, and a restart. */
describe('stream session pages', () => {
  let harness: MediaHarness;
  let camera: RtspCamera;

  beforeAll(async () => {
    [harness, camera] = await Promise.all([startMediaHarness(), startRtspCamera()]);
  });
  afterAll(async () => {
    await harness?.close();
    await camera?.stop();
  });

  it('pages the history newest first with first/after, from memory and, after a restart, from the store', async () => {
    await harness.registerCamera('pager', camera.url('pager'));
    await harness.registerCamera('pager-live', camera.url('pager-live'));
    const stoppedIds: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      stoppedIds.push((await harness.manager.start('pager')).id);
      await harness.manager.stop('pager');
    }
    const live = await harness.manager.start('pager-live');
    await waitForStatus(harness.manager, live.id, 'LIVE');
    const newestFirst = [live.id, ...stoppedIds.reverse()];

    const pageAll = async (
      list: (query: { first: number; after?: string | null; statuses?: StreamSession['status'][] }) => Promise<StreamSession[]>,
      statuses?: StreamSession['status'][],
    ) => {
      const pages: string[][] = [];
      let after: string | null = null;
      for (;;) {
        const page: StreamSession[] = await list({ first: 3, after, statuses });
        pages.push(idsOf(page));
        if (page.length < 3) return pages;
        after = page[page.length - 1]!.id;
      }
    };
    const expected = [newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6, 8)];
    expect(await pageAll((q) => harness.manager.list(q))).toEqual(expected);
    expect(await pageAll((q) => harness.manager.list(q), ['STOPPED'])).toEqual([newestFirst.slice(1, 4), newestFirst.slice(4, 7), newestFirst.slice(7)]);
    expect(idsOf(await harness.manager.list({ statuses: ['LIVE'] }))).toEqual([live.id]);

    // Each session has its place in the insert-only order, _id = place.
    const order = await harness.mongo.db
      .collection<{ _id: string; sessionId?: string }>(SESSION_ORDER)
      .find({ _id: { $ne: 'head' } })
      .toArray();
    expect(order.sort((a, b) => Number(b._id) - Number(a._id)).map((d) => d.sessionId)).toEqual(expect.arrayContaining(newestFirst));

    // A new process on the same store knows only what it resumed; the rest comes from the store.
    await harness.manager.shutdown();
    const restarted = harness.newManager();
    await restarted.resume();
    await waitForStatus(restarted, live.id, 'LIVE');
    expect(await pageAll((q) => restarted.list(q))).toEqual(expected);
    expect(idsOf(await restarted.list({ first: 2, after: newestFirst[4] }))).toEqual(newestFirst.slice(5, 7));
    await restarted.stopAll();
  });

  describe('MongoSessionRepository', () => {
    let mongo: MongoHandle;
    beforeEach(async () => {
      mongo = await connectMongo({ url: loadConfig({ ...process.env }).mongodb.url, database: testNamespace('mediapages') });
    });
    afterEach(async () => {
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
    });
    const fresh = (id: string, startedAt = new Date()): Omit<StreamSession, 'seq'> => ({
      id,
      cameraId: 'c',
      status: 'STOPPED',
      startedAt,
      stoppedAt: startedAt,
      restarts: 0,
      lastError: null,
      updatedAt: startedAt,
    });

    const OWNED = { owner: 'media-int', lease: 1, runBy: null };

    it('gives every new session its own place, also when two processes insert at once', async () => {
      const one = new MongoSessionRepository(mongo.db);
      const two = new MongoSessionRepository(mongo.db);
      const inserted = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).insert(fresh(`s${i}`), OWNED)));
      const places = inserted.map((s) => s.seq).sort((a, b) => a - b);
      expect(places).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const ids = await one.idsAt(places);
      expect(ids.map((id, i) => inserted.find((s) => s.id === id)?.seq === places[i])).toEqual(places.map(() => true));
      expect(await new MongoSessionRepository(mongo.db).newestPlace()).toBe(10);
      expect((await one.get('s3'))?.seq).toBe(inserted[3]!.seq);
    });

    it('reads a page with `_id` lookups only, about two per session listed, however long the history', async () => {
      const writer = new MongoSessionRepository(mongo.db);
      const base = Date.now();
      const all: StreamSession[] = [];
      for (let i = 0; i < 60; i += 1) all.push(await writer.insert(fresh(`h${i}`, new Date(base + i)), OWNED));
      const client = await MongoClient.connect(loadConfig({ ...process.env }).mongodb.url, { monitorCommands: true });
      try {
        const reader = new MongoSessionRepository(client.db(mongo.db.databaseName));
        await reader.newestPlace();
        const finds: CommandStartedEvent[] = [];
        client.on('commandStarted', (event) => {
          if (event.commandName === 'find' || event.commandName === 'aggregate') finds.push(event);
        });
        const source = { unfinished: () => [], lookup: (id: string) => reader.get(id), repository: reader };
        const page = await pageOfSessions(source, { first: 5, after: 'h40' });
        expect(idsOf(page)).toEqual(['h39', 'h38', 'h37', 'h36', 'h35']);
        const filters = finds.map((event) => (event.command as { filter?: unknown }).filter);
        expect(filters.every((filter) => typeof (filter as { _id?: unknown })._id === 'string' && Object.keys(filter as object).length === 1)).toBe(true);
        // `after`'s session, the newest place probe, then a place and a session per item.
        expect(finds.length).toBeLessThanOrEqual(2 + 2 * 5);
      } finally {
        await client.close();
      }
    });

    it('numbers sessions stored before the listing order existed, in the order they started, once', async () => {
      const base = Date.parse('2026-01-01T00:00:00Z');
      const legacy = ['late', 'early', 'middle'].map((id, i) => {
        const startedAt = new Date(base + [3, 1, 2][i]! * 60000);
        const { id: _id, ...rest } = fresh(id, startedAt);
        return { _id, ...rest };
      });
      await mongo.db.collection<{ _id: string }>(SESSIONS).insertMany(legacy);
      const repository = new MongoSessionRepository(mongo.db);
      expect(await repository.newestPlace()).toBe(3);
      expect(await repository.idsAt([3, 2, 1])).toEqual(['late', 'middle', 'early']);
      expect((await repository.get('early'))?.seq).toBe(1);
      expect((await repository.insert(fresh('next'), OWNED)).seq).toBe(4);
      expect(await new MongoSessionRepository(mongo.db).newestPlace()).toBe(4);
    });
  });
});
