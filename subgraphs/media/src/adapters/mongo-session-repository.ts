import type { Db } from 'mongodb';
import { isDuplicateKey } from '../../../../lib/engines/mongo';
import { unavailable } from '../../../../lib/errors/engine-errors';
import { engine, insertIfAbsent } from '../../../../lib/event-store/mongo-collections';
import type { Slot } from '../cluster/placement';
import type { Ownership, SessionRecord, SessionRepository } from '../sessions/ports';
import { UNFINISHED_STATUSES, type StreamSession } from '../sessions/session';

/** Ownership fields are absent on sessions stored before nodes: owner null, lease 0. */
type SessionDoc = Omit<StreamSession, 'id' | 'seq'> & { _id: string; seq?: number; owner?: string | null; lease?: number | null; runBy?: string | null };
/** `media_active`: `_id` = camera id. */
type SlotDoc = Omit<Slot, 'cameraId'> & { _id: string };
/** A place of the listing order (`_id` = the place as a string), or the `head` hint. */
type OrderDoc = { _id: string; sessionId?: string; value?: number };

const MEDIA_SESSIONS = 'media_sessions';
const MEDIA_SESSION_ORDER = 'media_session_order';
const MEDIA_ACTIVE = 'media_active';
const HEAD = 'head';

const toSession = ({ _id, seq, owner: _owner, lease: _lease, runBy: _runBy, ...rest }: SessionDoc): StreamSession => ({ id: _id, seq: seq ?? 0, ...rest });
const toRecord = (doc: SessionDoc): SessionRecord => ({ session: toSession(doc), owner: doc.owner ?? null, lease: doc.lease ?? 0, runBy: doc.runBy ?? null });
const toSlot = ({ _id, ...rest }: SlotDoc): Slot => ({ cameraId: _id, ...rest });
const fromSession = ({ id: _id, ...rest }: StreamSession) => rest;
const placeKey = (place: number): string => String(place);
/** Sessions from before nodes carry no lease: they match lease 0. */
const leaseIs = (lease: number) => (lease === 0 ? { lease: { $in: [0, null] } } : { lease });

/**
 * `media_sessions`: one document per session, replaced by `_id` on every status change.
 * `media_active`: one slot per camera whose session is not STOPPED (`_id` = camera id): small, read whole.
 * `media_session_order`: insert-only, `_id` = place (1, 2, 3 ...) -> session id, plus a `head` hint
 * of the newest place. Every call here is an `_id` lookup, an insert or a replace by `_id`, the
 * operations that stay flat as the collections grow on FerretDB as on MongoDB; the scans left are
 * `unfinished()` and the one-time numbering of sessions stored before the order existed, both at start-up.
 */
export class MongoSessionRepository implements SessionRepository {
  /** The newest place this process knows of; places are claimed by inserting them (unique `_id`). */
  private newest: Promise<number> | undefined;

  constructor(private readonly db: Db) {}

  private get sessions() {
    return this.db.collection<SessionDoc>(MEDIA_SESSIONS);
  }

  private get active() {
    return this.db.collection<SlotDoc>(MEDIA_ACTIVE);
  }

  private get order() {
    return this.db.collection<OrderDoc>(MEDIA_SESSION_ORDER);
  }

  async insert(fresh: Omit<StreamSession, 'seq'>, ownership: Ownership): Promise<StreamSession> {
    const seq = await this.claimPlace(fresh.id);
    const session = { ...fresh, seq };
    const { id, ...rest } = session;
    await engine(() => this.sessions.replaceOne({ _id: id }, { ...rest, ...ownership }, { upsert: true }));
    return session;
  }

  async save(session: StreamSession, lease: number): Promise<boolean> {
    // `_id` and the lease in one filter: the lookup stays an `_id` lookup, and the write is fenced.
    const result = await engine(() => this.sessions.updateOne({ _id: session.id, ...leaseIs(lease) }, { $set: fromSession(session) }));
    return result.matchedCount === 1;
  }

  async get(id: string): Promise<StreamSession | null> {
    const doc = await engine(() => this.sessions.findOne({ _id: id }));
    return doc ? toSession(doc) : null;
  }

  async record(id: string): Promise<SessionRecord | null> {
    const doc = await engine(() => this.sessions.findOne({ _id: id }));
    return doc ? toRecord(doc) : null;
  }

  async claim(id: string, lease: number, next: { session: StreamSession; owner: string | null; runBy: string | null }): Promise<boolean> {
    const result = await engine(() =>
      this.sessions.updateOne(
        { _id: id, ...leaseIs(lease) },
        { $set: { ...fromSession(next.session), owner: next.owner, runBy: next.runBy, lease: lease + 1 } },
      ),
    );
    return result.matchedCount === 1;
  }

  async slots(): Promise<Slot[]> {
    return (await engine(() => this.active.find({}).toArray())).map(toSlot);
  }

  async slot(cameraId: string): Promise<Slot | null> {
    const doc = await engine(() => this.active.findOne({ _id: cameraId }));
    return doc ? toSlot(doc) : null;
  }

  claimSlot({ cameraId, ...rest }: Slot): Promise<boolean> {
    return insertIfAbsent(this.active, { _id: cameraId, ...rest });
  }

  async updateSlot({ cameraId, ...rest }: Slot): Promise<void> {
    await engine(() => this.active.updateOne({ _id: cameraId, sessionId: rest.sessionId }, { $set: rest }));
  }

  async releaseSlot(cameraId: string, sessionId: string): Promise<void> {
    await engine(() => this.active.deleteOne({ _id: cameraId, sessionId }));
  }

  async newestPlace(): Promise<number> {
    const known = await this.knownNewest();
    // Other media services claim places too.
    let newest = known;
    while (await this.placeExists(newest + 1)) newest += 1;
    if (newest !== known) this.newest = Promise.resolve(newest);
    return newest;
  }

  async idsAt(places: readonly number[]): Promise<Array<string | null>> {
    const docs = await Promise.all(places.map((place) => engine(() => this.order.findOne({ _id: placeKey(place) }))));
    return docs.map((doc) => doc?.sessionId ?? null);
  }

  async unfinished(): Promise<StreamSession[]> {
    await this.knownNewest();
    try {
      return (await this.sessions.find({ status: { $in: [...UNFINISHED_STATUSES] } }).toArray()).map(toSession);
    } catch (error) {
      throw unavailable('mongodb', error);
    }
  }

  /** The next free place, taken by inserting it: a place another process took first is skipped. */
  private async claimPlace(sessionId: string): Promise<number> {
    let candidate = await this.knownNewest();
    for (;;) {
      candidate += 1;
      const taken = candidate;
      if (await insertIfAbsent(this.order, { _id: placeKey(taken), sessionId })) {
        this.newest = this.knownNewest().then((newest) => Math.max(newest, taken));
        await this.raiseHead(taken);
        return taken;
      }
    }
  }

  /**
   * The hint only shortens the search for the newest place; a failed raise is caught up by probing.
   * Two first upserts at once: one inserts, the other fails on the `_id` and, tried again, updates.
   */
  private async raiseHead(place: number): Promise<void> {
    const raise = () => this.order.updateOne({ _id: HEAD }, { $max: { value: place } }, { upsert: true });
    await raise()
      .catch((error: unknown) => (isDuplicateKey(error) ? raise() : undefined))
      .catch(() => undefined);
  }

  private placeExists(place: number): Promise<boolean> {
    return engine(() => this.order.findOne({ _id: placeKey(place) }, { projection: { _id: 1 } })).then((doc) => doc !== null);
  }

  private knownNewest(): Promise<number> {
    this.newest ??= this.loadNewest().catch((error: unknown) => {
      this.newest = undefined;
      throw error;
    });
    return this.newest;
  }

  /** The head hint, probed forward past places claimed after it was last raised. */
  private async loadNewest(): Promise<number> {
    const head = await engine(() => this.order.findOne({ _id: HEAD }));
    let newest = head?.value ?? 0;
    while (await this.placeExists(newest + 1)) newest += 1;
    return head ? newest : this.numberUnorderedSessions(newest);
  }

  /**
   * Sessions stored before the listing order existed get the places after `newest`, in the order they
   * started (once: the head hint written at the end marks it done; a run cut short resumes where it
   * stopped). Returns the newest place.
   */
  private async numberUnorderedSessions(newest: number): Promise<number> {
    const unordered = await engine(() => this.sessions.find({ seq: { $exists: false } }).toArray());
    unordered.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    let place = newest;
    for (const doc of unordered) {
      place += 1;
      await engine(() => this.order.insertOne({ _id: placeKey(place), sessionId: doc._id }));
      await engine(() => this.sessions.updateOne({ _id: doc._id }, { $set: { seq: place } }));
    }
    await this.raiseHead(place);
    return place;
  }
}
