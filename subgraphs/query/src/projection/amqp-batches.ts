import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { AmqpConnection } from '../../../../lib/engines/amqp';
import { PREVIOUS_POSITION_HEADER } from '../../../../lib/events/envelope';
import { assertSharedTopology, type AmqpNames } from '../../../../lib/events/topology';
import type { Logger } from '../../../../lib/logging/logger';

/** One batch of message bodies. `alive()` turns false once the channel that delivered it is gone. */
export interface Batch {
  bodies: Buffer[];
  /** Per body, the relay's PREVIOUS_POSITION_HEADER when present and valid. */
  previous: Array<number | undefined>;
  alive(): boolean;
}

export interface BatchHandler {
  /** Resolves when every body is applied or dead-lettered; the batch is then acked. */
  (batch: Batch, deadLetter: (body: Buffer, reason: string) => void): Promise<void>;
}

/**
 * The thin RabbitMQ adapter of the projector: consumes the projector queue in batches (up to
 * `maxBatch` messages or `lingerMs` after the first), hands each batch to the handler one at a time,
 * and acks it only once the handler is done. Poison bodies are republished to the dead-letter queue
 * with `x-rejection-reason` (confirmed) before the ack. A lost channel drops the batch in hand:
 * RabbitMQ redelivers it, and applying it twice is harmless.
 */
export class AmqpBatches {
  private buffer: ConsumeMessage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  /** Messages of the batches in hand. */
  private inHand = 0;
  /** Settles when every batch taken so far has been acked (or given up): acks go in delivery order. */
  private acked: Promise<void> = Promise.resolve();
  /** Bumped per channel: batches of a lost channel end without touching the new channel's counts. */
  private channelCount = 0;

  constructor(
    private readonly amqp: AmqpConnection,
    private readonly names: AmqpNames,
    private readonly logger: Logger,
    private readonly options: { maxBatch: number; lingerMs: number; prefetch: number; maxInFlight?: number },
  ) {}

  async start(handler: BatchHandler): Promise<void> {
    await this.amqp.use(async (connection) => {
      const channel = await connection.createConfirmChannel();
      let alive = true;
      channel.on('close', () => {
        alive = false;
      });
      channel.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'projector channel error'));
      await assertSharedTopology(channel, this.names);
      await channel.prefetch(this.options.prefetch);
      // What the lost channel delivered and did not ack comes again on this one.
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.channelCount += 1;
      this.buffer = [];
      this.inFlight = 0;
      this.inHand = 0;
      this.acked = Promise.resolve();
      await channel.consume(this.names.projectorQueue, (message) => {
        if (!message) return;
        this.buffer.push(message);
        if (this.buffer.length >= this.options.maxBatch) this.flush(channel, () => alive, handler);
        else this.timer ??= setTimeout(() => this.flush(channel, () => alive, handler), this.options.lingerMs);
      });
    });
  }

  /**
   * Takes what is buffered as one batch when no batch is in hand; while one is, only a full batch
   * (a backlog) starts beside it, up to `maxInFlight`. Otherwise the buffer keeps filling until a
   * batch is done, so batches grow with the load: fewer, larger bulk requests, and no batch of a
   * few hundred racing a full one (each bulk request and each small segment costs Elasticsearch).
   * Batches in hand together may touch the same documents (the merge is order-free); each is acked
   * only after every earlier one, since an ack covers all earlier deliveries.
   */
  private flush(channel: ConfirmChannel, alive: () => boolean, handler: BatchHandler): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0 || this.inFlight >= (this.options.maxInFlight ?? 2)) return;
    if (this.inFlight > 0 && this.buffer.length < this.options.maxBatch) return;
    const messages = this.buffer.splice(0, this.options.maxBatch);
    this.inFlight += 1;
    this.inHand += messages.length;
    const earlier = this.acked;
    const channelCount = this.channelCount;
    let done!: () => void;
    this.acked = new Promise((resolve) => (done = resolve));
    void this.process(channel, alive, handler, messages, earlier).finally(() => {
      done();
      if (channelCount !== this.channelCount) return;
      this.inFlight -= 1;
      this.inHand -= messages.length;
      if (alive() && this.buffer.length > 0) this.flush(channel, alive, handler);
    });
  }

  private async process(
    channel: ConfirmChannel,
    alive: () => boolean,
    handler: BatchHandler,
    messages: ConsumeMessage[],
    earlier: Promise<void>,
  ): Promise<void> {
    if (!alive()) return;
    const dead: Array<{ body: Buffer; reason: string }> = [];
    await handler({ bodies: messages.map((m) => m.content), previous: messages.map(previousOf), alive }, (body, reason) => dead.push({ body, reason }));
    await earlier;
    if (!alive()) return;
    try {
      for (const { body, reason } of dead) {
        channel.sendToQueue(this.names.projectorDlq, body, {
          persistent: true,
          headers: { 'x-rejection-reason': reason.slice(0, 1000) },
        });
      }
      if (dead.length > 0) await channel.waitForConfirms();
      const last = messages[messages.length - 1];
      if (last) channel.ack(last, true);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'projector ack failed; the batch will be redelivered');
    }
  }

  /** Deliveries received and not yet acked (in batches in hand or waiting for one): this process's backlog. */
  get waiting(): number {
    return this.buffer.length + this.inHand;
  }
}

function previousOf(message: ConsumeMessage): number | undefined {
  const value: unknown = (message.properties.headers as Record<string, unknown> | undefined)?.[PREVIOUS_POSITION_HEADER];
  const position = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : undefined;
  return position !== undefined && Number.isSafeInteger(position) ? position : undefined;
}
