import type { Collection, Db } from 'mongodb';
import { refusedByEngine, unavailable } from '../errors/engine-errors';
import { isDuplicateKey, isRefusedDocument } from '../engines/mongo';
import type { CommitDoc, CounterDoc, OutcomeDoc, SnapshotDoc, StreamDoc } from './documents';

/** The adapter's collections; each hot path on them is an insert or an `_id` lookup. */
export interface StoreCollections {
  /**
   * Where a stream's docs live. Camera streams have a collection of their own: the command side
   * re-reads cameras every few seconds, so they stay in a small table of their own, apart from the
   * (large) event streams (on an engine whose `_id` lookups scan, such as an unpatched FerretDB,
   * that is the difference between scanning a few camera docs and every stored event).
   */
  streamsOf(streamId: string): Collection<StreamDoc>;
  /** The log, in buckets of LOG_BUCKET slots: small tables (see README, "FerretDB"). */
  commits(seq: number): Collection<CommitDoc>;
  outcomes(seq: number): Collection<OutcomeDoc>;
  counters: Collection<CounterDoc>;
  snapshots: Collection<SnapshotDoc>;
}

export const LOG_BUCKET = 1024;
/** Aggregate kinds with few, often re-read streams: kept apart from the (large) event streams. */
const OWN_COLLECTION_KINDS = new Set(['camera']);
const kindOf = (streamId: string) => streamId.slice(0, Math.max(0, streamId.indexOf('-')));
const bucketOf = (seq: number) => Math.floor(seq / LOG_BUCKET);

export const storeCollections = (db: Db): StoreCollections => ({
  streamsOf: (streamId) => {
    const kind = kindOf(streamId);
    return db.collection<StreamDoc>(OWN_COLLECTION_KINDS.has(kind) ? `streams_${kind}` : 'streams');
  },
  commits: (seq) => db.collection<CommitDoc>(`commits_${bucketOf(seq)}`),
  outcomes: (seq) => db.collection<OutcomeDoc>(`outcomes_${bucketOf(seq)}`),
  counters: db.collection<CounterDoc>('counters'),
  snapshots: db.collection<SnapshotDoc>('snapshots'),
});

/** A driver failure as the store reports it: refused (never storable) or UNAVAILABLE (retry). */
const failure = (error: unknown) => (isRefusedDocument(error) ? refusedByEngine('mongodb', error) : unavailable('mongodb', error));

/** Runs an engine call; any driver failure but a duplicate key becomes UNAVAILABLE, or a refusal. */
export async function engine<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isDuplicateKey(error)) throw error;
    throw failure(error);
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
    if (list.length === 0 || !list.every((w: { code?: number }) => w.code === 11000)) throw failure(error);
    for (const w of list as Array<{ index: number }>) taken.add(w.index);
  }
  return taken;
}

/**
 * Inserts stream docs that may belong to several collections (one unordered insert per
 * collection, concurrently): returns the indexes whose `_id` was already taken.
 */
export async function insertStreamDocs(collections: StoreCollections, docs: StreamDoc[]): Promise<Set<number>> {
  const groups = new Map<string, { collection: Collection<StreamDoc>; indexes: number[] }>();
  docs.forEach((doc, index) => {
    const collection = collections.streamsOf(doc._id);
    const group = groups.get(collection.collectionName) ?? { collection, indexes: [] };
    group.indexes.push(index);
    groups.set(collection.collectionName, group);
  });
  const taken = new Set<number>();
  await Promise.all(
    [...groups.values()].map(async ({ collection, indexes }) => {
      const local = await insertManyReportingTaken(
        collection,
        indexes.map((i) => docs[i] as StreamDoc),
      );
      for (const i of local) taken.add(indexes[i] as number);
    }),
  );
  return taken;
}
