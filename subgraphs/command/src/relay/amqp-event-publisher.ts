import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { AmqpConnection } from '../../../../lib/engines/amqp';
import { unavailable } from '../../../../lib/errors/engine-errors';
import { PREVIOUS_POSITION_HEADER, routingKeyOf, toWire, type EventEnvelope } from '../../../../lib/events/envelope';
import { assertSharedTopology, type AmqpNames } from '../../../../lib/events/topology';
import type { EventPublisher } from './relay-ports';

/**
 * How long a batch may wait for its confirms. A quorum queue whose leader's node died confirms
 * once a new leader is elected (seconds); past this the batch counts as not published (the relay
 * publishes it again: delivery is at least once anyway) and the channel is dropped. Seen once in
 * a failover test: a channel whose confirms never came and whose close the broker never answered,
 * so waiting for the close (which fails the confirms) would have waited forever.
 */
const CONFIRM_TIMEOUT_MS = 30_000;

/**
 * Publishes envelopes to the events exchange on one confirm channel, in the order given, and
 * resolves only when the broker confirmed all of them (persistent messages to quorum queues, so
 * "confirmed" means stored on a majority of the cluster's nodes). The channel is reopened by the
 * connection's setup after every reconnect (on whichever node it reached), and at the next publish
 * when only the channel was lost.
 */
export async function amqpEventPublisher(connection: AmqpConnection, names: AmqpNames, options: { confirmTimeoutMs?: number } = {}): Promise<EventPublisher> {
  const confirmTimeoutMs = options.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS;
  let channel: ConfirmChannel | undefined;
  const open = async (model: ChannelModel): Promise<ConfirmChannel> => {
    const opened = await model.createConfirmChannel();
    opened.on('error', () => undefined);
    opened.on('close', () => {
      if (channel === opened) channel = undefined;
    });
    await assertSharedTopology(opened, names);
    channel = opened;
    return opened;
  };
  await connection.use(async (model) => {
    await open(model);
  });
  return {
    async publish(envelopes, previousPosition) {
      let current: ConfirmChannel | undefined;
      // The next batch goes out on a new channel: seen in a failover test, a channel kept having its
      // publishes to one quorum queue nacked after that queue's leader moved, while a new channel's
      // were confirmed.
      const drop = () => {
        if (!current) return;
        if (channel === current) channel = undefined;
        void current.close().catch(() => undefined);
      };
      try {
        const model = connection.current();
        current = channel ?? (model ? await open(model) : undefined);
        if (!current) throw new Error('not connected');
        let previous = previousPosition;
        for (const envelope of envelopes) {
          publishOne(current, names.eventsExchange, envelope, previous);
          previous = envelope.position;
        }
        await confirmed(current, confirmTimeoutMs, drop);
      } catch (error) {
        drop();
        throw unavailable('rabbitmq', error);
      }
    },
  };
}

/** The channel's confirms; after `timeoutMs` a failure, and `giveUp` drops the channel. */
async function confirmed(channel: ConfirmChannel, timeoutMs: number, giveUp: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      giveUp();
      reject(new Error(`no confirms within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    // The race handles a rejection of the confirms that comes after the timeout.
    await Promise.race([channel.waitForConfirms(), late]);
  } finally {
    clearTimeout(timer);
  }
}

function publishOne(channel: ConfirmChannel, exchange: string, envelope: EventEnvelope, previous: number): void {
  channel.publish(exchange, routingKeyOf(envelope.type), Buffer.from(JSON.stringify(toWire(envelope))), {
    persistent: true,
    messageId: envelope.id,
    contentType: 'application/json',
    type: envelope.type,
    timestamp: Math.floor(Date.parse(envelope.recordedAt) / 1000),
    headers: { [PREVIOUS_POSITION_HEADER]: String(previous) },
  });
}
