import type { Db } from 'mongodb';
import { CURRENT_SCHEMA_VERSION } from '../events/domain-events';
import type { EventEnvelope } from '../events/envelope';
import { decodeEnvelope, encodeEnvelope, positionKey, snapshotKey, streamKey, type CommitDoc, type StreamDoc } from './documents';
import type { AppendCandidate, AppendOutcome, AppendResult, EventStore, ReadAllOptions, SnapshotStore } from './event-store';
import { LogReader, MAX_COMMIT } from './log-reader';
import { engine, insertIfAbsent, insertManyReportingTaken, storeCollections, type StoreCollections } from './mongo-collections';
import { RecentOutcomes } from './recent-outcomes';
import { upcast } from './upcasters';

export interface MongoEventStoreOptions {
  /** How long a reader waits for an in-flight append (or an allocated, never-written slot) before recovering it. */
  recoveryTimeoutMs?: number;
}

export type MongoEventStore = EventStore & SnapshotStore;

/**
 * The event store on the MongoDB protocol (FerretDB locally, MongoDB in production) without
 * transactions or change streams: every hot path is an insert or an `_id` lookup. The protocol is
 * described in lib/event-store/README.md.
 */
export function createMongoEventStore(db: Db, options: MongoEventStoreOptions = {}): MongoEventStore {
  const collections = storeCollections(db);
  const recent = new RecentOutcomes(20000);
  const listeners = new Set<(position: number) => void>();
  const reader = new LogReader(collections, recent, options.recoveryTimeoutMs ?? 5000);

  const headPosition = async (): Promise<number> => {
    const doc = await engine(() => collections.counters.findOne({ _id: 'position' }));
    return doc?.value ?? 0;
  };

  const readEvent = async (streamId: string, version: number): Promise<EventEnvelope | null> => {
    const doc = await engine(() => collections.streams.findOne({ _id: streamKey(streamId, version) }));
    return doc ? upcast(decodeEnvelope(doc.e)) : null;
  };

  return {
    append: (candidates) => append(collections, recent, candidates, listeners),
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
    readAll: (fromPosition: number, readOptions: ReadAllOptions = {}) => reader.readAll(fromPosition, readOptions, headPosition),
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
  };
}

/**
 * A stream's versions are dense (version v is only ever written after v-1 exists), so its head is
 * found by probing `_id`s 1, 2, 4, 8... until one is missing, then bisecting: O(log n) lookups.
 */
async function findStreamVersion(collections: StoreCollections, streamId: string): Promise<number> {
  const exists = async (version: number) =>
    (await engine(() => collections.streams.findOne({ _id: streamKey(streamId, version) }, { projection: { _id: 1 } }))) !== null;
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

async function append(
  collections: StoreCollections,
  recent: RecentOutcomes,
  candidates: readonly AppendCandidate[],
  listeners: Set<(position: number) => void>,
): Promise<AppendResult> {
  if (candidates.length === 0) return { outcomes: [] };
  const streams = new Set(candidates.map((c) => c.streamId));
  if (streams.size !== candidates.length) throw new Error('append takes at most one event per stream');
  if (candidates.length > MAX_COMMIT) throw new Error(`append takes at most ${MAX_COMMIT} events`);
  const count = candidates.length;

  for (;;) {
    // (1) allocate positions: a 1-document counter, so this update stays cheap forever.
    const counter = await engine(() =>
      collections.counters.findOneAndUpdate({ _id: 'position' }, { $inc: { value: count } }, { upsert: true, returnDocument: 'after' }),
    );
    if (!counter) throw new Error('position counter did not answer');
    const first = counter.value - count + 1;
    const recordedAt = new Date().toISOString();
    const envelopes: EventEnvelope[] = candidates.map((candidate, index) => ({
      eventId: candidate.eventId,
      streamId: candidate.streamId,
      version: candidate.version,
      position: first + index,
      type: candidate.event.type,
      schemaVersion: CURRENT_SCHEMA_VERSION[candidate.event.type],
      occurredAt: candidate.occurredAt,
      recordedAt,
      data: candidate.event.data,
      metadata: candidate.metadata,
    }));
    const texts = envelopes.map(encodeEnvelope);

    // (2) the intent. A reader that gave up on slot `first` claimed it with a gap marker first:
    // then nothing of ours is written yet; release the rest of our slots and start over.
    let claimed: boolean;
    try {
      claimed = await insertIfAbsent<CommitDoc>(collections.commits, {
        _id: positionKey(first),
        first,
        count,
        events: texts,
        createdAt: new Date(),
      });
    } catch (error) {
      await releaseSlots(collections, first, first + count - 1).catch(() => undefined);
      throw error;
    }
    if (!claimed) {
      await releaseSlots(collections, first + 1, first + count - 1);
      continue;
    }

    // (3) each stream doc is the commit point of its event; a taken `_id` is someone else's
    // event (conflict) unless it carries our position (a reader completed our intent for us).
    const docs: StreamDoc[] = envelopes.map((envelope, index) => ({
      _id: streamKey(envelope.streamId, envelope.version),
      position: envelope.position,
      e: texts[index] as string,
    }));
    const taken = await insertManyReportingTaken(collections.streams, docs);
    const outcomes: AppendOutcome[] = [];
    for (const [index, envelope] of envelopes.entries()) {
      if (!taken.has(index)) {
        outcomes.push({ status: 'written', envelope });
        continue;
      }
      const existing = await engine(() => collections.streams.findOne({ _id: streamKey(envelope.streamId, envelope.version) }));
      if (!existing) throw new Error(`stream doc ${envelope.streamId}:${envelope.version} vanished`);
      outcomes.push(
        existing.position === envelope.position
          ? { status: 'written', envelope }
          : { status: 'conflict', existing: upcast(decodeEnvelope(existing.e)) },
      );
    }

    // (4) the decision. Stream docs never change, so a reader that decided first decided the same.
    const won = outcomes.flatMap((outcome, index) => (outcome.status === 'written' ? [texts[index] as string] : []));
    const outcomeDoc = { _id: positionKey(first), first, count, events: won };
    await insertIfAbsent(collections.outcomes, outcomeDoc);
    recent.remember(outcomeDoc);
    if (won.length > 0) for (const listener of listeners) listener(first + count - 1);
    return { outcomes };
  }
}

/** Claims allocated slots [from, to] with gap markers so readers need not wait for them. */
export async function releaseSlots(collections: StoreCollections, from: number, to: number): Promise<void> {
  let slot = from;
  while (slot <= to) {
    const gap: CommitDoc = { _id: positionKey(slot), first: slot, count: to - slot + 1, gap: true, createdAt: new Date() };
    if (await insertIfAbsent(collections.commits, gap)) return;
    // A reader claimed this slot alone (count 1) before us: continue after it.
    const existing = await engine(() => collections.commits.findOne({ _id: positionKey(slot) }));
    slot += existing?.count ?? 1;
  }
}
