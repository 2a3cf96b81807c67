import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { drainLegacyQueue } from '../../../lib/events/legacy-queue';
import { createLogger } from '../../../lib/logging/logger';
import { ENGINE_URLS } from '../../support/engine-urls';
import { testNamespace } from '../../support/namespace';

// The upgrade from the classic projector queue to the quorum one, on the real RabbitMQ: what
// waited in the old queue reaches the new one, with its properties, and the old queue goes away
// unless an old-version process still consumes it.
describe('drainLegacyQueue on RabbitMQ', () => {
  const logger = createLogger('test', 'warn');
  let connection: ChannelModel;
  let channel: ConfirmChannel;

  beforeAll(async () => {
    connection = await amqp.connect(ENGINE_URLS.amqp);
    channel = await connection.createConfirmChannel();
  });
  afterAll(async () => {
    await connection.close();
  });

  /** A classic queue bound to a topic exchange with `count` persistent messages, and its quorum replacement. */
  async function layout(count: number) {
    const namespace = testNamespace('legacyq');
    const names = { exchange: `${namespace}.events`, legacy: `${namespace}.projector`, replacement: `${namespace}.projection` };
    await channel.assertExchange(names.exchange, 'topic', { durable: true });
    await channel.assertQueue(names.legacy, { durable: true });
    await channel.bindQueue(names.legacy, names.exchange, '#');
    await channel.assertQueue(names.replacement, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    for (let i = 0; i < count; i += 1) {
      channel.publish(names.exchange, 'event.EventRecorded', Buffer.from(JSON.stringify({ n: i })), {
        persistent: true,
        messageId: `m-${i}`,
        contentType: 'application/json',
        headers: { 'x-previous-position': String(i) },
      });
    }
    await channel.waitForConfirms();
    const queue = { legacy: names.legacy, replacement: names.replacement, binding: { exchange: names.exchange, pattern: '#' } };
    const cleanup = async () => {
      await channel.deleteQueue(names.legacy);
      await channel.deleteQueue(names.replacement);
      await channel.deleteExchange(names.exchange);
    };
    return { names, queue, cleanup };
  }

  const exists = async (queue: string): Promise<boolean> => {
    const probe = await connection.createChannel();
    probe.on('error', () => undefined);
    try {
      await probe.checkQueue(queue);
      await probe.close();
      return true;
    } catch {
      return false;
    }
  };

  it('does nothing when there is no legacy queue', async () => {
    const { queue, cleanup } = await layout(0);
    await channel.deleteQueue(queue.legacy);
    await expect(drainLegacyQueue(connection, queue, logger)).resolves.toBe(0);
    expect((await channel.checkQueue(queue.replacement)).messageCount).toBe(0);
    await cleanup();
  });

  it('moves every message with its properties, in order, then deletes the legacy queue', async () => {
    const { names, queue, cleanup } = await layout(1234);
    await expect(drainLegacyQueue(connection, queue, logger)).resolves.toBe(1234);
    expect(await exists(names.legacy)).toBe(false);
    const bodies: number[] = [];
    for (let i = 0; i < 1234; i += 1) {
      const message = await channel.get(names.replacement, { noAck: true });
      if (!message) break;
      bodies.push((JSON.parse(message.content.toString()) as { n: number }).n);
      if (i === 7) {
        expect(message.properties.messageId).toBe('m-7');
        expect(message.properties.contentType).toBe('application/json');
        expect(message.properties.deliveryMode).toBe(2);
        expect(message.properties.headers?.['x-previous-position']).toBe('7');
      }
    }
    expect(bodies).toEqual(Array.from({ length: 1234 }, (_, i) => i));
    await cleanup();
  });

  it('keeps a legacy queue that an old-version process still consumes, and loses nothing', async () => {
    const { names, queue, cleanup } = await layout(10);
    const old = await connection.createChannel();
    await old.prefetch(1);
    const held: number[] = [];
    await old.consume(names.legacy, (message) => {
      if (message) held.push((JSON.parse(message.content.toString()) as { n: number }).n);
    });
    while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(drainLegacyQueue(connection, queue, logger)).resolves.toBe(9);
    expect(await exists(names.legacy)).toBe(true);
    expect((await channel.checkQueue(names.replacement)).messageCount).toBe(9);
    // The old process goes away without acking: its message is back in the legacy queue, and the
    // next start moves it too.
    await old.close();
    await expect(drainLegacyQueue(connection, queue, logger)).resolves.toBe(1);
    expect(await exists(names.legacy)).toBe(false);
    expect((await channel.checkQueue(names.replacement)).messageCount).toBe(10);
    await cleanup();
  });
});
