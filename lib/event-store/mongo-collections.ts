import type { Collection, Db } from 'mongodb';
import { unavailable } from '../errors/engine-errors';
import { isDuplicateKey } from '../engines/mongo';
import type { CommitDoc, CounterDoc, OutcomeDoc, SnapshotDoc, StreamDoc } from './documents';

/** The adapter's collections; each hot path on them is an insert or an `_id` lookup. */
export interface StoreCollections {
  streams: Collection<StreamDoc>;
  /** The log, in buckets of LOG_BUCKET slots (see README: FerretDB's `_id` lookups scan their table). */
  commits(seq: number): Collection<CommitDoc>;
  outcomes(seq: number): Collection<OutcomeDoc>;
  counters: Collection<CounterDoc>;
  snapshots: Collection<SnapshotDoc>;
}

export const LOG_BUCKET = 1024;
const bucketOf = (seq: number) => Math.floor(seq / LOG_BUCKET);

export const storeCollections = (db: Db): StoreCollections => ({
  streams: db.collection<StreamDoc>('streams'),
  commits: (seq) => db.collection<CommitDoc>(`commits_${bucketOf(seq)}`),
  outcomes: (seq) => db.collection<OutcomeDoc>(`outcomes_${bucketOf(seq)}`),
  counters: db.collection<CounterDoc>('counters'),
  snapshots: db.collection<SnapshotDoc>('snapshots'),
});

/** Runs an engine call; any driver failure but a duplicate key becomes UNAVAILABLE. */
export async function engine<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isDuplicateKey(error)) throw error;
    throw unavailable('mongodb', error);
  }
}

/** Inserts one document; false when its `_id` was taken first. */
export async function insertIfAbsent<T extends { _id: string }>(collection: Collection<T>, doc: T): Promise<boolean> {
  try {
    // The driver's OptionalUnlessRequiredId type cannot see that T always carries its `_id`.
    await engine(() => collection.insertOne(doc as Parameters<Collection<T>['insertOne']>[0]));
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/**
 * insertMany, unordered: returns the indexes whose `_id` was already taken. Any other failure is
 * UNAVAILABLE (then some of the docs may be stored: callers only insert what is safe to keep).
 */
export async function insertManyReportingTaken<T extends { _id: string }>(collection: Collection<T>, docs: T[]): Promise<Set<number>> {
  const taken = new Set<number>();
  if (docs.length === 0) return taken;
  try {
    // Same driver typing gap as in insertIfAbsent.
    await collection.insertMany(docs as unknown as Parameters<Collection<T>['insertMany']>[0], { ordered: false });
  } catch (error) {
    const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (list.length === 0 || !list.every((w: { code?: number }) => w.code === 11000)) throw unavailable('mongodb', error);
    for (const w of list as Array<{ index: number }>) taken.add(w.index);
  }
  return taken;
}
