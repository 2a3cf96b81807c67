import type { EventEnvelope } from '../events/envelope';
import { decodeEnvelope, positionKey, streamKey, type CommitDoc, type OutcomeDoc, type StreamDoc } from './documents';
import type { ReadAllOptions } from './event-store';
import { engine, insertIfAbsent, insertManyReportingTaken, type StoreCollections } from './mongo-collections';
import type { RecentOutcomes } from './recent-outcomes';
import { upcast } from './upcasters';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The most events one append may carry: bounds the backward search in `resumeSlot`. */
export const MAX_COMMIT = 1000;

/**
 * Follows the global log slot by slot. A slot is decided by its outcome doc; an undecided slot
 * below the head is an append in flight (or one whose writer died): the reader waits for it, and
 * past the recovery timeout finishes it itself (or claims a never-written slot with a gap marker).
 * So it never passes a position that could still receive an event.
 */
export class LogReader {
  /** When this reader first found each undecided slot: the recovery clock is the reader's own. */
  private readonly firstSeen = new Map<number, number>();
  /** Last delivered position -> the slot after its commit, so a caller resuming where it stopped costs nothing. */
  private readonly nextSlotAfter = new Map<number, number>();

  constructor(
    private readonly collections: StoreCollections,
    private readonly recent: RecentOutcomes,
    private readonly recoveryTimeoutMs: number,
  ) {}

  async *readAll(fromPosition: number, options: ReadAllOptions, headPosition: () => Promise<number>): AsyncIterable<EventEnvelope[]> {
    const batchSize = Math.max(1, options.batchSize ?? 500);
    const head = options.toPosition ?? (await headPosition());
    let batch: EventEnvelope[] = [];
    let slot = await this.resumeSlot(fromPosition);
    while (slot <= head) {
      const outcome = await this.decided(slot);
      for (const text of outcome.events) {
        const envelope = upcast(decodeEnvelope(text));
        // A commit may straddle `fromPosition` when a caller resumes mid-commit.
        if (envelope.position > fromPosition && envelope.position <= head) batch.push(envelope);
      }
      slot = outcome.first + outcome.count;
      const last = batch.at(-1);
      if (last) this.rememberNextSlot(last.position, slot);
      // Batches end on commit boundaries, so a caller's last position always resumes cleanly.
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /**
   * The slot to read after `fromPosition`, which is 0 or a position this log delivered. Inside a
   * multi-event commit the next position is not a slot of its own: find the commit that holds
   * `fromPosition` (at most MAX_COMMIT `_id` probes back, usually one) and re-read it from its start.
   */
  private async resumeSlot(fromPosition: number): Promise<number> {
    if (fromPosition <= 0) return 1;
    const known = this.nextSlotAfter.get(fromPosition);
    if (known !== undefined) return known;
    for (let start = fromPosition; start > Math.max(0, fromPosition - MAX_COMMIT); start -= 1) {
      const commit = this.recent.get(start) ?? (await engine(() => this.collections.commits.findOne({ _id: positionKey(start) })));
      if (commit) return start + commit.count > fromPosition + 1 ? start : fromPosition + 1;
    }
    return fromPosition + 1;
  }

  private rememberNextSlot(position: number, slot: number): void {
    this.nextSlotAfter.set(position, slot);
    if (this.nextSlotAfter.size > 10000) {
      const oldest = this.nextSlotAfter.keys().next();
      if (!oldest.done) this.nextSlotAfter.delete(oldest.value);
    }
  }

  /** The decided outcome of the commit starting at `slot`, waiting for or recovering it if needed. */
  private async decided(slot: number): Promise<Pick<OutcomeDoc, 'first' | 'count' | 'events'>> {
    for (let attempt = 0; ; attempt += 1) {
      const cached = this.recent.get(slot);
      if (cached) return cached;
      const outcome = await engine(() => this.collections.outcomes.findOne({ _id: positionKey(slot) }));
      if (outcome) return this.settled(slot, outcome);
      const commit = await engine(() => this.collections.commits.findOne({ _id: positionKey(slot) }));
      if (commit?.gap) return this.settled(slot, { first: slot, count: commit.count, events: [] });
      const now = Date.now();
      const seen = this.firstSeen.get(slot) ?? now;
      this.firstSeen.set(slot, seen);
      if (now - seen >= this.recoveryTimeoutMs) {
        if (commit) return this.settled(slot, await this.recover(commit));
        const gap: CommitDoc = { _id: positionKey(slot), first: slot, count: 1, gap: true, createdAt: new Date() };
        // Lost the race to the writer's own commit doc: read again, it is in flight after all.
        if (await insertIfAbsent(this.collections.commits, gap)) return this.settled(slot, { first: slot, count: 1, events: [] });
      }
      await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
    }
  }

  private settled<T>(slot: number, value: T): T {
    this.firstSeen.delete(slot);
    return value;
  }

  /**
   * Finishes a commit whose writer is late or dead, from the intent alone: inserts each candidate's
   * stream doc (an existing one with the same position was the writer's: it won; another position:
   * it lost), then records the outcome, or adopts the one a faster party recorded first.
   */
  private async recover(commit: CommitDoc): Promise<OutcomeDoc> {
    const texts = commit.events ?? [];
    const envelopes = texts.map(decodeEnvelope);
    const docs: StreamDoc[] = envelopes.map((envelope, index) => ({
      _id: streamKey(envelope.streamId, envelope.version),
      position: envelope.position,
      e: texts[index] as string,
    }));
    const taken = await insertManyReportingTaken(this.collections.streams, docs);
    const won: string[] = [];
    for (const [index, doc] of docs.entries()) {
      if (taken.has(index)) {
        const existing = await engine(() => this.collections.streams.findOne({ _id: doc._id }));
        if (existing?.position !== doc.position) continue;
      }
      won.push(doc.e);
    }
    const outcome: OutcomeDoc = { _id: commit._id, first: commit.first, count: commit.count, events: won };
    if (await insertIfAbsent(this.collections.outcomes, outcome)) return outcome;
    const theirs = await engine(() => this.collections.outcomes.findOne({ _id: commit._id }));
    return theirs ?? outcome;
  }
}
