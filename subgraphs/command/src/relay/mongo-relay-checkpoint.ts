import type { Db } from 'mongodb';
import { isDuplicateKey } from '../../../../lib/engines/mongo';
import { unavailable } from '../../../../lib/errors/engine-errors';
import type { RelayCheckpoint } from './relay-ports';

interface RelayDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
  position: number;
}

/**
 * Lease and checkpoint in ONE document of a one-document collection: updating it stays cheap, and
 * a checkpoint write by a relay that lost its lease matches nothing, so a stale relay can never
 * move the checkpoint of the one that took over.
 */
export function mongoRelayCheckpoint(db: Db, name = 'relay'): RelayCheckpoint {
  const collection = db.collection<RelayDoc>('relay');
  const guard = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw unavailable('mongodb', error);
    }
  };
  return {
    async acquire(owner, ttlMs) {
      const now = new Date();
      try {
        const doc = await collection.findOneAndUpdate(
          { _id: name, $or: [{ owner }, { expiresAt: { $lt: now } }] },
          { $set: { owner, expiresAt: new Date(now.getTime() + ttlMs) }, $setOnInsert: { position: 0 } },
          { upsert: true, returnDocument: 'after' },
        );
        return doc?.position ?? 0;
      } catch (error) {
        // The document exists and the filter did not match: another relay holds a live lease.
        if (isDuplicateKey(error)) return null;
        throw unavailable('mongodb', error);
      }
    },
    async save(owner, position, ttlMs) {
      const result = await guard(() => collection.updateOne({ _id: name, owner }, { $set: { position, expiresAt: new Date(Date.now() + ttlMs) } }));
      return result.matchedCount === 1;
    },
    async renew(owner, ttlMs) {
      const result = await guard(() => collection.updateOne({ _id: name, owner }, { $set: { expiresAt: new Date(Date.now() + ttlMs) } }));
      return result.matchedCount === 1;
    },
    async release(owner) {
      await guard(() => collection.updateOne({ _id: name, owner }, { $set: { expiresAt: new Date(0) } }));
    },
  };
}
