import type { Db } from 'mongodb';
import { unavailable } from '../../../../lib/errors/engine-errors';
import type { SessionRepository } from '../sessions/ports';
import { ACTIVE_STATUSES, type StreamSession } from '../sessions/session';

type SessionDoc = Omit<StreamSession, 'id'> & { _id: string };

export const MEDIA_SESSIONS = 'media_sessions';

const toSession = ({ _id, ...rest }: SessionDoc): StreamSession => ({ id: _id, ...rest });

/** `media_sessions`: one document per session, replaced by `_id` on every status change. */
export class MongoSessionRepository implements SessionRepository {
  constructor(private readonly db: Db) {}

  private get collection() {
    return this.db.collection<SessionDoc>(MEDIA_SESSIONS);
  }

  async save(session: StreamSession): Promise<void> {
    const { id, ...rest } = session;
    try {
      await this.collection.replaceOne({ _id: id }, rest, { upsert: true });
    } catch (error) {
      throw unavailable('mongodb', error);
    }
  }

  async get(id: string): Promise<StreamSession | null> {
    try {
      const doc = await this.collection.findOne({ _id: id });
      return doc ? toSession(doc) : null;
    } catch (error) {
      throw unavailable('mongodb', error);
    }
  }

  async recent(limit: number): Promise<StreamSession[]> {
    try {
      // The collection is small (one document per session started); FerretDB would scan for any sort
      // anyway and refuses $natural on a non-capped collection, so the order is made here.
      const docs = await this.collection.find({}).toArray();
      return docs.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime()).slice(0, limit).map(toSession);
    } catch (error) {
      throw unavailable('mongodb', error);
    }
  }

  async active(): Promise<StreamSession[]> {
    try {
      return (await this.collection.find({ status: { $in: [...ACTIVE_STATUSES] } }).toArray()).map(toSession);
    } catch (error) {
      throw unavailable('mongodb', error);
    }
  }
}
