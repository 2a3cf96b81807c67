import type { EventEnvelope } from '../events/envelope';
import { COMMIT_LIMITS, COMMIT_SPAN, appendInputError, decodeEnvelope, encodeEnvelope, envelopesOf, positionOf, readCommits, seqOf } from './commits';
import type { AppendCandidate, AppendOutcome, AppendResult, EventStore, ReadAllOptions, SnapshotStore } from './event-store';
import { GroupAppender } from './group-appender';
import { upcast } from './upcasters';

/** A decided commit: its sequence number and the text of each event it wrote. */
interface Commit {
  seq: number;
  events: string[];
}

/**
 * The event store port in this process's memory, for unit tests: command handling, ingestion and
 * the relay run against it in milliseconds, without an engine. It keeps what the MongoDB adapter
 * keeps, the same way: events as JSON text in their stored form (a reader never shares an object
 * with the store, and every read is upcast), positions `seq * 1000 + index` with the holes lost
 * candidates leave, the same commit limits and group commit. Nothing survives the process.
 */
export function createInMemoryEventStore(): EventStore & SnapshotStore {
  /** Stored events' text by `<streamId>:<version>`: a taken key is a conflict, as the MongoDB `_id`. */
  const streams = new Map<string, string>();
  const commits: Commit[] = [];
  const snapshots = new Map<string, string>();
  const listeners = new Set<(position: number) => void>();
  const keyOf = (streamId: string, version: number) => `${streamId}:${version}`;

  const readEvent = (streamId: string, version: number): EventEnvelope | null => {
    const text = streams.get(keyOf(streamId, version));
    return text === undefined ? null : upcast(decodeEnvelope(text));
  };

  const commit = (candidates: readonly AppendCandidate[]): Promise<AppendResult> => {
    const seq = commits.length + 1;
    const envelopes = envelopesOf(seq, candidates);
    const events: string[] = [];
    const outcomes = envelopes.map((envelope): AppendOutcome => {
      const key = keyOf(envelope.streamId, envelope.version);
      const existing = streams.get(key);
      if (existing !== undefined) return { status: 'conflict', existing: upcast(decodeEnvelope(existing)) };
      const text = encodeEnvelope(envelope);
      streams.set(key, text);
      events.push(text);
      return { status: 'written', envelope };
    });
    commits.push({ seq, events });
    if (events.length > 0) for (const listener of listeners) listener(positionOf(seq, candidates.length - 1));
    return Promise.resolve({ outcomes });
  };
  const group = new GroupAppender(commit, COMMIT_LIMITS);

  return {
    append(candidates) {
      const invalid = appendInputError(candidates);
      if (invalid) return Promise.reject(invalid);
      return candidates.length === 0 ? Promise.resolve({ outcomes: [] }) : group.append(candidates);
    },
    readEvent: async (streamId, version) => readEvent(streamId, version),
    async readStream(streamId, fromVersion = 1) {
      const events: EventEnvelope[] = [];
      for (let version = Math.max(1, fromVersion); ; version += 1) {
        const envelope = readEvent(streamId, version);
        if (!envelope) return events;
        events.push(envelope);
      }
    },
    async streamVersion(streamId) {
      let version = 0;
      while (streams.has(keyOf(streamId, version + 1))) version += 1;
      return version;
    },
    async *readAll(fromPosition: number, options: ReadAllOptions = {}) {
      // Nothing is ever in flight here: the head is the last commit, and a later `toPosition` ends there.
      const lastSeq = options.toPosition === undefined ? commits.length : Math.min(seqOf(options.toPosition), commits.length);
      yield* readCommits(fromPosition, options, lastSeq, async (seq) => (commits[seq - 1] as Commit).events);
    },
    headPosition: async () => (commits.length === 0 ? 0 : positionOf(commits.length, COMMIT_SPAN - 1)),
    onAppended(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async saveSnapshot(streamId, version, state) {
      const key = `${streamId}@${version}`;
      if (!snapshots.has(key)) snapshots.set(key, state);
    },
    loadSnapshot: async (streamId, version) => snapshots.get(`${streamId}@${version}`) ?? null,
  };
}
