import { BSON, MongoClient, MongoInvalidArgumentError, MongoServerError, type Db } from 'mongodb';
import type { Config } from '../config/config';

export interface MongoHandle {
  readonly client: MongoClient;
  readonly db: Db;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * One client per process. Short server-selection and socket timeouts turn a dead engine into a
 * quick UNAVAILABLE instead of a request hanging for the driver's 30 s default.
 */
export async function connectMongo(config: Config['mongodb']): Promise<MongoHandle> {
  const client = new MongoClient(config.url, {
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 3000,
    socketTimeoutMS: 30000,
    maxPoolSize: 20,
    // FerretDB (local) and MongoDB (production) both accept writes without retryable-write sessions;
    // retries are ours, so they stay idempotent by construction.
    retryWrites: false,
    retryReads: true,
    // On a replica set an acknowledged write is on a majority of its members, so no failover can
    // roll it back (lib/event-store/README.md, "Replica set"). A standalone or FerretDB is its own majority.
    writeConcern: { w: 'majority' },
  });
  await client.connect();
  const db = client.db(config.database);
  return {
    client,
    db,
    async ping() {
      try {
        await db.command({ ping: 1 }, { timeoutMS: 2000 });
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.close(),
  };
}

/** True for a unique-index violation: the engine's answer to "this id was taken first by someone else". */
export const isDuplicateKey = (error: unknown): boolean => error instanceof MongoServerError && error.code === 11000;

/**
 * True when a document can never be stored as it is: the driver refuses to send one over the
 * 16 MiB limit (an argument error, or a RangeError from the serializer's buffer), or the server
 * refuses it (BSONObjectTooLarge).
 */
export const isRefusedDocument = (error: unknown): boolean =>
  error instanceof MongoInvalidArgumentError ||
  error instanceof BSON.BSONError ||
  // By name: Node's own RangeError (from Buffer) is not the RangeError of a vm context (jest).
  (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'RangeError') ||
  (error instanceof MongoServerError && error.code === 10334);
