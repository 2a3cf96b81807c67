import type { ConfirmChannel } from 'amqplib';
import { AmqpFeed } from '../../../gateway/src/subscriptions/amqp-feed';
import type { FeedMessage } from '../../../gateway/src/subscriptions/message-feed';
import { AmqpConnection } from '../../../lib/engines/amqp';
import { amqpNames, deleteTopology } from '../../../lib/events/topology';
import { createLogger } from '../../../lib/logging/logger';
import { testNamespace } from '../../support/namespace';
import { ENGINE_URLS } from '../../support/engine-urls';

// The subscription feed against the real RabbitMQ: messages arrive only while a feed is retained,
// from the right exchange, and the exclusive queue goes away with the connection.
describe('AmqpFeed on RabbitMQ', () => {
  const namespace = testNamespace('gwfeed');
  const names = amqpNames(namespace);
  const url = ENGINE_URLS.amqp;
  const logger = createLogger('test', 'warn');
  let connection: AmqpConnection;
  let feed: AmqpFeed;
  let publisher: AmqpConnection;
  let channel: ConfirmChannel;
  const received: Record<string, FeedMessage[]> = { events: [], streams: [] };

  beforeAll(async () => {
    connection = new AmqpConnection(url, logger, 'gateway-feed-test');
    feed = new AmqpFeed(connection, namespace, logger);
    feed.on('events', async (message) => void received.events?.push(message));
    feed.on('streams', async (message) => void received.streams?.push(message));
    await feed.start();
    connection.start();
    await connection.waitConnected(10000);
    publisher = new AmqpConnection(url, logger, 'gateway-feed-test-publisher');
    publisher.start();
    await publisher.waitConnected(10000);
    channel = await (publisher.current() as NonNullable<ReturnType<AmqpConnection['current']>>).createConfirmChannel();
  });
  afterAll(async () => {
    if (channel) await deleteTopology(channel, names).catch(() => undefined);
    await channel?.close().catch(() => undefined);
    await connection?.close();
    await publisher?.close();
  });

  const publish = (exchange: string, routingKey: string, body: unknown) => channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)));
  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    return check();
  };
  // A marker message proves the queue has drained up to it.
  const settle = async (feedName: 'events' | 'streams', exchange: string, key: string) => {
    const marker = `marker-${Math.random()}`;
    publish(exchange, key, { marker });
    return waitFor(() => (received[feedName] ?? []).some((m) => (m.body as { marker?: string }).marker === marker));
  };

  it('delivers event and stream messages only while retained', async () => {
    publish(names.eventsExchange, 'event.EventRecorded', { n: 'before' });
    // Confirmed by the broker before the bind starts, so it cannot overtake it.
    await channel.waitForConfirms();
    const events = feed.retain('events');
    const streams = feed.retain('streams');
    await Promise.all([events.bound, streams.bound]);
    publish(names.eventsExchange, 'event.EventRecorded', { n: 1 });
    publish(names.eventsExchange, 'camera.CameraRegistered', { n: 'camera events are not bound' });
    publish(names.streamStatusExchange, 'stream.cam-1', { sessionId: 's1', cameraId: 'cam-1' });
    expect(await waitFor(() => received.events?.some((m) => (m.body as { n?: number }).n === 1) ?? false)).toBe(true);
    expect(await waitFor(() => received.streams?.some((m) => m.routingKey === 'stream.cam-1') ?? false)).toBe(true);
    expect(received.events?.some((m) => (m.body as { n?: string }).n === 'before')).toBe(false);

    events.release();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const count = received.events?.length ?? 0;
    publish(names.eventsExchange, 'event.EventRecorded', { n: 'after release' });
    expect(await settle('streams', names.streamStatusExchange, 'stream.cam-2')).toBe(true);
    expect(received.events?.length).toBe(count);
    streams.release();
  });
});
