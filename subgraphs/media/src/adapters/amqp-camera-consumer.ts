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
const RECORDED_KEY = 'event.EventRecorded';

/** Whether this process receives recorded events: only while it records a camera (they are every event of the site). */
export interface RecordedEventFeed {
  follow(on: boolean): Promise<void>;
}

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
  /** Every recorded event while followed (see RecordedEventFeed): clips are cut as events arrive. */
  onEventRecorded?: (eventId: string, cameraId: string, occurredAt: Date) => Promise<void>,
): Promise<RecordedEventFeed> {
  const names = amqpNames(namespace);
  let following = false;
  let recordedQueue: { channel: Channel; queue: string } | undefined;
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
    await channel.consume(queue, (message) => {
      if (message) void handle(channel, message);
    });
    if (!onEventRecorded) return;
    // Recorded events (every event of the site) on a queue of their own, bound only while this
    // service records a camera, and without acks: a clip is best effort, the event is safe in the store.
    const recorded = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    recordedQueue = { channel, queue: recorded.queue };
    if (following) await channel.bindQueue(recorded.queue, names.eventsExchange, RECORDED_KEY);
    await channel.consume(recorded.queue, (message) => message && void onRecorded(message), { noAck: true });
  });

  return {
    async follow(on: boolean): Promise<void> {
      if (on === following) return;
      following = on;
      // Without a channel now, the next connection's setup binds as `following` says.
      const current = recordedQueue;
      if (!current) return;
      const change = on ? current.channel.bindQueue.bind(current.channel) : current.channel.unbindQueue.bind(current.channel);
      await change(current.queue, names.eventsExchange, RECORDED_KEY).catch((error: unknown) =>
        logger.warn({ err: (error as Error).message, on }, 'recorded events not (un)followed; the next connection will'),
      );
    },
  };

  async function onRecorded(message: ConsumeMessage): Promise<void> {
    try {
      const wire = JSON.parse(message.content.toString('utf8')) as WireEnvelope;
      const data = wire.data as { eventId?: unknown; cameraId?: unknown; occurredAt?: unknown };
      if (typeof data.eventId === 'string' && typeof data.cameraId === 'string' && typeof data.occurredAt === 'string') {
        await onEventRecorded?.(data.eventId, data.cameraId, new Date(data.occurredAt));
      }
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'recorded event not used for a clip');
    }
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
