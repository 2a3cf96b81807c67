import { sleep } from '../../../../lib/async/sleep';
import type { EventStore } from '../../../../lib/event-store/event-store';
import type { EventEnvelope } from '../../../../lib/events/envelope';
import type { Logger } from '../../../../lib/logging/logger';
import type { SavedCheckpoint } from '../views/ports';

export interface HealerPorts {
  /** Identity of the Elasticsearch node processes holding the views (views/node-identity.ts). */
  nodeIdentity(): Promise<string>;
  /** The persisted checkpoint: durable, and saved under the node identity it names. */
  loadCheckpoint(): Promise<SavedCheckpoint>;
  store: Pick<EventStore, 'readAll' | 'headPosition'>;
  /** Applies events read back from the store and marks them in the checkpoint (Projector.applyReplayed). */
  applyReplayed(envelopes: EventEnvelope[], links: ReadonlyMap<number, number>): Promise<void>;
  /**
   * Moves the checkpoint and the published position back to `position` (ProjectionRuntime.rewind);
   * returns the highest position applied before.
   */
  rewind(position: number): number;
  /** The published position: held while it cannot be vouched for, released once it can. */
  freshness: { hold(): void; release(): void };
}

export interface Healing {
  reason: string;
  from: number;
  to: number;
  reached: number;
}

const REPLAY_BATCH = 5000;
/** A suspicion is checked this soon (then every `checkMs` while Elasticsearch does not answer). */
const SUSPECT_CHECK_MS = 200;

/**
 * Heals the views after Elasticsearch restarts, without an operator.
 *
 * A write the projector acknowledged is on disk (the views fsync every bulk, mappings.ts), yet the
 * projector does not take that on trust: whenever the node processes behind the views are not the
 * ones it last verified (a crash and restart, a replaced node, a restore), it rewinds the projection
 * to the persisted checkpoint (saved under the identity it names) and replays the event store from
 * there up to the highest position it had applied, through the ordinary apply path (the order-free
 * merge makes that harmless). At start, a checkpoint saved under other node processes is replayed
 * from up to the store's head (what the process applied before it stopped is not known).
 *
 * Between "Elasticsearch may have restarted" and "verified or rewound", readers wait: any request
 * of the process that cannot reach Elasticsearch holds the published position (Freshness.hold), and
 * it is released only after the identity was read again and, if it changed, after the rewind. A
 * restart takes Elasticsearch seconds; the identity is read every `checkMs` and every failed request
 * holds the position at once, so no read lands between a restart and its rewind.
 */
export class RestartHealer {
  /** The node identity last verified; what the persisted checkpoint is saved under. */
  verifiedNodes: string | undefined;
  healing: Healing | undefined;
  private generation = 0;
  private checking: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private stopped = false;
  private replaying: Promise<void> | undefined;

  constructor(
    private readonly ports: HealerPorts,
    private readonly logger: Logger,
    private readonly checkMs = 1000,
  ) {}

  /**
   * Verifies the node identity against the one the persisted checkpoint was saved under, and
   * replays from that checkpoint if they differ (or the checkpoint predates identities).
   */
  async start(saved: SavedCheckpoint): Promise<void> {
    this.verifiedNodes = await this.ports.nodeIdentity();
    this.timer = setInterval(() => this.check(), this.checkMs);
    if (saved.position > 0 && saved.nodes !== this.verifiedNodes) {
      const reason = saved.nodes === undefined ? 'the checkpoint names no Elasticsearch nodes' : 'Elasticsearch restarted while this process was down';
      this.startReplay(saved.position, reason);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation += 1;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    await this.checking;
    await this.replaying;
  }

  /** A request could not reach Elasticsearch: it may be restarting, so nothing is vouched for until checked. */
  suspect(): void {
    if (this.stopped) return;
    this.ports.freshness.hold();
    this.soon ??= setTimeout(() => {
      this.soon = undefined;
      this.check();
    }, SUSPECT_CHECK_MS);
  }

  /** Reads the node identity; releases the position if unchanged, rewinds and replays if not. Coalesced. */
  check(): Promise<void> {
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    this.checking = this.verify().finally(() => {
      this.checking = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.check();
      }
    });
    return this.checking;
  }

  private async verify(): Promise<void> {
    if (this.stopped || this.verifiedNodes === undefined) return;
    let nodes: string;
    let saved: SavedCheckpoint | undefined;
    try {
      nodes = await this.ports.nodeIdentity();
      if (nodes !== this.verifiedNodes) saved = await this.ports.loadCheckpoint();
    } catch {
      this.ports.freshness.hold();
      return;
    }
    if (saved) {
      this.logger.warn(
        { from: saved.position },
        'Elasticsearch nodes restarted: rewinding the projection to its durable checkpoint and replaying the event store',
      );
      this.verifiedNodes = nodes;
      // Only what this process applied can be lost by it; the rest is still on the queue (and other
      // projector processes heal their own). Replaying the unprojected backlog would apply it twice.
      const applied = this.ports.rewind(saved.position);
      if (applied > saved.position) this.startReplay(saved.position, 'Elasticsearch restarted', applied);
    }
    this.ports.freshness.release();
  }

  /** Replays (from, upTo], or up to the store's head when this process cannot know what it applied. */
  private startReplay(from: number, reason: string, upTo?: number): void {
    const generation = ++this.generation;
    const previous = this.replaying ?? Promise.resolve();
    this.replaying = previous.then(() => this.replay(from, reason, generation, upTo));
  }

  /** A newer rewind or a stop ends it. Retries until done. */
  private async replay(from: number, reason: string, generation: number, upTo: number | undefined): Promise<void> {
    const current = () => generation === this.generation && !this.stopped;
    let reached = from;
    let to = upTo;
    const started = performance.now();
    for (let attempt = 0; current(); attempt += 1) {
      try {
        to ??= await this.ports.store.headPosition();
        this.healing = { reason, from, to, reached };
        for await (const batch of this.ports.store.readAll(reached, { toPosition: to, batchSize: REPLAY_BATCH })) {
          if (!current()) return;
          // The store lists every event in the range: each one's predecessor is the one before it.
          const links = new Map<number, number>();
          for (const envelope of batch) {
            links.set(envelope.position, reached);
            reached = envelope.position;
          }
          await this.ports.applyReplayed(batch, links);
          this.healing = { reason, from, to, reached };
        }
        if (!current()) return;
        this.logger.info({ from, to, ms: Math.round(performance.now() - started) }, 'projection healed: the event store is replayed');
        this.healing = undefined;
        return;
      } catch (error) {
        this.logger.warn({ err: (error as Error).message, reached }, 'healing replay failed; retrying');
        await sleep(Math.min(5000, 200 * 2 ** Math.min(attempt, 5)));
      }
    }
    if (generation === this.generation) this.healing = undefined;
  }
}
