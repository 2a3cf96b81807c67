import type { ConfirmChannel } from 'amqplib';
import type { AmqpConnection } from '../../../../lib/engines/amqp';
import { unavailable } from '../../../../lib/errors/engine-errors';
import { PREVIOUS_POSITION_HEADER, routingKeyOf, toWire, type EventEnvelope } from '../../../../lib/events/envelope';
import { assertSharedTopology, type AmqpNames } from '../../../../lib/events/topology';
import type { EventPublisher } from './relay-ports';

/**
 * Publishes envelopes to the events exchange on one confirm channel, in the order given, and
 * resolves only when the broker confirmed all of them (persistent messages, so "confirmed" means
 * stored). The channel is reopened by the connection's setup after every reconnect.
 */
export async function amqpEventPublisher(connection: AmqpConnection, names: AmqpNames): Promise<EventPublisher> {
  let channel: ConfirmChannel | undefined;
  await connection.use(async (model) => {
    const opened = await model.createConfirmChannel();
    opened.on('error', () => undefined);
    opened.on('close', () => {
      if (channel === opened) channel = undefined;
    });
    await assertSharedTopology(opened, names);
    channel = opened;
  });
  return {
    async publish(envelopes, previousPosition) {
      const current = channel;
      if (!current) throw unavailable('rabbitmq', new Error('no channel'));
      try {
        let previous = previousPosition;
        for (const envelope of envelopes) {
          publishOne(current, names.eventsExchange, envelope, previous);
          previous = envelope.position;
        }
        await current.waitForConfirms();
      } catch (error) {
        throw unavailable('rabbitmq', error);
      }
    },
  };
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
