import type { EventEnvelope } from '../../../../lib/events/envelope';
import type { Logger } from '../../../../lib/logging/logger';
import type { Batch } from './amqp-batches';
import { changeOf, type Change } from './changes';
import type { Checkpoint } from './checkpoint';
import { PoisonEvent, parseEnvelope } from './validate-envelope';
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
    const changes = envelopes.map(changeOf);
    let lowest = Infinity;
    for (const envelope of envelopes) if (envelope.position < lowest) lowest = envelope.position;
    const release = envelopes.length > 0 ? this.checkpoint.hold(lowest) : () => undefined;
    try {
      await this.applyWithBackoff(batch, envelopes, changes, release, links);
    } finally {
      release();
    }
  };

  /** `release` ends the batch's hold on the checkpoint; it must come before `markApplied`. */
  private async applyWithBackoff(batch: Batch, envelopes: EventEnvelope[], changes: Change[], release: () => void, links: ReadonlyMap<number, number>): Promise<void> {
    for (let attempt = 0; !this.stopped && batch.alive(); attempt += 1) {
      try {
        const started = performance.now();
        const result = await this.ports.apply(changes, (view) => this.ports.targetsOf(view));
        this.logger.debug({ events: envelopes.length, first: envelopes[0]?.position, applyMs: Math.round(performance.now() - started) }, 'batch applied');
        await this.ports.eventDocsChanged(result);
        this.health.failing = false;
        this.health.applied += envelopes.length;
        release();
        this.checkpoint.markApplied(envelopes.map((e) => e.position), links);
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
  }
}
