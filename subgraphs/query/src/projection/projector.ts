import type { EventEnvelope } from '../../../../lib/events/envelope';
import type { Logger } from '../../../../lib/logging/logger';
import type { Batch } from './amqp-batches';
import { changeOf, type Change } from './changes';
import type { Checkpoint } from './checkpoint';
import { PoisonEvent, isProjectable, parseEnvelope } from './validate-envelope';
import type { ApplyResult, WriteTarget } from '../views/view-store';

export interface ProjectorPorts {
  apply(changes: readonly Change[], targetsOf: (view: Change['view']) => WriteTarget[]): Promise<ApplyResult>;
  targetsOf(view: Change['view']): WriteTarget[];
  /** Records a dead-lettered event (for the `deadLettered` count); best effort. */
  recordDeadLetter(reason: string, position: number | undefined, body: Buffer): Promise<void>;
  /** Event documents changed: their hours' rollups are now stale. */
  eventDocsChanged(result: ApplyResult): Promise<void>;
}

export interface ProjectorHealth {
  lastError: string | undefined;
  failing: boolean;
  deadLettered: number;
  applied: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Applies batches of domain events to the views. An Elasticsearch failure is retried with capped
 * exponential backoff and the batch stays unacked meanwhile, so the queue (and the lag) grows and
 * nothing is lost; a poison event is dead-lettered with its reason and the batch goes on.
 */
export class Projector {
  readonly health: ProjectorHealth = { lastError: undefined, failing: false, deadLettered: 0, applied: 0 };
  private stopped = false;

  constructor(
    private readonly ports: ProjectorPorts,
    private readonly checkpoint: Checkpoint,
    private readonly logger: Logger,
    private readonly onApplied: () => void,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  readonly handle = async (batch: Batch, deadLetter: (body: Buffer, reason: string) => void): Promise<void> => {
    const envelopes: EventEnvelope[] = [];
    const links = new Map<number, number>();
    for (const [index, body] of batch.bodies.entries()) {
      try {
        const envelope = parseEnvelope(body);
        envelopes.push(envelope);
        const previous = batch.previous[index];
        if (previous !== undefined && previous < envelope.position) links.set(envelope.position, previous);
      } catch (error) {
        const reason = error instanceof PoisonEvent ? error.reason : String(error);
        deadLetter(body, reason);
        this.health.deadLettered += 1;
        this.logger.warn({ reason }, 'projector dead-lettered an event');
        await this.ports.recordDeadLetter(reason, error instanceof PoisonEvent ? error.position : undefined, body).catch(() => undefined);
      }
    }
    await this.applyAndMark(envelopes, links, batch.alive);
  };

  /**
   * Applies events read back from the event store (the healing replay): the same path as a
   * delivered batch, without a broker message to ack. `links`: each position with the one
   * stored right before it, so the checkpoint moves over them without asking the store.
   */
  async applyReplayed(envelopes: EventEnvelope[], links: ReadonlyMap<number, number>): Promise<void> {
    await this.applyAndMark(envelopes.filter(isProjectable), links, () => true, envelopes);
  }

  /**
   * Applies with capped exponential backoff until it succeeds, the projector stops or `alive` turns
   * false, then marks the positions applied (all of `covered`, which defaults to the envelopes).
   */
  private async applyAndMark(envelopes: EventEnvelope[], links: ReadonlyMap<number, number>, alive: () => boolean, covered = envelopes): Promise<void> {
    const changes = envelopes.map(changeOf);
    let lowest = Infinity;
    for (const envelope of covered) if (envelope.position < lowest) lowest = envelope.position;
    // Until marked, a gap below this batch is expected to be filled by it (no store read for it).
    const release = covered.length > 0 ? this.checkpoint.hold(lowest) : () => undefined;
    try {
      for (let attempt = 0; !this.stopped && alive(); attempt += 1) {
        // Writes that land after a rewind of the checkpoint must not be marked with the ones before it.
        const epoch = this.checkpoint.epoch;
        try {
          const started = performance.now();
          const result = await this.ports.apply(changes, (view) => this.ports.targetsOf(view));
          this.logger.debug({ events: envelopes.length, first: envelopes[0]?.position, applyMs: Math.round(performance.now() - started) }, 'batch applied');
          await this.ports.eventDocsChanged(result);
          this.health.failing = false;
          this.health.applied += envelopes.length;
          // The hold ends before the mark: a mark under its own hold would look like a gap to fill.
          release();
          this.checkpoint.markApplied(covered.map((e) => e.position), links, epoch);
          this.onApplied();
          return;
        } catch (error) {
          const delay = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
          this.health.failing = true;
          this.health.lastError = (error as Error).message;
          this.logger.warn({ err: this.health.lastError, retryInMs: delay, events: envelopes.length }, 'projection batch failed; backing off');
          await sleep(delay);
        }
      }
    } finally {
      release();
    }
  }
}
