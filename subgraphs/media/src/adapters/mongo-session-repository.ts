import type { Db } from 'mongodb';
import { isDuplicateKey } from '../../../../lib/engines/mongo';
import { unavailable } from '../../../../lib/errors/engine-errors';
import { engine, insertIfAbsent } from '../../../../lib/event-store/mongo-collections';
import type { SessionRepository } from '../sessions/ports';
import { UNFINISHED_STATUSES, type StreamSession } from '../sessions/session';

type SessionDoc = Omit<StreamSession, 'id' | 'seq'> & { _id: string; seq?: number };
/** A place of the listing order (`_id` = the place as a string), or the `head` hint. */
type OrderDoc = { _id: string; sessionId?: string; value?: number };

const MEDIA_SESSIONS = 'media_sessions';
const MEDIA_SESSION_ORDER = 'media_session_order';
const HEAD = 'head';

const toSession = ({ _id, seq, ...rest }: SessionDoc): StreamSession => ({ id: _id, seq: seq ?? 0, ...rest });
const placeKey = (place: number): string => String(place);

/**
 * `media_sessions`: one document per session, replaced by `_id` on every status change.
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

  private get order() {
    return this.db.collection<OrderDoc>(MEDIA_SESSION_ORDER);
  }

  async insert(fresh: Omit<StreamSession, 'seq'>): Promise<StreamSession> {
    const seq = await this.claimPlace(fresh.id);
    const session = { ...fresh, seq };
    await this.save(session);
    return session;
  }

  async save(session: StreamSession): Promise<void> {
    const { id, ...rest } = session;
    await engine(() => this.sessions.replaceOne({ _id: id }, rest, { upsert: true }));
  }

  async get(id: string): Promise<StreamSession | null> {
    const doc = await engine(() => this.sessions.findOne({ _id: id }));
    return doc ? toSession(doc) : null;
  }

  async newestPlace(): Promise<number> {
    const known = await this.knownNewest();
    // Another process may have claimed places since (one media process per namespace is the rule).
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
