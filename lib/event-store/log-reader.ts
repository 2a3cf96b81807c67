import { sleep } from '../async/sleep';
import type { EventEnvelope } from '../events/envelope';
import { decodeEnvelope, readCommits, seqOf } from './commits';
import { seqKey, streamKey, winnersOf, type CommitDoc, type DecidedCommit, type OutcomeDoc, type StreamDoc } from './documents';
import type { ReadAllOptions } from './event-store';
import { engine, insertIfAbsent, insertStreamDocs, type StoreCollections } from './mongo-collections';
import type { RecentOutcomes } from './recent-outcomes';

/** Read concern of the reads on which a reader passes a slot without writing anything itself. */
const MAJORITY = { readConcern: { level: 'majority' } } as const;

/**
 * The shared head hint is read again at most this often: a reader following the log closely (the
 * relay, nudged after every append of its own process) would otherwise read it once per append.
 * Slots claimed in this process are known without it.
 */
const HINT_READ_MS = 25;

/**
 * Follows the global log commit by commit (sequence 1, 2, 3...). A slot is decided by its outcome
 * doc; an undecided slot at or below the head is an append in flight (or one whose writer died):
 * the reader waits for it, and past the recovery timeout finishes it itself, or closes a slot
 * nobody wrote with a gap marker. So it never passes a slot that could still receive an event.
 */
export class LogReader {
  /** When this reader first found each undecided slot: the recovery clock is the reader's own. */
  private readonly firstSeen = new Map<number, number>();
  private lastProbe = 0;
  private knownHead = 0;
  private hintReadAt = -Infinity;
  /** The last hint read (or the read in flight), shared by every caller within HINT_READ_MS of it. */
  private hintRead: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly collections: StoreCollections,
    private readonly recent: RecentOutcomes,
    private readonly recoveryTimeoutMs: number,
    /** The highest slot claimed by this process's own writer (ahead of the shared hint). */
    private readonly claimedHere: () => number = () => 0,
    /** An append of this process still deciding slot `seq`: settles when it is done (or failed). */
    private readonly pendingHere: (seq: number) => Promise<void> | undefined = () => undefined,
  ) {}

  /**
   * The highest claimed slot: the hint, and (at most once per recovery timeout, as each probe is a
   * lookup) the slots just past it, which a writer that died before raising the hint left behind.
   */
  async headSeq(): Promise<number> {
    // A caller within HINT_READ_MS of a read waits for that read (in flight or done) instead of
    // taking 0: a fresh process's second caller then probed from slot 1, one lookup of a whole
    // intent per commit of the log (1,400 commits, ~30 s of FerretDB CPU with 1M events stored).
    if (Date.now() - this.hintReadAt >= HINT_READ_MS) {
      this.hintReadAt = Date.now();
      this.hintRead = engine(() => this.collections.counters.findOne({ _id: 'head' })).then((doc) => doc?.value ?? 0);
      // A failed read fails the callers sharing it; the next caller reads again.
      this.hintRead.catch(() => {
        this.hintReadAt = -Infinity;
      });
    }
    let head = Math.max(await this.hintRead, this.knownHead, this.claimedHere());
    if (Date.now() - this.lastProbe >= this.recoveryTimeoutMs) {
      this.lastProbe = Date.now();
      while (
        this.recent.get(head + 1) ||
        (await engine(() => this.collections.commits(head + 1).findOne({ _id: seqKey(head + 1) }, { projection: { _id: 1 } })))
      ) {
        head += 1;
      }
    }
    this.knownHead = head;
    return head;
  }

  async *readAll(fromPosition: number, options: ReadAllOptions): AsyncIterable<EventEnvelope[]> {
    const head = options.toPosition === undefined ? await this.headSeq() : seqOf(options.toPosition);
    yield* readCommits(fromPosition, options, head, async (seq) => (await this.decided(seq)).events);
  }

  /** The decided outcome of slot `seq`, waiting for or recovering it if needed. */
  private async decided(seq: number): Promise<Pick<DecidedCommit, 'events'>> {
    for (let attempt = 0; ; attempt += 1) {
      const cached = this.recent.get(seq);
      if (cached) return cached;
      const pending = this.pendingHere(seq);
      if (pending) {
        // Our own writer is on it: no engine call. Failed, it leaves the slot to the code below.
        await pending;
        attempt = -1;
        continue;
      }
      // Majority reads: a slot is passed on what no failover can roll back (README, "Replica set").
      const outcome = await engine(() => this.collections.outcomes(seq).findOne({ _id: seqKey(seq) }, MAJORITY));
      const commit = await engine(() => this.collections.commits(seq).findOne({ _id: seqKey(seq) }, MAJORITY));
      if (outcome && commit) return this.settled(seq, { events: winnersOf(commit, outcome) });
      if (commit?.gap) return this.settled(seq, { events: [] });
      const now = Date.now();
      const seen = this.firstSeen.get(seq) ?? now;
      this.firstSeen.set(seq, seen);
      if (now - seen >= this.recoveryTimeoutMs) {
        if (commit) return this.settled(seq, await this.recover(commit));
        const gap: CommitDoc = { _id: seqKey(seq), seq, count: 0, gap: true, createdAt: new Date() };
        // Lost the race to the writer's own intent: read again, it is in flight after all.
        if (await insertIfAbsent(this.collections.commits(seq), gap)) return this.settled(seq, { events: [] });
      }
      await sleep(Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
    }
  }

  private settled<T>(seq: number, value: T): T {
    this.firstSeen.delete(seq);
    return value;
  }

  /**
   * Finishes a commit whose writer is late or dead, from the intent alone: inserts each candidate's
   * stream doc (an existing one with the same position was the writer's: it won; another position:
   * it lost), then records the outcome, or adopts the one a faster party recorded first.
   */
  private async recover(commit: CommitDoc): Promise<Pick<DecidedCommit, 'events'>> {
    const texts = commit.events ?? [];
    const docs: StreamDoc[] = texts.map((text) => {
      const envelope = decodeEnvelope(text);
      return { _id: streamKey(envelope.streamId, envelope.version), position: envelope.position, e: text };
    });
    const taken = await insertStreamDocs(this.collections, docs);
    const lost: number[] = [];
    for (const [index, doc] of docs.entries()) {
      if (!taken.has(index)) continue;
      const existing = await engine(() => this.collections.streamsOf(doc._id).findOne({ _id: doc._id }));
      if (existing?.position !== doc.position) lost.push(index);
    }
    const outcome: OutcomeDoc = { _id: commit._id, seq: commit.seq, lost };
    if (await insertIfAbsent(this.collections.outcomes(commit.seq), outcome)) return { events: winnersOf(commit, outcome) };
    const theirs = await engine(() => this.collections.outcomes(commit.seq).findOne({ _id: commit._id }));
    return { events: winnersOf(commit, theirs ?? outcome) };
  }
}
