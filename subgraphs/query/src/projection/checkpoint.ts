import type { EventEnvelope } from '../../../../lib/events/envelope';
import type { EventStore } from '../../../../lib/event-store/event-store';

/** What the checkpoint needs: the event store (authority on which positions exist) and the views. */
export interface CheckpointPorts {
  store: Pick<EventStore, 'readAll' | 'headPosition'>;
  /** For envelopes this process did not apply itself: is each one applied in the live views? */
  appliedInViews(envelopes: EventEnvelope[]): Promise<boolean[]>;
  /** False for an event the projection dead-letters: it counts as done. */
  projectable(envelope: EventEnvelope): boolean;
  /**
   * Reads slots already decided (published by the relay). The writer stores a commit's outcome in
   * the background; a reader in another process waits for it, up to the store's recovery timeout,
   * then re-derives it from the commit's intent (the same outcome, by the store's design). A
   * reader with a short timeout here bounds that wait without ever closing a slot a writer may
   * still claim (these slots all have their commit document). Defaults to `store`.
   */
  decidedStore?: Pick<EventStore, 'readAll'>;
  /**
   * Applies stored events that no delivery brought (Projector.applyReplayed): it marks them applied
   * here. Without it the position waits for their delivery however long that takes.
   */
  applyStranded?(envelopes: EventEnvelope[]): Promise<void>;
}

/** Positions per parallel read of a decided range (the store's commits span 1,000 positions). */
const PARALLEL_PIECE = 1000;
/** Pieces read at once. */
const PARALLEL_READS = 8;
/** With nothing applied for this long and the head ahead, the store is asked what is missing. */
const IDLE_MS = 300;
/**
 * A stored event still not applied anywhere after this long is read from the store and applied
 * here. Deliveries fill an ordinary gap in well under a second (freshness p99 < 1 s); what waits
 * longer may never come: events relayed to a broker that is gone (a switch of engine layout, a
 * lost queue), or a queue that is not served for a while (its RabbitMQ leader died). Applying an
 * event twice is harmless (the views merge by stream version), so a delivery that comes after all
 * costs one no-op write. Long enough that a loaded machine, whose deliveries can lag a few seconds,
 * does not apply from the store what its queue is about to bring (the work twice, and a refused
 * document's dead letter reaching the queue's DLQ only once its delivery comes).
 */
const STRANDED_MS = 10_000;
/** Stranded events applied per advance. */
const STRANDED_BATCH = 2000;
/** `waitingFor` after a read stopped at STRANDED_BATCH: the next missing event is applied at once. */
const CONTINUED = -1;

/**
 * The projection position: the highest global position P such that every stored event at or
 * below P is applied. Positions have gaps (the store leaves some unused) and, with competing
 * projector processes, this process sees only some of the events; so:
 * - positions this process applied are remembered locally; a contiguous run advances P at once;
 * - when that run is stuck before a later applied position, or deliveries stopped short of the
 *   head, the store is read from P (it lists exactly the positions that exist, so gaps skip
 *   themselves) and each event this process did not apply is looked up in the views, whose
 *   documents record every stream version applied to them.
 * P never passes an event that is not applied, so a SIGKILL at any moment loses nothing: the
 * unacked messages come back and their re-application is a no-op.
 *
 * Positions are sparse (each commit starts a new block of 1,000), so under a steady load of small
 * commits "the next position" is almost never P + 1. The relay says on every message which event it
 * published right before (PREVIOUS_POSITION_HEADER): when that is P and the message is applied here,
 * nothing lies between, and P moves to it without asking the store. The store is read only where
 * that chain breaks (another process took the message, a dead letter, a restart, an older relay).
 * The header is trusted as the events exchange is written by the relay alone.
 */
export class Checkpoint {
  private readonly local = new Set<number>();
  /** Applied positions by the position the relay published right before each (see above). */
  private readonly next = new Map<number, number>();
  /** Lowest position of each batch this process is applying right now (see `hold`). */
  private readonly held = new Map<symbol, number>();
  private advancing: Promise<void> | undefined;
  /** Bumped by every rewind: marks and advances begun before it must not land after it. */
  private epochCount = 0;
  // From construction: a fresh process gets its first deliveries before it asks the store what is missing.
  private lastMarked = Date.now();
  /** The first stored event found not applied, and since when: see STRANDED_MS. */
  private waitingFor: { position: number; since: number } | undefined;
  /** Events applied from the store because no delivery brought them (for the status and logs). */
  strandedApplied = 0;
  head = 0;

  constructor(
    private readonly ports: CheckpointPorts,
    public position = 0,
    private readonly idleMs = IDLE_MS,
    private readonly strandedMs = STRANDED_MS,
  ) {}

  /** The store's head, for the lag; called on a timer, apart from the advance. */
  async refreshHead(): Promise<number> {
    this.head = Math.max(this.head, await this.ports.store.headPosition());
    return this.head;
  }

  /**
   * A batch starting at `lowest` is being applied by this process: until it is released, a gap
   * below it is expected to be filled by it, so the store is not read for that gap (with two
   * batches in flight the later one often lands first). Returns the release.
   */
  hold(lowest: number): () => void {
    const token = Symbol('batch');
    this.held.set(token, lowest);
    return () => {
      this.held.delete(token);
    };
  }

  /** Taken before applying a batch and handed to `markApplied`. */
  get epoch(): number {
    return this.epochCount;
  }

  /**
   * Forgets everything applied above `position` (the views may have lost it): from here the
   * position moves only on what is applied again. A mark or an advance that began before the rewind
   * is dropped when it ends (its writes may be among those lost). Returns the highest position
   * applied before the rewind.
   */
  rewind(position: number): number {
    const applied = this.highestApplied();
    this.epochCount += 1;
    this.position = position;
    this.local.clear();
    this.next.clear();
    this.lastMarked = Date.now();
    return applied;
  }

  /** The highest position this process applied (or reached): what a rewind may have to replay up to. */
  highestApplied(): number {
    let highest = this.position;
    for (const p of this.local) if (p > highest) highest = p;
    return highest;
  }

  /**
   * `previous`: for applied positions, the one the relay published right before each. `epoch`: the
   * checkpoint's epoch when the batch was applied; marks from before a rewind are ignored.
   */
  markApplied(positions: Iterable<number>, previous?: ReadonlyMap<number, number>, epoch = this.epochCount): void {
    if (epoch !== this.epochCount) return;
    for (const p of positions) {
      if (p <= this.position) continue;
      this.local.add(p);
      const before = previous?.get(p);
      if (before !== undefined && before >= this.position) this.next.set(before, p);
    }
    this.lastMarked = Date.now();
  }

  /** Advances as far as the facts allow; concurrent callers share one run. */
  advance(): Promise<void> {
    this.advancing ??= this.run().finally(() => {
      this.advancing = undefined;
    });
    return this.advancing;
  }

  /**
   * Reads (from, to] of a range known to be decided in parallel pieces: the store reads the log
   * slot by slot, a few round trips each, and a checkpoint stuck at every commit boundary under
   * steady load would otherwise wait for them one after the other (that wait is freshness).
   */
  private async *readDecided(from: number, to: number): AsyncIterable<EventEnvelope[]> {
    const read = (start: number): Promise<EventEnvelope[]> => {
      const end = Math.min(to, start + PARALLEL_PIECE);
      const piece = (async () => {
        const events: EventEnvelope[] = [];
        for await (const batch of (this.ports.decidedStore ?? this.ports.store).readAll(start, { batchSize: 500, toPosition: end })) events.push(...batch);
        return events;
      })();
      // A piece failing while an earlier one is awaited must not go unhandled; awaited, it still throws.
      piece.catch(() => undefined);
      return piece;
    };
    const window: Array<Promise<EventEnvelope[]>> = [];
    let next = from;
    for (;;) {
      while (window.length < PARALLEL_READS && next < to) {
        window.push(read(next));
        next += PARALLEL_PIECE;
      }
      const first = window.shift();
      if (!first) return;
      yield await first;
    }
  }

  /**
   * Whether a stored event nobody applied is to be applied from the store now: once it has been the
   * first one missing for `strandedMs`, then the events after it in the same read (`inRun`) and, when
   * a read stopped at STRANDED_BATCH, in the next one.
   */
  private strandedSince(position: number, inRun: boolean): boolean {
    if (!this.ports.applyStranded) return false;
    if (inRun || this.waitingFor?.position === CONTINUED) return true;
    if (this.waitingFor?.position === position) return Date.now() - this.waitingFor.since >= this.strandedMs;
    this.waitingFor = { position, since: Date.now() };
    return false;
  }

  private takeLocalRun(): void {
    for (;;) {
      if (this.local.delete(this.position + 1)) {
        this.position += 1;
        continue;
      }
      const next = this.next.get(this.position);
      if (next === undefined || !this.local.delete(next)) break;
      this.next.delete(this.position);
      this.position = next;
    }
    if (this.next.size > this.local.size) for (const before of this.next.keys()) if (before < this.position) this.next.delete(before);
  }

  private async run(): Promise<void> {
    const epoch = this.epochCount;
    this.takeLocalRun();
    // Reading the store costs: only when something is known to be missing (a later position is
    // applied, so there is a gap, a dead-lettered event or another process's event before it) or
    // when deliveries have stopped short of the head. Otherwise the next events are simply in
    // flight, and the position moves without a single engine call (freshness).
    let lowestHeld = Infinity;
    for (const p of this.held.values()) if (p < lowestHeld) lowestHeld = p;
    let lowestLocal = Infinity;
    for (const p of this.local) if (p < lowestLocal) lowestLocal = p;
    // A batch of this process below the first applied position is still being written: it is what
    // the gap is waiting for, so asking the store now would only cost (and learn nothing).
    const stuckBeforeLater = this.local.size > 0 && !(lowestHeld < lowestLocal);
    const idle = this.held.size === 0 && Date.now() - this.lastMarked >= this.idleMs;
    if (!stuckBeforeLater && !idle) return;
    // An event this process applied is stored, so the head is at least there: the store's own head
    // hint may trail a fresh commit for a while, and waiting for it would hold the position back.
    let highestApplied = 0;
    for (const p of this.local) if (p > highestApplied) highestApplied = p;
    // Stuck, the head is not needed (the read ends at an applied position): one round trip less.
    this.head = Math.max(this.head, stuckBeforeLater ? 0 : await this.ports.store.headPosition(), highestApplied);
    if (this.head <= this.position) return;
    // Stuck before an applied position: only the slots up to it matter, and those are all decided
    // (the relay publishes a commit only after every earlier one is decided), so the read cannot
    // block. Reading on to the head could wait, up to the store's recovery timeout (5 s), on an
    // append still in flight: that was the multi-second tail of freshness.
    // No cap in positions: they are sparse (a commit spans 1,000), and a cap of 5,000 positions let
    // the checkpoint advance only ~5 commits per tick, fall behind a steady load and time readers out.
    const to = stuckBeforeLater ? highestApplied : this.head;
    let reached = this.position;
    let complete = true;
    const stranded: EventEnvelope[] = [];
    outer: for await (const batch of stuckBeforeLater
      ? this.readDecided(this.position, to)
      : this.ports.store.readAll(this.position, { batchSize: 500, toPosition: to })) {
      const foreign = batch.filter((e) => !this.local.has(e.position) && this.ports.projectable(e));
      const answers = foreign.length > 0 ? await this.ports.appliedInViews(foreign) : [];
      const appliedElsewhere = new Set(foreign.filter((_, i) => answers[i]).map((e) => e.position));
      for (const envelope of batch) {
        if (envelope.position <= reached) continue;
        const done = this.local.has(envelope.position) || !this.ports.projectable(envelope) || appliedElsewhere.has(envelope.position);
        if (!done) {
          if (stranded.length < STRANDED_BATCH && this.strandedSince(envelope.position, stranded.length > 0)) {
            stranded.push(envelope);
            reached = envelope.position;
            continue;
          }
          // The positions between the last one reached and this one do not exist.
          reached = envelope.position - 1;
          complete = false;
          break outer;
        }
        reached = envelope.position;
      }
    }
    if (epoch !== this.epochCount) return;
    const applyStranded = this.ports.applyStranded;
    if (stranded.length > 0 && applyStranded) {
      // Applied (and marked) before the position may pass them; a failure leaves it where it was.
      await applyStranded(stranded);
      if (epoch !== this.epochCount) return;
      // An apply cut short (the projector stopping) marks nothing: the position stays before it.
      const unapplied = stranded.find((e) => !this.local.has(e.position));
      if (unapplied) {
        reached = unapplied.position - 1;
        complete = false;
      }
      this.strandedApplied += stranded.length;
      // The rest of a long run of stranded events goes on at the next advance, without a new wait.
      this.waitingFor = complete ? undefined : { position: CONTINUED, since: 0 };
    } else if (complete) this.waitingFor = undefined;
    // A read that got through to `to` proves the positions after the last event read do not exist.
    this.position = complete ? Math.max(reached, to) : reached;
    for (const p of this.local) if (p <= this.position) this.local.delete(p);
    this.takeLocalRun();
  }
}
