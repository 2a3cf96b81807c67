import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { sleep } from '../../../../lib/async/sleep';
import type { AmqpConnection } from '../../../../lib/engines/amqp';
import { assertSharedTopology, type AmqpNames } from '../../../../lib/events/topology';
import type { Logger } from '../../../../lib/logging/logger';
import type { Disposition, IngestHandler } from './ingest-handler';

export interface IngestConsumerOptions {
  prefetch: number;
  /** Pause before requeueing after an engine failure, so an outage is not a hot loop. */
  retryDelayMs: number;
  /** Message bytes per batch at most (a batch always takes at least one message). */
  maxBatchBytes?: number;
}

const MAX_BATCHES_IN_FLIGHT = 2;
/** Default of `maxBatchBytes`: with the prefetch this bounds what one batch holds in memory. */
export const DEFAULT_MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Failed attempts of a message while the event store answered (see IngestHandler), carried across redeliveries. */
export const ATTEMPTS_HEADER = 'x-sightline-attempts';

/** The deliveries at the head of `buffer` that make the next batch: at most `count` of them and `maxBytes` of bodies. */
export function takeBatch(buffer: ConsumeMessage[], count: number, maxBytes: number): ConsumeMessage[] {
  let taken = 0;
  let bytes = 0;
  while (taken < buffer.length && taken < count) {
    const size = (buffer[taken] as ConsumeMessage).content.length;
    if (taken > 0 && bytes + size > maxBytes) break;
    bytes += size;
    taken += 1;
  }
  return buffer.splice(0, taken);
}

const attemptsOf = (message: ConsumeMessage): number => {
  const value = Number((message.properties.headers as Record<string, unknown> | undefined)?.[ATTEMPTS_HEADER] ?? 0);
  return Number.isInteger(value) && value > 0 ? value : 0;
};

/**
 * Consumes the ingest queue: deliveries that arrive together are handled as one batch (one
 * append), and each is acked only after its events were stored or it was dead-lettered (confirmed).
 * Several processes may consume the same queue: the event ids make their writes idempotent.
 */
export async function startIngestConsumer(
  connection: AmqpConnection,
  names: AmqpNames,
  handler: Pick<IngestHandler, 'handle'>,
  logger: Logger,
  options: IngestConsumerOptions,
): Promise<{ stop(): Promise<void> }> {
  let stopped = false;
  let wakeOnStop: () => void = () => undefined;
  // A retry waiting out its delay gives up at stop (its delivery stays unacknowledged: redelivered).
  const stopping = new Promise<void>((resolve) => (wakeOnStop = resolve));
  const active = new Set<Promise<void>>();
  let current: { channel: ConfirmChannel; tag: string } | undefined;

  await connection.use(async (model) => {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error: Error) => logger.warn({ err: error.message }, 'ingest channel error'));
    await assertSharedTopology(channel, names);
    await channel.prefetch(options.prefetch);
    const buffer: ConsumeMessage[] = [];
    let workers = 0;
    let scheduled = false;
    // Whatever arrived meanwhile (up to the prefetch) is the next batch. Two batches per channel
    // may be in flight: one is validated and decided while the other is being written, and the
    // event store merges or queues their appends (each message is acked on its own, so their
    // order does not matter; the store's ids make a redelivery a no-op).
    const work = async () => {
      workers += 1;
      while (buffer.length > 0) {
        const batch = takeBatch(buffer, options.prefetch, options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
        await processBatch(channel, batch).catch((error: unknown) => {
          logger.warn({ err: (error as Error).message }, 'ingest batch failed; the broker will redeliver');
        });
      }
      workers -= 1;
    };
    const { consumerTag } = await channel.consume(names.ingestQueue, (message) => {
      if (!message || stopped) return;
      buffer.push(message);
      if (workers < MAX_BATCHES_IN_FLIGHT && !scheduled) {
        scheduled = true;
        // Everything that arrives by the next turn of the event loop travels together.
        setImmediate(() => {
          scheduled = false;
          const running = work().finally(() => active.delete(running));
          active.add(running);
        });
      }
    });
    current = { channel, tag: consumerTag };
  });

  async function processBatch(channel: ConfirmChannel, batch: ConsumeMessage[]): Promise<void> {
    const dispositions = await handler.handle(
      batch.map((m) => ({
        body: m.content,
        routingKey: m.fields.routingKey,
        messageId: m.properties.messageId as string | undefined,
        attempts: attemptsOf(m),
      })),
    );
    const retries = dispositions.some((d) => d.action === 'retry');
    for (const [i, disposition] of dispositions.entries()) {
      const message = batch[i] as ConsumeMessage;
      if (disposition.action === 'dead-letter') deadLetter(channel, message, disposition);
      // Held (unacknowledged) while it waits, without holding up the batches behind it.
      if (disposition.action === 'retry-later') track(retryLater(channel, message, disposition));
    }
    if (dispositions.some((d) => d.action === 'dead-letter')) await channel.waitForConfirms();
    if (retries) await sleep(options.retryDelayMs);
    for (const [i, disposition] of dispositions.entries()) {
      const message = batch[i] as ConsumeMessage;
      // Published again rather than requeued: a requeue counts against the queue's delivery limit
      // (topology.ts), and an outage of the store must not use it up (see republish).
      if (disposition.action === 'retry') track(republish(channel, message, attemptsOf(message)));
      else if (disposition.action !== 'retry-later') channel.ack(message);
    }
  }

  function track(running: Promise<void>): void {
    const tracked = running.finally(() => active.delete(tracked));
    active.add(tracked);
  }

  /** After `delayMs`, publishes the message again counting the attempt (see republish). */
  async function retryLater(channel: ConfirmChannel, message: ConsumeMessage, disposition: Extract<Disposition, { action: 'retry-later' }>) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, disposition.delayMs);
      void stopping.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (stopped) return;
    await republish(channel, message, disposition.attempts);
  }

  /**
   * Publishes the message again as it came (same exchange, routing key, id) with `attempts` in a
   * header, then acks this delivery once the broker confirmed the copy. The copy is a new message
   * to the queue (delivery count 0), so only deliveries lost with a channel count against the
   * queue's delivery limit. A failure leaves the delivery unacknowledged: the broker redelivers it
   * with the count it had (at worst one attempt goes uncounted).
   */
  async function republish(channel: ConfirmChannel, message: ConsumeMessage, attempts: number): Promise<void> {
    try {
      // Not `userId`: the broker refuses a user id other than the publishing connection's.
      const { messageId, contentType, contentEncoding, correlationId, timestamp, appId, type, headers } = message.properties;
      const kept = { messageId, contentType, contentEncoding, correlationId, timestamp, appId, type };
      const { 'x-delivery-count': _deliveries, ...ownHeaders } = (headers ?? {}) as Record<string, unknown>;
      channel.publish(message.fields.exchange, message.fields.routingKey, message.content, {
        ...Object.fromEntries(Object.entries(kept).filter(([, value]) => value !== undefined)),
        persistent: true,
        headers: { ...ownHeaders, [ATTEMPTS_HEADER]: attempts },
      });
      await channel.waitForConfirms();
      channel.ack(message);
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'ingest retry could not be published; the broker will redeliver');
    }
  }

  function deadLetter(channel: ConfirmChannel, message: ConsumeMessage, disposition: Extract<Disposition, { action: 'dead-letter' }>) {
    channel.sendToQueue(names.ingestDlq, disposition.body, {
      persistent: true,
      contentType: 'application/json',
      ...(message.properties.messageId ? { messageId: message.properties.messageId as string } : {}),
      headers: { 'x-rejection-reason': disposition.reason, 'x-original-routing-key': message.fields.routingKey },
    });
  }

  return {
    async stop() {
      stopped = true;
      wakeOnStop();
      if (current) await current.channel.cancel(current.tag).catch(() => undefined);
      await Promise.all(active);
    },
  };
}
