import { CURRENT_SCHEMA_VERSION } from '../events/domain-events';
import { fromStored, toStored, type EventEnvelope, type StoredEnvelope } from '../events/envelope';
import type { AppendCandidate, ReadAllOptions } from './event-store';
import type { GroupLimits } from './group-appender';
import { upcast } from './upcasters';

/**
 * How appends become commits of the global log, for every adapter: the position scheme, the size of
 * a commit, the rules an append's input follows, and the envelopes a commit stores. Each adapter
 * holds the same limits, so an append that passes a test on one passes on the others.
 */

/** Events per commit at most; an event's global position is `seq * COMMIT_SPAN + index`. */
export const COMMIT_SPAN = 1000;
/**
 * Bytes of event text one commit holds at most. MongoDB refuses a document over 16 MiB (its driver
 * refuses to send one), and the group appender could otherwise merge 1,000 events of 16 KiB each
 * into one intent document; half the limit leaves room for the BSON framing and the estimate.
 * Larger appends become several commits.
 */
export const MAX_COMMIT_BYTES = 8 * 1024 * 1024;
/** What an envelope adds to its candidate (position, schema version, recordedAt, BSON framing), rounded up. */
const ENVELOPE_OVERHEAD_BYTES = 256;
/** An upper estimate of the bytes a candidate adds to its commit. */
export const candidateBytes = (candidate: object): number => Buffer.byteLength(JSON.stringify(candidate), 'utf8') + ENVELOPE_OVERHEAD_BYTES;
export const positionOf = (seq: number, index: number): number => seq * COMMIT_SPAN + index;
export const seqOf = (position: number): number => Math.floor(position / COMMIT_SPAN);

/** What the group appender may merge into one commit. */
export const COMMIT_LIMITS: GroupLimits = { maxEvents: COMMIT_SPAN, maxBytes: MAX_COMMIT_BYTES, weigh: candidateBytes };

/** The rules of `EventStore.append`'s input; a rejected promise when they are broken. */
export function appendInputError(candidates: readonly AppendCandidate[]): Error | undefined {
  const streams = new Set(candidates.map((c) => c.streamId));
  if (streams.size !== candidates.length) return new Error('append takes at most one event per stream');
  if (candidates.length > COMMIT_SPAN) return new Error(`append takes at most ${COMMIT_SPAN} events`);
  return undefined;
}

/** The envelopes the candidates of commit `seq` become, positioned in their order. */
export function envelopesOf(seq: number, candidates: readonly AppendCandidate[]): EventEnvelope[] {
  const recordedAt = new Date().toISOString();
  return candidates.map((candidate, index) => ({
    id: candidate.id,
    streamId: candidate.streamId,
    version: candidate.version,
    position: positionOf(seq, index),
    ...candidate.event,
    schemaVersion: CURRENT_SCHEMA_VERSION[candidate.event.type],
    occurredAt: candidate.occurredAt,
    recordedAt,
    metadata: candidate.metadata,
  }));
}

/** Events are stored as JSON text in their stored form (see lib/events/envelope.ts). */
export const encodeEnvelope = (envelope: EventEnvelope): string => JSON.stringify(toStored(envelope));
export const decodeEnvelope = (text: string): EventEnvelope => fromStored(JSON.parse(text) as StoredEnvelope);

/**
 * `readAll` over the decided commits up to `lastSeq`, for every adapter: `eventsOf(seq)` is the text
 * of the events commit `seq` wrote. The commit holding `fromPosition` is read again and filtered, so
 * resuming mid-commit is exact; batches end on commit boundaries.
 */
export async function* readCommits(
  fromPosition: number,
  options: ReadAllOptions,
  lastSeq: number,
  eventsOf: (seq: number) => Promise<readonly string[]>,
): AsyncIterable<EventEnvelope[]> {
  const batchSize = Math.max(1, options.batchSize ?? 500);
  const lastPosition = options.toPosition ?? Number.MAX_SAFE_INTEGER;
  let batch: EventEnvelope[] = [];
  // Slots start at 1: a position below 1000 (e.g. a checkpoint just short of the first commit) is in none.
  for (let seq = Math.max(1, seqOf(fromPosition)); seq <= lastSeq; seq += 1) {
    for (const text of await eventsOf(seq)) {
      const envelope = upcast(decodeEnvelope(text));
      if (envelope.position > fromPosition && envelope.position <= lastPosition) batch.push(envelope);
    }
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
