import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { AmqpConnection } from '../../../../lib/engines/amqp';
import { assertSharedTopology, type AmqpNames } from '../../../../lib/events/topology';
import type { Logger } from '../../../../lib/logging/logger';
import type { Disposition, IngestHandler } from './ingest-handler';

export interface IngestConsumerOptions {
  prefetch: number;
  /** Pause before requeueing after an engine failure, so an outage is not a hot loop. */
  retryDelayMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MAX_BATCHES_IN_FLIGHT = 2;

/**
 * Consumes the ingest queue: deliveries that arrive together are handled as one batch (one
 * append), and each is acked only after its events were stored or it was dead-lettered (confirmed).
 * Several processes may consume the same queue: the event ids make their writes idempotent.
 */
export async function startIngestConsumer(
  connection: AmqpConnection,
  names: AmqpNames,
  handler: IngestHandler,
  logger: Logger,
  options: IngestConsumerOptions,
): Promise<{ stop(): Promise<void> }> {
  let stopped = false;
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
        const batch = buffer.splice(0, options.prefetch);
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
      batch.map((m) => ({ body: m.content, routingKey: m.fields.routingKey, messageId: m.properties.messageId as string | undefined })),
    );
    const retries = dispositions.some((d) => d.action === 'retry');
    for (const [i, disposition] of dispositions.entries()) {
      const message = batch[i] as ConsumeMessage;
      if (disposition.action === 'dead-letter') deadLetter(channel, message, disposition);
    }
    if (dispositions.some((d) => d.action === 'dead-letter')) await channel.waitForConfirms();
    if (retries) await sleep(options.retryDelayMs);
    for (const [i, disposition] of dispositions.entries()) {
      const message = batch[i] as ConsumeMessage;
      if (disposition.action === 'retry') channel.nack(message, false, true);
      else channel.ack(message);
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
      if (current) await current.channel.cancel(current.tag).catch(() => undefined);
      await Promise.all(active);
    },
  };
}
