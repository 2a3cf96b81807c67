/**
 * Answers of payload lookups (camera-lookup.ts) kept between batches, so a batch whose cameras were
 * read before asks the read model nothing: the payload path no longer waits on Elasticsearch, which
 * after a restart answers a camera read in 15-30 ms instead of 4 (bench/gateway/README.md).
 *
 * An answer stays valid while nothing can have changed it. Everything that changes a camera is a
 * camera event on the events exchange, which reaches this gateway on the same queue as the events
 * whose payloads use the answer, in the relay's order: so a camera's change is seen (`changed`)
 * before any event recorded after it is batched, and an answer read before the change is dropped,
 * also one still in flight (the read's `ticket` no longer matches when it lands). What the queue can
 * lose is covered apart: a reconnect (a new queue: everything is forgotten, `feedEpoch`), a release of the feed while
 * nobody subscribes (`clear`) and the
 * queue's drop-head bound under overload (an answer lives `ttlMs` at most).
 */
/** What an answer was read under: it is kept only if both are still current. */
export interface Ticket {
  generation: number;
  epoch: string;
}

export class LookupCache {
  private readonly answers = new Map<string, { value: unknown; generation: number; epoch: string; storedAt: number }>();
  /** Per looked-up key (e.g. a camera id), bumped by every change of it. */
  private readonly generations = new Map<string, number>();
  /** Bumped by `clear`: reads begun before it are not kept. */
  private clears = 0;

  constructor(
    /** The feed's connection count: messages may have been lost between two connections. */
    private readonly feedEpoch: () => number,
    private readonly ttlMs = 5000,
    private readonly maxAnswers = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Taken before a read of `item`; the answer is kept only if nothing changed it meanwhile. */
  ticket(item: string): Ticket {
    return { generation: this.generations.get(item) ?? 0, epoch: this.epoch() };
  }

  /**
   * Forgets every answer, also those being read: for when camera events stop arriving (the feed is
   * released while nobody subscribes).
   */
  clear(): void {
    this.clears += 1;
    this.answers.clear();
  }

  private epoch(): string {
    return `${this.feedEpoch()}/${this.clears}`;
  }

  /** `group`: who asks and with which selection (answers differ by role and selection). */
  get(group: string, item: string): unknown {
    const key = `${group}\u0000${item}`;
    const answer = this.answers.get(key);
    if (!answer) return undefined;
    if (answer.generation !== (this.generations.get(item) ?? 0) || answer.epoch !== this.epoch() || this.now() - answer.storedAt > this.ttlMs) {
      this.answers.delete(key);
      return undefined;
    }
    return answer.value;
  }

  set(group: string, item: string, ticket: Ticket, value: unknown): void {
    if (ticket.generation !== (this.generations.get(item) ?? 0) || ticket.epoch !== this.epoch()) return;
    // A bound on memory: many cameras times many selections; dropping all costs one read each.
    if (this.answers.size >= this.maxAnswers) this.answers.clear();
    this.answers.set(`${group}\u0000${item}`, { value, generation: ticket.generation, epoch: ticket.epoch, storedAt: this.now() });
  }

  /** `item` changed (a camera event): answers read before are stale. */
  changed(item: string): void {
    this.generations.set(item, (this.generations.get(item) ?? 0) + 1);
  }
}
