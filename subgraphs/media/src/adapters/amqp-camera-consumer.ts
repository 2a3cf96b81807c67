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
 * Feeds the camera store from `<ns>.media.camera-events` (a quorum queue bound to `camera.*` on the events exchange).
 * One message at a time, acked only once stored: a store outage leaves the message queued and
 * redelivered, and a repeat is harmless (the store applies a version once). A body that is not a
 * camera event can never succeed: it is logged (without its content, which may hold credentials) and dropped.
 */
export async function consumeCameraEvents(amqp: AmqpConnection, namespace: string, store: CameraStore, logger: Logger): Promise<void> {
  const names = amqpNames(namespace);
  await amqp.use(async (connection) => {
    const channel: Channel = await connection.createChannel();
    channel.on('error', (error: Error) => logger.warn({ err: error.message }, 'camera consumer channel error'));
    await assertSharedTopology(channel, names);
    await channel.prefetch(1);
    await channel.consume(names.mediaCamerasQueue, (message) => {
      if (message) void handle(channel, message);
    });
  });

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
