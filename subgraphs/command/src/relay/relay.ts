import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { sleep } from '../../../../lib/async/sleep';
import type { EventStore } from '../../../../lib/event-store/event-store';
import type { Logger } from '../../../../lib/logging/logger';
import type { EventPublisher, RelayCheckpoint } from './relay-ports';

export interface RelayOptions {
  batchSize: number;
  /** How often it looks for appends made by other processes (own appends nudge it at once). */
  pollMs: number;
  leaseTtlMs: number;
  /**
   * The checkpoint is saved at most this often while publishing (default 200 ms), and as soon as
   * the relay is idle past it: each save is a write transaction. A crash republishes at most what
   * was confirmed since the last save (delivery is at least once anyway).
   */
  checkpointEveryMs?: number;
}

/**
 * The outbox relay: follows the global log from its checkpoint and publishes every event, in
 * position order, moving the checkpoint only after the broker confirmed the batch. So delivery is
 * at least once (a crash republishes what was confirmed since the last checkpoint save, at most
 * `checkpointEveryMs` worth) and never out of order. One lease holder publishes at a time; the others wait to take over when its lease expires.
 */
export class Relay {
  /** Host and pid first: an operator (or a test) can tell which process holds the lease. */
  readonly owner = `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private stopped = false;
  private wake: (() => void) | undefined;
  private nudged = false;
  private running: Promise<void> | undefined;
  private holding = false;
  private position = 0;
  private leaseValidUntil = 0;
  private failures = 0;
  /** Published and confirmed but not yet saved as the checkpoint. */
  private unsaved = false;
  private savedAt = 0;

  constructor(
    private readonly store: EventStore,
    private readonly checkpoint: RelayCheckpoint,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Something was appended: look now instead of at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  get status() {
    return { holding: this.holding, position: this.position };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    if (this.holding) await this.saveCheckpoint().catch(() => undefined);
    if (this.holding) await this.checkpoint.release(this.owner).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const published = await this.step();
        this.failures = 0;
        if (!published) await this.idle(this.holding ? this.idleWhileHolding() : this.options.leaseTtlMs / 3);
      } catch (error) {
        this.failures += 1;
        const delay = Math.min(2000, 100 * 2 ** Math.min(this.failures, 5));
        this.logger.warn({ err: (error as Error).message, retryInMs: delay }, 'relay step failed');
        await sleep(delay);
      }
    }
  }

  /** One round: hold the lease, publish what is new. True when it published something. */
  private async step(): Promise<boolean> {
    if (!(await this.holdLease())) return false;
    let published = false;
    for await (const batch of this.store.readAll(this.position, { batchSize: this.options.batchSize })) {
      // Past the lease's own deadline another relay may already publish: stop before we reorder it.
      if (Date.now() >= this.leaseValidUntil || this.stopped) break;
      // The log is read from the last published position: it is the event right before this batch.
      await this.publisher.publish(batch, this.position);
      const last = batch.at(-1);
      if (!last) continue;
      this.position = last.position;
      this.unsaved = true;
      published = true;
      if (this.saveDue() && !(await this.saveCheckpoint())) break;
    }
    // Caught up: save what is left once it is due (the idle wait is cut short for it).
    if (!published && this.holding && this.saveDue()) await this.saveCheckpoint();
    return published;
  }

  private get checkpointEveryMs(): number {
    return this.options.checkpointEveryMs ?? 200;
  }

  private saveDue(): boolean {
    return this.unsaved && Date.now() - this.savedAt >= this.checkpointEveryMs;
  }

  private idleWhileHolding(): number {
    if (!this.unsaved) return this.options.pollMs;
    return Math.max(1, Math.min(this.options.pollMs, this.savedAt + this.checkpointEveryMs - Date.now()));
  }

  /** Saves the published position (which also extends the lease); false when the lease was lost. */
  private async saveCheckpoint(): Promise<boolean> {
    if (!this.unsaved) return true;
    const started = Date.now();
    if (!(await this.checkpoint.save(this.owner, this.position, this.options.leaseTtlMs))) {
      this.lost();
      return false;
    }
    this.unsaved = false;
    this.savedAt = started;
    this.extendLease(started);
    return true;
  }

  private async holdLease(): Promise<boolean> {
    const now = Date.now();
    if (this.holding && now < this.leaseValidUntil - this.options.leaseTtlMs / 2) return true;
    if (this.holding) {
      if (await this.checkpoint.renew(this.owner, this.options.leaseTtlMs)) {
        this.extendLease(now);
        return true;
      }
      this.lost();
      return false;
    }
    const position = await this.checkpoint.acquire(this.owner, this.options.leaseTtlMs);
    if (position === null) return false;
    this.holding = true;
    this.position = position;
    this.extendLease(now);
    this.logger.info({ owner: this.owner, position }, 'relay holds the lease');
    return true;
  }

  /** Counted from before the request that renewed it, with a margin for clock drift between processes. */
  private extendLease(since = Date.now()): void {
    this.leaseValidUntil = since + this.options.leaseTtlMs * 0.8;
  }

  private lost(): void {
    this.holding = false;
    this.unsaved = false;
    this.logger.warn({ owner: this.owner }, 'relay lost its lease');
  }

  private idle(ms: number): Promise<void> {
    if (this.nudged) {
      this.nudged = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        this.nudged = false;
        done();
      };
    });
  }
}
