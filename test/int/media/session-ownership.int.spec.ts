import { loadConfig } from '../../../lib/config/config';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { MongoMemberRegistry } from '../../../subgraphs/media/src/adapters/mongo-member-registry';
import { MongoSessionRepository } from '../../../subgraphs/media/src/adapters/mongo-session-repository';
import type { StreamSession } from '../../../subgraphs/media/src/sessions/session';
import { testNamespace } from '../../support/namespace';

/** Who runs a session, against the real MongoDB-protocol engine: fenced writes, compare-and-set claims, camera slots, members. */
describe('session ownership in the store', () => {
  let mongo: MongoHandle;
  let repository: MongoSessionRepository;
  beforeEach(async () => {
    mongo = await connectMongo({ url: loadConfig({ ...process.env }).mongodb.url, database: testNamespace('mediaowner') });
    repository = new MongoSessionRepository(mongo.db);
  });
  afterEach(async () => {
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
  });
  const fresh = (id: string): Omit<StreamSession, 'seq'> => {
    const now = new Date();
    return { id, cameraId: 'cam', status: 'STARTING', startedAt: now, stoppedAt: null, restarts: 0, lastError: null, updatedAt: now };
  };

  it('refuses a save under a lease that moved on, and lets exactly one of two claims win', async () => {
    const session = await repository.insert(fresh('s1'), { owner: 'a', lease: 1, runBy: 'a-1' });
    expect(await repository.save({ ...session, status: 'LIVE' }, 1)).toBe(true);
    const claims = await Promise.all(
      ['b', 'c'].map((owner) => repository.claim('s1', 1, { session: { ...session, status: 'RECONNECTING', restarts: 1 }, owner, runBy: `${owner}-1` })),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const record = await repository.record('s1');
    expect(record).toMatchObject({ lease: 2, session: { status: 'RECONNECTING', restarts: 1 } });
    expect(['b', 'c']).toContain(record?.owner);
    // The former owner wakes up and writes: refused, nothing changes.
    expect(await repository.save({ ...session, status: 'FAILED' }, 1)).toBe(false);
    expect((await repository.get('s1'))?.status).toBe('RECONNECTING');
  });

  it('claims a session stored before nodes (no lease) once', async () => {
    const { id: _id, ...rest } = { ...fresh('old'), seq: 1 };
    await mongo.db.collection<{ _id: string }>('media_sessions').insertOne({ _id: 'old', ...rest });
    expect(await repository.record('old')).toMatchObject({ owner: null, lease: 0, runBy: null });
    const session = (await repository.get('old'))!;
    expect(await repository.claim('old', 0, { session, owner: 'a', runBy: 'a-1' })).toBe(true);
    expect(await repository.claim('old', 0, { session, owner: 'b', runBy: 'b-1' })).toBe(false);
    expect((await repository.record('old'))?.owner).toBe('a');
  });

  it('gives a camera one slot, rewritten and freed only by the session that holds it', async () => {
    expect(await repository.claimSlot({ cameraId: 'cam', sessionId: 's1', owner: 'a', active: true })).toBe(true);
    expect(await repository.claimSlot({ cameraId: 'cam', sessionId: 's2', owner: 'b', active: true })).toBe(false);
    await repository.updateSlot({ cameraId: 'cam', sessionId: 's2', owner: 'b', active: false });
    await repository.releaseSlot('cam', 's2');
    expect(await repository.slot('cam')).toEqual({ cameraId: 'cam', sessionId: 's1', owner: 'a', active: true });
    await repository.updateSlot({ cameraId: 'cam', sessionId: 's1', owner: 'b', active: true });
    expect(await repository.slots()).toEqual([{ cameraId: 'cam', sessionId: 's1', owner: 'b', active: true }]);
    await repository.releaseSlot('cam', 's1');
    expect(await repository.slot('cam')).toBeNull();
  });

  it('keeps one entry per member, renewed in place and removed when it leaves', async () => {
    const members = new MongoMemberRegistry(mongo.db);
    const expiresAt = new Date(Date.now() + 8000);
    await members.beat({ id: 'a', url: 'http://127.0.0.1:4003', capacity: 24, expiresAt });
    await members.beat({ id: 'a', url: 'http://127.0.0.1:4003', capacity: 24, expiresAt: new Date(expiresAt.getTime() + 2000) });
    await members.beat({ id: 'b', url: 'http://127.0.0.1:4103', capacity: 24, expiresAt });
    expect((await members.all()).map((m) => [m.id, m.expiresAt.getTime()]).sort()).toEqual([
      ['a', expiresAt.getTime() + 2000],
      ['b', expiresAt.getTime()],
    ]);
    await members.leave('a');
    expect((await members.all()).map((m) => m.id)).toEqual(['b']);
  });
});
