import type { Db } from 'mongodb';
import type { EventEnvelope } from '../events/envelope';
import { COMMIT_LIMITS, COMMIT_SPAN, appendInputError, decodeEnvelope, encodeEnvelope, envelopesOf, positionOf } from './commits';
import { seqKey, snapshotKey, streamKey, type CommitDoc, type OutcomeDoc, type StreamDoc } from './documents';
import type { AppendCandidate, AppendOutcome, AppendResult, EventStore, ReadAllOptions, SnapshotStore } from './event-store';
import { CoalescingWriter } from './coalescing-writer';
import { GroupAppender } from './group-appender';
import { LogReader } from './log-reader';
import { engine, insertIfAbsent, insertManyReportingTaken, insertStreamDocs, storeCollections, type StoreCollections } from './mongo-collections';
import { RecentOutcomes } from './recent-outcomes';
import { upcast } from './upcasters';

export interface MongoEventStoreOptions {
  /** How long a reader waits for an in-flight append (or an allocated, never-written slot) before recovering it. */
  recoveryTimeoutMs?: number;
}

export type MongoEventStore = EventStore &
  SnapshotStore & {
    /** Writes the outcomes and head hint still queued (call before closing the connection). */
    flush(): Promise<void>;
  };

/**
 * Outcome docs are written in the background, merged: one insert per this many ms under load
 * instead of one per append. Readers in this process never wait for them (they read decided
 * commits from memory); readers elsewhere see a commit that much later.
 */
const OUTCOME_SPACING_MS = 20;
/** The head hint is raised at most this often (the last claim of a burst is always written). */
const HINT_SPACING_MS = 50;

/**
 * The event store on the MongoDB protocol (FerretDB locally, MongoDB in production) without
 * transactions or change streams: every hot path is an insert or an `_id` lookup. The protocol is
 * described in lib/event-store/README.md.
 */
export function createMongoEventStore(db: Db, options: MongoEventStoreOptions = {}): MongoEventStore {
  const collections = storeCollections(db);
  // Events, not commits: 20,000 commits of 1,000 events each would have held ~18 GB.
  const recent = new RecentOutcomes(50_000);
  const listeners = new Set<(position: number) => void>();
  const allocator = new SeqAllocator(collections);
  const outcomes = new CoalescingWriter<OutcomeDoc>((docs) => writeOutcomes(collections, docs), OUTCOME_SPACING_MS);
  const inFlight = new Map<number, Promise<void>>();
  const reader = new LogReader(
    collections,
    recent,
    options.recoveryTimeoutMs ?? 5000,
    () => allocator.highestClaimed,
    (seq) => inFlight.get(seq),
  );

  // The last position the newest known commit can hold: every committed event is at or below it.
  const headPosition = async (): Promise<number> => {
    const seq = await reader.headSeq();
    return seq === 0 ? 0 : positionOf(seq, COMMIT_SPAN - 1);
  };

  const readEvent = async (streamId: string, version: number): Promise<EventEnvelope | null> => {
    const doc = await engine(() => collections.streamsOf(streamId).findOne({ _id: streamKey(streamId, version) }));
    return doc ? upcast(decodeEnvelope(doc.e)) : null;
  };

  const group = new GroupAppender((candidates) => append(collections, allocator, recent, outcomes, inFlight, candidates, listeners), COMMIT_LIMITS);

  return {
    append(candidates) {
      const invalid = appendInputError(candidates);
      if (invalid) return Promise.reject(invalid);
      return candidates.length === 0 ? Promise.resolve({ outcomes: [] }) : group.append(candidates);
    },
    readEvent,
    async readStream(streamId, fromVersion = 1) {
      const events: EventEnvelope[] = [];
      for (let version = Math.max(1, fromVersion); ; version += 1) {
        const envelope = await readEvent(streamId, version);
        if (!envelope) return events;
        events.push(envelope);
      }
    },
    streamVersion: (streamId) => findStreamVersion(collections, streamId),
    readAll: (fromPosition: number, readOptions: ReadAllOptions = {}) => reader.readAll(fromPosition, readOptions),
    headPosition,
    onAppended(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async saveSnapshot(streamId, version, state) {
      await insertIfAbsent(collections.snapshots, { _id: snapshotKey(streamId, version), state, createdAt: new Date() });
    },
    async loadSnapshot(streamId, version) {
      const doc = await engine(() => collections.snapshots.findOne({ _id: snapshotKey(streamId, version) }));
      return doc?.state ?? null;
    },
    async flush() {
      await outcomes.flush();
      await allocator.flush();
    },
  };
}

/**
 * A stream's versions are dense (version v is only ever written after v-1 exists), so its head is
 * found by probing `_id`s 1, 2, 4, 8... until one is missing, then bisecting: O(log n) lookups.
 */
async function findStreamVersion(collections: StoreCollections, streamId: string): Promise<number> {
  const exists = async (version: number) =>
    (await engine(() => collections.streamsOf(streamId).findOne({ _id: streamKey(streamId, version) }, { projection: { _id: 1 } }))) !== null;
  if (!(await exists(1))) return 0;
  let low = 1;
  let high = 2;
  while (await exists(high)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await exists(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * Hands out commit sequence numbers in this process. A number is only a candidate: the unique
 * insert of the commit document decides who gets it; a taken one moves the counter past it.
 */
class SeqAllocator {
  private next = 0;

  constructor(private readonly collections: StoreCollections) {}

  async candidate(): Promise<number> {
    if (this.next === 0) this.next = (await readHeadHint(this.collections)) + 1;
    const seq = this.next;
    this.next += 1;
    return seq;
  }

  async taken(seq: number): Promise<void> {
    this.next = Math.max(this.next, seq + 1, (await readHeadHint(this.collections)) + 1);
  }

  /** The highest slot this process claimed: in-process readers see it before the hint does. */
  highestClaimed = 0;

  /**
   * Raises the shared hint after claims, merged (see CoalescingWriter): one write covers every
   * claim made meanwhile. A lagging hint only delays readers in other processes.
   */
  private readonly hint = new CoalescingWriter<number>((seqs) => raiseHeadHint(this.collections, Math.max(...seqs)), HINT_SPACING_MS);

  claimed(seq: number): void {
    this.highestClaimed = Math.max(this.highestClaimed, seq);
    this.hint.add(seq);
  }

  flush(): Promise<void> {
    return this.hint.flush();
  }
}

export async function readHeadHint(collections: StoreCollections): Promise<number> {
  const doc = await engine(() => collections.counters.findOne({ _id: 'head' }));
  return doc?.value ?? 0;
}

/**
 * Records decided outcomes, one unordered insert per log bucket. A duplicate is an outcome a
 * recovering reader recorded first (it decided the same); a failure leaves the commit to be
 * recovered by readers, which derive the same outcome from the intent and the stream docs.
 */
async function writeOutcomes(collections: StoreCollections, docs: OutcomeDoc[]): Promise<void> {
  const byBucket = new Map<string, { docs: OutcomeDoc[]; seq: number }>();
  for (const doc of docs) {
    const name = collections.outcomes(doc.seq).collectionName;
    const entry = byBucket.get(name) ?? { docs: [], seq: doc.seq };
    entry.docs.push(doc);
    byBucket.set(name, entry);
  }
  for (const { docs: bucket, seq } of byBucket.values()) {
    await insertManyReportingTaken(collections.outcomes(seq), bucket).catch(() => undefined);
  }
}

/** Raises the head hint (never needed for correctness: readers also probe one slot past it). */
async function raiseHeadHint(collections: StoreCollections, seq: number): Promise<void> {
  try {
    await collections.counters.updateOne({ _id: 'head', value: { $lt: seq } }, { $set: { value: seq } }, { upsert: true });
  } catch {
    // A duplicate key means the hint is already higher; any other failure only delays readers.
  }
}

/** One commit: the group appender hands over non-empty groups within the commit limits, one event per stream. */
async function append(
  collections: StoreCollections,
  allocator: SeqAllocator,
  recent: RecentOutcomes,
  decisions: CoalescingWriter<OutcomeDoc>,
  inFlight: Map<number, Promise<void>>,
  candidates: readonly AppendCandidate[],
  listeners: Set<(position: number) => void>,
): Promise<AppendResult> {
  // (1) claim a slot of the global log: the unique insert of the intent (all candidates with positions).
  let seq: number;
  let envelopes: EventEnvelope[];
  let texts: string[];
  for (;;) {
    seq = await allocator.candidate();
    envelopes = envelopesOf(seq, candidates);
    texts = envelopes.map(encodeEnvelope);
    let claimed: boolean;
    try {
      claimed = await insertIfAbsent<CommitDoc>(collections.commits(seq), {
        _id: seqKey(seq),
        seq,
        count: candidates.length,
        events: texts,
        createdAt: new Date(),
      });
    } catch (error) {
      // Unknown whether it landed: a gap marker either closes the slot at once or finds our intent there.
      await insertIfAbsent<CommitDoc>(collections.commits(seq), { _id: seqKey(seq), seq, count: 0, gap: true, createdAt: new Date() }).catch(() => undefined);
      throw error;
    }
    if (claimed) break;
    await allocator.taken(seq);
  }
  allocator.claimed(seq);
  // Readers in this process wait for the slot in memory instead of polling the engine for it.
  let settle: () => void = () => undefined;
  inFlight.set(seq, new Promise<void>((resolve) => (settle = resolve)));
  try {
    return await decide(collections, recent, decisions, seq, candidates.length, envelopes, texts, listeners);
  } finally {
    inFlight.delete(seq);
    settle();
  }
}

/** Steps (2) and (3) of an append whose slot `seq` is claimed (see README). */
async function decide(
  collections: StoreCollections,
  recent: RecentOutcomes,
  decisions: CoalescingWriter<OutcomeDoc>,
  seq: number,
  count: number,
  envelopes: EventEnvelope[],
  texts: string[],
  listeners: Set<(position: number) => void>,
): Promise<AppendResult> {
  // (2) each stream doc is the commit point of its event; a taken `_id` is someone else's
  // event (conflict) unless it carries our position (a reader completed our intent for us).
  const docs: StreamDoc[] = envelopes.map((envelope, index) => ({
    _id: streamKey(envelope.streamId, envelope.version),
    position: envelope.position,
    e: texts[index] as string,
  }));
  const taken = await insertStreamDocs(collections, docs);
  const outcomes: AppendOutcome[] = [];
  for (const [index, envelope] of envelopes.entries()) {
    if (!taken.has(index)) {
      outcomes.push({ status: 'written', envelope });
      continue;
    }
    const existing = await engine(() => collections.streamsOf(envelope.streamId).findOne({ _id: streamKey(envelope.streamId, envelope.version) }));
    if (!existing) throw new Error(`stream doc ${envelope.streamId}:${envelope.version} vanished`);
    outcomes.push(
      existing.position === envelope.position ? { status: 'written', envelope } : { status: 'conflict', existing: upcast(decodeEnvelope(existing.e)) },
    );
  }

  // (3) the decision, written in the background (merged with other appends' decisions): every
  // stream doc of the commit is in place, so it is already fixed; the outcome doc only tells
  // readers elsewhere that it is. Stream docs never change, so a reader that decided first decided the same.
  const won = outcomes.flatMap((outcome, index) => (outcome.status === 'written' ? [texts[index] as string] : []));
  const lost = outcomes.flatMap((outcome, index) => (outcome.status === 'written' ? [] : [index]));
  recent.remember({ seq, events: won });
  decisions.add({ _id: seqKey(seq), seq, lost });
  if (won.length > 0) for (const listener of listeners) listener(positionOf(seq, count - 1));
  return { outcomes };
}
