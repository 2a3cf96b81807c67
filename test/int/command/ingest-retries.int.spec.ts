import { randomUUID } from 'node:crypto';
import type { GetMessage } from 'amqplib';
import { AmqpConnection } from '../../../lib/engines/amqp';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { createMongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { CommandService } from '../../../subgraphs/command/src/application/command-service';
import { startIngestConsumer } from '../../../subgraphs/command/src/ingest/amqp-ingest-consumer';
import { IngestHandler, type IngestHandlerOptions } from '../../../subgraphs/command/src/ingest/ingest-handler';
import { startFaultProxyFor, type FaultProxy } from '../../support/fault-proxy';
import { AMQP_URL, MONGODB_URL, eventually, logger, registerCamera, startWriteSide, type WriteSide } from './write-side-harness';

/**
 * Ingestion when the event store fails: the consumer's service reaches the real store through a
 * fault proxy the test cuts. A store that is down never makes a good message a dead letter; a
 * message that keeps failing while the store answers is dead-lettered after a bounded number of
 * attempts, counted across redeliveries, instead of being requeued forever.
 */
let side: WriteSide;
let proxy: FaultProxy;
let proxied: MongoHandle;
let service: CommandService;

beforeAll(async () => {
  side = await startWriteSide('ingretry');
  await registerCamera(side, 'cam-1');
  proxy = await startFaultProxyFor(MONGODB_URL);
  proxied = await connectMongo({ url: proxy.url(MONGODB_URL), database: side.namespace });
  service = new CommandService(createMongoEventStore(proxied.db, { recoveryTimeoutMs: 500 }));
  await service.cameras.repository.load('camera-cam-1');
});
afterAll(async () => {
  proxy?.restore();
  await proxied?.close();
  await proxy?.close();
  await side?.close();
});

/** Runs an ingest consumer (its own connection) for the length of `body`. */
async function withConsumer(options: IngestHandlerOptions, body: () => Promise<void>): Promise<void> {
  const amqp = new AmqpConnection(AMQP_URL, logger, `test-${side.namespace}-${randomUUID()}`);
  const consumer = await startIngestConsumer(amqp, side.names, new IngestHandler(service, logger, options), logger, { prefetch: 50, retryDelayMs: 200 });
  amqp.start();
  try {
    await amqp.waitConnected(10000);
    await body();
  } finally {
    await consumer.stop();
    await amqp.close();
  }
}

const publish = (messageId: string, extra: Record<string, unknown> = {}) =>
  side.channel.publish(
    side.names.ingestExchange,
    'acme.motion',
    Buffer.from(JSON.stringify({ cameraId: 'cam-1', type: 'motion', severity: 'LOW', occurredAt: '2026-11-25T10:00:00Z', ...extra })),
    { persistent: true, messageId },
  );

const deadLetters: GetMessage[] = [];
async function deadLetter(messageId: string): Promise<GetMessage | undefined> {
  for (
    let message = await side.channel.get(side.names.ingestDlq, { noAck: true });
    message;
    message = await side.channel.get(side.names.ingestDlq, { noAck: true })
  ) {
    deadLetters.push(message);
  }
  return deadLetters.find((m) => m.properties.messageId === messageId);
}

async function stored(eventId: string): Promise<boolean> {
  return (await side.store.readEvent(`event-${eventId}`, 1)) !== null;
}

describe('ingestion while the event store fails', () => {
  it('dead-letters a message that keeps failing while the store answers, after the configured attempts counted across redeliveries', async () => {
    const id = `stuck-${randomUUID()}`;
    // The store answers (asked directly), but this consumer's writes cannot reach it.
    await withConsumer({ storeAnswers: () => side.mongo.ping(), maxUnavailableAttempts: 3, retryDelayMs: 100, maxRetryDelayMs: 200 }, async () => {
      proxy.cut();
      try {
        publish(id);
        await eventually(async () => (await deadLetter(id)) !== undefined, 45000);
      } finally {
        proxy.restore();
      }
    });
    const dead = await deadLetter(id);
    expect(String(dead?.properties.headers?.['x-rejection-reason'])).toContain('UNAVAILABLE 3 times while the event store answered');
    expect(await stored(id)).toBe(false);
  }, 60000);

  it('never dead-letters a good message while the store is merely down: it is stored once the store is back', async () => {
    const id = `patient-${randomUUID()}`;
    let pings = 0;
    const ping = async () => {
      pings += 1;
      return proxied.ping();
    };
    await withConsumer({ storeAnswers: ping, maxUnavailableAttempts: 2, retryDelayMs: 100, maxRetryDelayMs: 200 }, async () => {
      proxy.cut();
      publish(id);
      // More failed rounds than the attempts allowed, all while the store did not answer.
      await eventually(() => pings >= 3, 45000);
      proxy.restore();
      await eventually(() => stored(id), 20000);
    });
    expect(await deadLetter(id)).toBeUndefined();
  }, 90000);

  it('dead-letters a message over the size limit with its reason', async () => {
    const id = `big-${randomUUID()}`;
    await withConsumer({ maxMessageBytes: 4096 }, async () => {
      publish(id, { attributes: { blob: 'x'.repeat(5000) } });
      await eventually(async () => (await deadLetter(id)) !== undefined);
    });
    expect(String((await deadLetter(id))?.properties.headers?.['x-rejection-reason'])).toContain('more than the 4096 accepted');
    expect(await stored(id)).toBe(false);
  });
});
