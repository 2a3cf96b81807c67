import { sleep } from '../../../../lib/async/sleep';
import { toWire, type EventEnvelope } from '../../../../lib/events/envelope';
import type { Logger } from '../../../../lib/logging/logger';
import type { Batch } from './amqp-batches';
import { changeOf } from './changes';
import type { Change } from '../views/view-doc';
import type { Checkpoint } from './checkpoint';
import { PoisonEvent, isProjectable, parseEnvelope } from './validate-envelope';
import type { ApplyResult, RefusedDocument, WriteTarget } from '../views/view-store';

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
  /** Why the last event was dead-lettered, with its position when known. */
  lastDeadLetter: string | undefined;
  applied: number;
  /** Delivered events already at or below the position: acked without touching the views. */
  skippedApplied: number;
}

/** Publishes a dead-lettered event's original message to the dead-letter queue (delivered batches only). */
type DeadLetterMessage = (envelope: EventEnvelope, reason: string) => void;

/**
 * Applies batches of domain events to the views. An Elasticsearch failure is retried with capped
 * exponential backoff and the batch stays unacked meanwhile, so the queue (and the lag) grows and
 * nothing is lost; a poison event is dead-lettered with its reason and the batch goes on.
 */
export class Projector {
  readonly health: ProjectorHealth = { lastError: undefined, failing: false, deadLettered: 0, lastDeadLetter: undefined, applied: 0, skippedApplied: 0 };
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
    const bodies = new Map<number, Buffer>();
    for (const [index, body] of batch.bodies.entries()) {
      try {
        const envelope = parseEnvelope(body);
        envelopes.push(envelope);
        bodies.set(envelope.position, body);
        const previous = batch.previous[index];
        if (previous !== undefined && previous < envelope.position) links.set(envelope.position, previous);
      } catch (error) {
        const reason = error instanceof PoisonEvent ? error.reason : String(error);
        deadLetter(body, reason);
        this.health.deadLettered += 1;
        this.health.lastDeadLetter = reason;
        this.logger.warn({ reason }, 'projector dead-lettered an event');
        await this.ports.recordDeadLetter(reason, error instanceof PoisonEvent ? error.position : undefined, body).catch(() => undefined);
      }
    }
    // At or below the position, every event is applied (the checkpoint's invariant): a redelivery
    // after a lost channel or a broker replay is acked without a read of the views. A later rewind
    // (the views lost writes) replays from the store, not from these messages.
    const position = this.checkpoint.position;
    const unapplied = envelopes.filter((envelope) => envelope.position > position);
    this.health.skippedApplied += envelopes.length - unapplied.length;
    if (unapplied.length === 0) return;
    await this.applyAndMark(unapplied, links, batch.alive, unapplied, (envelope, reason) => deadLetter(bodies.get(envelope.position)!, reason));
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
  private async applyAndMark(
    envelopes: EventEnvelope[],
    links: ReadonlyMap<number, number>,
    alive: () => boolean,
    covered = envelopes,
    deadLetter?: DeadLetterMessage,
  ): Promise<void> {
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
          if (result.refused.length > 0) await this.deadLetterRefused(result.refused, envelopes, changes, deadLetter);
          this.health.failing = false;
          this.health.applied += envelopes.length;
          // The hold ends before the mark: a mark under its own hold would look like a gap to fill.
          release();
          this.checkpoint.markApplied(
            covered.map((e) => e.position),
            links,
            epoch,
          );
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

  /**
   * The events behind documents Elasticsearch will always refuse are dead-lettered with its reason
   * (recorded by position, so every projector process counts them as done) and the batch goes on:
   * retrying them unchanged would stall the projection for good.
   */
  private async deadLetterRefused(
    refused: readonly RefusedDocument[],
    envelopes: readonly EventEnvelope[],
    changes: readonly Change[],
    deadLetter?: DeadLetterMessage,
  ): Promise<void> {
    for (const document of refused) {
      const reason = `Elasticsearch refused ${document.view} document ${document.id}: ${document.reason}`;
      for (const [i, envelope] of envelopes.entries()) {
        if (changes[i]?.view !== document.view || changes[i]?.id !== document.id) continue;
        await this.ports.recordDeadLetter(reason, envelope.position, Buffer.from(JSON.stringify(toWire(envelope))));
        deadLetter?.(envelope, reason);
        this.health.deadLettered += 1;
        this.health.lastDeadLetter = `position ${envelope.position}: ${reason}`;
        this.logger.warn({ position: envelope.position, reason }, 'projector dead-lettered an event Elasticsearch refuses');
      }
    }
  }
}
