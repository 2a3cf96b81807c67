import type { Channel } from 'amqplib';
import type { AmqpConnection } from '../../../../lib/engines/amqp';
import { type StreamStatusMessage, streamStatusRoutingKey } from '../../../../lib/events/stream-status';
import { amqpNames } from '../../../../lib/events/topology';
import type { Logger } from '../../../../lib/logging/logger';
import type { StatusPublisher } from '../sessions/ports';
import type { StreamSession } from '../sessions/session';

const toStatusMessage = (session: StreamSession): StreamStatusMessage => ({
  sessionId: session.id,
  cameraId: session.cameraId,
  status: session.status,
  startedAt: session.startedAt.toISOString(),
  stoppedAt: session.stoppedAt ? session.stoppedAt.toISOString() : null,
  restarts: session.restarts,
  lastError: session.lastError,
  at: session.updatedAt.toISOString(),
});

/**
 * Publishes every status change on the streams exchange for the gateway's `streamStatusChanged`.
 * Live status is a notification, not a record (the session store is the record): while RabbitMQ is
 * away changes are not queued up, the next change after reconnect carries the full state again.
 */
export class AmqpStatusPublisher implements StatusPublisher {
  private channel: Channel | undefined;
  private readonly exchange: string;

  constructor(
    private readonly amqp: AmqpConnection,
    namespace: string,
    private readonly logger: Logger,
  ) {
    this.exchange = amqpNames(namespace).streamStatusExchange;
  }

  async init(): Promise<void> {
    await this.amqp.use(async (connection) => {
      const channel = await connection.createChannel();
      channel.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'status channel error'));
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      await channel.assertExchange(this.exchange, 'topic', { durable: true });
      this.channel = channel;
    });
  }

  publish(session: StreamSession): void {
    const body = Buffer.from(JSON.stringify(toStatusMessage(session)));
    try {
      if (!this.channel) throw new Error('not connected');
      this.channel.publish(this.exchange, streamStatusRoutingKey(session.cameraId), body, {
        contentType: 'application/json',
        messageId: `${session.id}:${session.updatedAt.getTime()}`,
      });
    } catch (error) {
      this.logger.warn({ sessionId: session.id, status: session.status, err: (error as Error).message }, 'stream status not published');
    }
  }
}
