import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { AmqpConnection } from '../../../../lib/engines/amqp';
import { unavailable } from '../../../../lib/errors/engine-errors';
import { PREVIOUS_POSITION_HEADER, routingKeyOf, toWire, type EventEnvelope } from '../../../../lib/events/envelope';
import { assertSharedTopology, type AmqpNames } from '../../../../lib/events/topology';
import type { EventPublisher } from './relay-ports';

/**
 * How long a batch may wait for its confirms. A quorum queue whose leader's node died confirms
 * once a new leader is elected (seconds); past this the channel is closed and the batch counts as
 * not published: the relay publishes it again (delivery is at least once anyway).
 */
const CONFIRM_TIMEOUT_MS = 30_000;

/**
 * Publishes envelopes to the events exchange on one confirm channel, in the order given, and
 * resolves only when the broker confirmed all of them (persistent messages to quorum queues, so
 * "confirmed" means stored on a majority of the cluster's nodes). The channel is reopened by the
 * connection's setup after every reconnect (on whichever node it reached), and at the next publish
 * when only the channel was lost.
 */
export async function amqpEventPublisher(connection: AmqpConnection, names: AmqpNames): Promise<EventPublisher> {
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
      try {
        const model = connection.current();
        const current = channel ?? (model ? await open(model) : undefined);
        if (!current) throw new Error('not connected');
        let previous = previousPosition;
        for (const envelope of envelopes) {
          publishOne(current, names.eventsExchange, envelope, previous);
          previous = envelope.position;
        }
        await confirmed(current);
      } catch (error) {
        throw unavailable('rabbitmq', error);
      }
    },
  };
}

/** The channel's confirms, or its closing (which fails them) after CONFIRM_TIMEOUT_MS. */
async function confirmed(channel: ConfirmChannel): Promise<void> {
  const timer = setTimeout(() => void channel.close().catch(() => undefined), CONFIRM_TIMEOUT_MS);
  try {
    await channel.waitForConfirms();
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
