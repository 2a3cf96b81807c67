import type { Channel, ConsumeMessage } from 'amqplib';
import { sleep } from '../../../../lib/async/sleep';
import type { AmqpConnection } from '../../../../lib/engines/amqp';
import { fromWire, type EventEnvelope, type WireEnvelope } from '../../../../lib/events/envelope';
import type { CameraEvent } from '../../../../lib/events/domain-events';
import { amqpNames, assertSharedTopology } from '../../../../lib/events/topology';
import type { Logger } from '../../../../lib/logging/logger';
import type { CameraStore } from '../cameras/camera-store';
import { CAMERA_EVENT_TYPES } from '../cameras/media-camera';

const RETRY_DELAY_MS = 1000;

/**
 * Feeds the camera store from `<ns>.media.camera-events` (a quorum queue bound to `camera.*` on the
 * events exchange, shared by every media service), and from a queue of this process's own bound the
 * same way (re-declared on every reconnection).
 * One message at a time, acked only once stored: a store outage leaves the message queued and
 * redelivered, and a repeat is harmless (the store applies a version once). A body that is not a
 * camera event can never succeed: it is logged (without its content, which may hold credentials) and dropped.
 */
export async function consumeCameraEvents(
  amqp: AmqpConnection,
  namespace: string,
  store: CameraStore,
  logger: Logger,
  /** Every recorded event, from this process's own queue (clips are cut as events arrive). */
  onEventRecorded?: (eventId: string, cameraId: string, occurredAt: Date) => Promise<void>,
): Promise<void> {
  const names = amqpNames(namespace);
  await amqp.use(async (connection) => {
    const channel: Channel = await connection.createChannel();
    channel.on('error', (error: Error) => logger.warn({ err: error.message }, 'camera consumer channel error'));
    await assertSharedTopology(channel, names);
    await channel.prefetch(1);
    await channel.consume(names.mediaCamerasQueue, (message) => {
      if (message) void handle(channel, message);
    });
    // The durable queue is shared by every media service (one of them stores each event); this
    // process's own queue tells it of every change, so whichever service runs a camera's session reacts.
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, names.eventsExchange, 'camera.*');
    if (onEventRecorded) await channel.bindQueue(queue, names.eventsExchange, 'event.EventRecorded');
    await channel.consume(queue, (message) => {
      if (!message) return;
      if (message.fields.routingKey === 'event.EventRecorded') void recorded(channel, message);
      else void handle(channel, message);
    });
  });

  /** A clip is best effort: a message it cannot use is acked (the event itself is safe in the store). */
  async function recorded(channel: Channel, message: ConsumeMessage): Promise<void> {
    try {
      const wire = JSON.parse(message.content.toString('utf8')) as WireEnvelope;
      const data = wire.data as { eventId?: unknown; cameraId?: unknown; occurredAt?: unknown };
      if (typeof data.eventId === 'string' && typeof data.cameraId === 'string' && typeof data.occurredAt === 'string') {
        await onEventRecorded?.(data.eventId, data.cameraId, new Date(data.occurredAt));
      }
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'recorded event not used for a clip');
    }
    safely(() => channel.ack(message));
  }

  async function handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    let envelope: EventEnvelope<CameraEvent>;
    try {
      const wire = JSON.parse(message.content.toString('utf8')) as WireEnvelope;
      if (!CAMERA_EVENT_TYPES.has(wire.type) || typeof wire.data?.cameraId !== 'string' || !Number.isInteger(wire.version)) {
        throw new Error(`not a camera event: ${String(wire.type)}`);
      }
      envelope = fromWire(wire) as EventEnvelope<CameraEvent>;
    } catch (error) {
      logger.error({ routingKey: message.fields.routingKey, err: (error as Error).message }, 'camera event dropped: unreadable');
      safely(() => channel.ack(message));
      return;
    }
    try {
      await store.apply(envelope);
      safely(() => channel.ack(message));
    } catch (error) {
      logger.warn({ streamId: envelope.streamId, version: envelope.version, err: (error as Error).message }, 'camera event not stored; retrying');
      await sleep(RETRY_DELAY_MS);
      safely(() => channel.nack(message, false, true));
    }
  }
}

/** Acks on a channel that closed meanwhile throw; the broker redelivers those messages anyway. */
function safely(action: () => void): void {
  try {
    action();
  } catch {
    // channel gone: redelivery follows
  }
}
