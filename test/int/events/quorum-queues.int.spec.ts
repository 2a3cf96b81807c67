import amqp, { type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import { AmqpConnection } from '../../../lib/engines/amqp';
import { exists as queueExists } from '../../../lib/events/legacy-queue';
import { rebuildAsQuorum, upgradeQueues } from '../../../lib/events/queue-upgrades';
import { amqpNames, assertSharedTopology, deleteTopology, INGEST_DELIVERY_LIMIT, type AmqpNames } from '../../../lib/events/topology';
import { createLogger } from '../../../lib/logging/logger';
import { startIngestConsumer } from '../../../subgraphs/command/src/ingest/amqp-ingest-consumer';
import type { Disposition } from '../../../subgraphs/command/src/ingest/ingest-handler';
import { ENGINE_URLS } from '../../support/engine-urls';
import { testNamespace } from '../../support/namespace';
import { nodeUrls } from '../../../lib/engines/node-urls';

// The queues' layout on the real RabbitMQ: every durable queue is a quorum queue (so a cluster
// serves it with a node down), the ingest queue's delivery limit dead-letters instead of dropping
// and is not used up by an outage of the store, and brokers set up by earlier versions (classic
// queues) are upgraded without losing a message.
const logger = createLogger('test', 'warn');
const url = nodeUrls(ENGINE_URLS.amqp)[0] as string;
let connection: ChannelModel;
let channel: ConfirmChannel;

beforeAll(async () => {
  connection = await amqp.connect(url);
  channel = await connection.createConfirmChannel();
});
afterAll(async () => {
  await connection.close();
});

async function withNames(label: string, body: (names: AmqpNames) => Promise<void>): Promise<void> {
  const names = amqpNames(testNamespace(label));
  try {
    await body(names);
  } finally {
    const cleanup = await connection.createChannel();
    cleanup.on('error', () => undefined);
    await deleteTopology(cleanup, names).catch(() => undefined);
    await cleanup.close().catch(() => undefined);
  }
}

/** The queue's type, told by which re-declaration RabbitMQ accepts (406 closes the probe channel). */
async function typeOf(queue: string): Promise<'quorum' | 'classic'> {
  const probe = await connection.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await probe.close();
    return 'classic';
  } catch {
    return 'quorum';
  }
}

const exists = (queue: string): Promise<boolean> => queueExists(connection, queue);

async function drain(queue: string): Promise<GetMessage[]> {
  const got: GetMessage[] = [];
  for (let message = await channel.get(queue, { noAck: true }); message; message = await channel.get(queue, { noAck: true })) got.push(message);
  return got;
}

async function eventually(check: () => Promise<boolean> | boolean, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the durable queues', () => {
  it('are all quorum queues', async () => {
    await withNames('quorum', async (names) => {
      await assertSharedTopology(channel, names);
      for (const queue of [names.ingestQueue, names.ingestDlq, names.projectorQueue, names.projectorDlq, names.mediaCamerasQueue]) {
        expect([queue, await typeOf(queue)]).toEqual([queue, 'quorum']);
      }
    });
  });

  it('dead-letter an ingest message redelivered past the delivery limit into the DLQ instead of dropping it', async () => {
    await withNames('limit', async (names) => {
      await assertSharedTopology(channel, names);
      channel.publish(names.ingestExchange, 'acme.motion', Buffer.from('{}'), { persistent: true, messageId: 'requeued' });
      await channel.waitForConfirms();
      // A consumer that dies holding it, over and over: each requeue counts one delivery.
      let deliveries = 0;
      await eventually(async () => {
        const message = await channel.get(names.ingestQueue);
        if (!message) return (await channel.checkQueue(names.ingestQueue)).messageCount === 0 && deliveries > 0;
        deliveries += 1;
        channel.nack(message, false, true);
        return false;
      });
      await eventually(async () => (await channel.checkQueue(names.ingestDlq)).messageCount === 1);
      const [dead] = await drain(names.ingestDlq);
      expect(dead?.properties.messageId).toBe('requeued');
      expect(JSON.stringify(dead?.properties.headers?.['x-death'])).toContain('delivery_limit');
      expect(deliveries).toBeGreaterThan(INGEST_DELIVERY_LIMIT);
    });
  });

  it('keep an ingest message the consumer retried more often than the delivery limit (the store down): it is handled once the store is back', async () => {
    await withNames('outlast', async (names) => {
      await assertSharedTopology(channel, names);
      const connectionUnderTest = new AmqpConnection(url, logger, 'quorum-queues-test');
      let rounds = 0;
      let handled = false;
      // The handler's answer while the event store is down is `retry`; the store comes back after the limit.
      const handler = {
        async handle(messages: readonly unknown[]): Promise<Disposition[]> {
          rounds += 1;
          if (rounds <= INGEST_DELIVERY_LIMIT + 5) return messages.map(() => ({ action: 'retry' }) as const);
          handled = true;
          return messages.map(() => ({ action: 'ack' }) as const);
        },
      };
      const consumer = await startIngestConsumer(connectionUnderTest, names, handler, logger, { prefetch: 10, retryDelayMs: 10 });
      connectionUnderTest.start();
      try {
        channel.publish(names.ingestExchange, 'acme.motion', Buffer.from('{}'), { persistent: true, messageId: 'patient' });
        await channel.waitForConfirms();
        await eventually(() => handled, 60000);
        await eventually(async () => (await channel.checkQueue(names.ingestQueue)).messageCount === 0);
      } finally {
        await consumer.stop();
        await connectionUnderTest.close();
      }
      expect(await drain(names.ingestDlq)).toEqual([]);
      expect(rounds).toBe(INGEST_DELIVERY_LIMIT + 6);
    });
  }, 90000);
});

describe('upgradeQueues (a broker set up by an earlier version)', () => {
  /** The classic layout of earlier versions, with messages waiting in its queues. */
  async function classicLayout(names: AmqpNames): Promise<void> {
    await channel.assertExchange(names.ingestExchange, 'topic', { durable: true });
    await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
    await channel.assertQueue(names.legacy.ingestQueue, { durable: true });
    await channel.bindQueue(names.legacy.ingestQueue, names.ingestExchange, '#');
    await channel.assertQueue(names.ingestDlq, { durable: true });
    await channel.assertQueue(names.legacy.mediaCamerasQueue, { durable: true });
    await channel.bindQueue(names.legacy.mediaCamerasQueue, names.eventsExchange, 'camera.*');
    for (let i = 0; i < 5; i += 1) {
      channel.sendToQueue(names.ingestDlq, Buffer.from(`dead ${i}`), {
        persistent: true,
        messageId: `dead-${i}`,
        headers: { 'x-rejection-reason': `reason ${i}` },
      });
      channel.publish(names.ingestExchange, 'acme.motion', Buffer.from(`pending ${i}`), { persistent: true, messageId: `pending-${i}` });
      channel.publish(names.eventsExchange, 'camera.CameraRegistered', Buffer.from(`camera ${i}`), { persistent: true, messageId: `camera-${i}` });
    }
    await channel.waitForConfirms();
  }

  it('rebuilds the classic ingest DLQ as a quorum queue under its name, and moves what waited in the renamed queues into their replacements', async () => {
    await withNames('upgrade', async (names) => {
      await classicLayout(names);
      await upgradeQueues(connection, names, logger);

      expect(await typeOf(names.ingestDlq)).toBe('quorum');
      const dead = await drain(names.ingestDlq);
      expect(dead.map((m) => [m.properties.messageId, m.content.toString(), m.properties.headers?.['x-rejection-reason']])).toEqual(
        [0, 1, 2, 3, 4].map((i) => [`dead-${i}`, `dead ${i}`, `reason ${i}`]),
      );
      expect(await exists(names.legacy.ingestDlqHolding)).toBe(false);

      await eventually(async () => !(await exists(names.legacy.ingestQueue)) && !(await exists(names.legacy.mediaCamerasQueue)));
      expect((await drain(names.ingestQueue)).map((m) => m.properties.messageId).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `pending-${i}`));
      expect((await drain(names.mediaCamerasQueue)).map((m) => m.properties.messageId).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `camera-${i}`));
    });
  });

  it('finishes a rebuild that stopped half-way: what waits in the holding queue goes back into the DLQ', async () => {
    await withNames('halfway', async (names) => {
      await assertSharedTopology(channel, names);
      await channel.assertQueue(names.legacy.ingestDlqHolding, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      channel.sendToQueue(names.legacy.ingestDlqHolding, Buffer.from('held'), { persistent: true, messageId: 'held' });
      await channel.waitForConfirms();

      await upgradeQueues(connection, names, logger);

      expect((await drain(names.ingestDlq)).map((m) => m.properties.messageId)).toEqual(['held']);
      expect(await exists(names.legacy.ingestDlqHolding)).toBe(false);
    });
  });

  it('leaves a classic DLQ that something still consumes as it is, and says so (the next connect tries again)', async () => {
    await withNames('inuse', async (names) => {
      await channel.assertQueue(names.ingestDlq, { durable: true });
      channel.sendToQueue(names.ingestDlq, Buffer.from('kept'), { persistent: true, messageId: 'kept' });
      await channel.waitForConfirms();
      const oldVersion = await connection.createChannel();
      await oldVersion.prefetch(1);
      await oldVersion.consume(names.ingestDlq, () => undefined);

      await expect(rebuildAsQuorum(connection, names.ingestDlq, names.legacy.ingestDlqHolding, { 'x-queue-type': 'quorum' }, logger)).rejects.toThrow(
        /still a classic queue/,
      );
      await oldVersion.close();
      expect(await typeOf(names.ingestDlq)).toBe('classic');

      // Once it is free, the next attempt completes, with the message that waited in the holding queue.
      await rebuildAsQuorum(connection, names.ingestDlq, names.legacy.ingestDlqHolding, { 'x-queue-type': 'quorum' }, logger);
      expect(await typeOf(names.ingestDlq)).toBe('quorum');
      expect((await drain(names.ingestDlq)).map((m) => m.properties.messageId)).toEqual(['kept']);
    });
  });
});
