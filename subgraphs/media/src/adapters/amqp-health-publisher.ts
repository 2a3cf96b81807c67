import type { AmqpConnection } from '../../../../lib/engines/amqp';
import { amqpNames } from '../../../../lib/events/topology';
import type { HealthEvent, HealthPublisher } from '../recording/ports';

/**
 * Camera health events enter like any external system's events: a `RecordEventInput`-shaped body on
 * the ingest exchange, routing key `media.<type>` (so their `source` is `media`), validated,
 * deduplicated by `id` and stored by the command service, then seen in statistics and subscriptions.
 */
export class AmqpHealthPublisher implements HealthPublisher {
  constructor(
    private readonly amqp: AmqpConnection,
    private readonly namespace: string,
  ) {}

  async publish(event: HealthEvent): Promise<void> {
    const connection = this.amqp.current();
    if (!connection) throw new Error('rabbitmq not connected');
    const channel = await connection.createConfirmChannel();
    try {
      const body = {
        id: event.id,
        cameraId: event.cameraId,
        type: event.type,
        severity: event.severity,
        occurredAt: event.occurredAt.toISOString(),
        attributes: null,
      };
      await new Promise<void>((resolve, reject) => {
        channel.publish(
          amqpNames(this.namespace).ingestExchange,
          `media.${event.type}`,
          Buffer.from(JSON.stringify(body)),
          {
            persistent: true,
            contentType: 'application/json',
            messageId: event.id,
          },
          (error) => (error ? reject(error) : resolve()),
        );
      });
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}
