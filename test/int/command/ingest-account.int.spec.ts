import { randomUUID } from 'node:crypto';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { EventEnvelope } from '../../../lib/events/envelope';
import { startIngestConsumer } from '../../../subgraphs/command/src/ingest/amqp-ingest-consumer';
import { IngestHandler } from '../../../subgraphs/command/src/ingest/ingest-handler';
import { ENGINE_URLS } from '../../support/engine-urls';
import { eventually, logger, registerCamera, startWriteSide, type WriteSide } from './write-side-harness';

/**
 * The external publishers' broker account (AMQP_INGEST_URL, created by scripts/engines/rabbitmq.sh)
 * against the real RabbitMQ: it can feed the ingest exchange and nothing else, so a publisher can
 * neither forge domain events nor read the camera events that carry RTSP credentials.
 */
let side: WriteSide;
let consumer: { stop(): Promise<void> };
let publisher: ChannelModel;

beforeAll(async () => {
  side = await startWriteSide('ingacct');
  await registerCamera(side, 'cam-1');
  consumer = await startIngestConsumer(side.amqp, side.names, new IngestHandler(side.service, logger), logger, { prefetch: 100, retryDelayMs: 200 });
  side.amqp.start();
  await side.amqp.waitConnected(10000);
  publisher = await amqp.connect(ENGINE_URLS.amqpIngest);
});
afterAll(async () => {
  await publisher?.close().catch(() => undefined);
  await consumer?.stop();
  await side?.close();
});

const body = (extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ cameraId: 'cam-1', type: 'motion', severity: 'LOW', occurredAt: '2026-11-25T10:00:00Z', ...extra }));

/** Runs `operation` on a fresh channel of the ingest account: how the broker closed it, or "allowed". */
async function refusal(operation: (channel: ConfirmChannel) => Promise<unknown>): Promise<string> {
  const channel = await publisher.createConfirmChannel();
  const closed = new Promise<string>((resolve) => {
    channel.on('error', (error: Error) => resolve(error.message));
    channel.on('close', () => resolve('closed without an error'));
  });
  const allowed = await operation(channel).then(
    () => true,
    () => false,
  );
  if (!allowed) return closed;
  await channel.close().catch(() => undefined);
  return 'allowed';
}

/** A publish on a confirm channel: resolves once the broker confirmed it, rejects if the channel closes first. */
const confirmedPublish = (channel: ConfirmChannel, exchange: string, routingKey: string, content: Buffer) =>
  new Promise<void>((resolve, reject) => {
    channel.publish(exchange, routingKey, content, { persistent: true }, (error: unknown) => (error ? reject(error as Error) : resolve()));
  });

async function storedEventIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const batch of side.store.readAll(0))
    for (const e of batch as EventEnvelope[]) if (e.type === 'EventRecorded') ids.push((e.data as { eventId: string }).eventId);
  return ids;
}

describe('the ingest broker account', () => {
  it('publishes to the ingest exchange, and the message is stored', async () => {
    const channel = await publisher.createConfirmChannel();
    const id = `acct-${randomUUID()}`;
    await confirmedPublish(channel, side.names.ingestExchange, 'acme.motion', body({ id }));
    await eventually(async () => (await storedEventIds()).includes(id));
    await channel.close();
  });

  it('cannot publish to the events exchange (no forged domain events) nor to the default exchange', async () => {
    const { queue } = await side.channel.assertQueue('', { exclusive: true });
    await side.channel.bindQueue(queue, side.names.eventsExchange, '#');
    const forged = await refusal((channel) => confirmedPublish(channel, side.names.eventsExchange, 'camera.CameraUpdated', body()));
    expect(forged).toMatch(/403.*ACCESS.REFUSED/);
    const direct = await refusal((channel) => confirmedPublish(channel, '', side.names.ingestQueue, body()));
    expect(direct).toMatch(/403.*ACCESS.REFUSED/);
    expect((await side.channel.checkQueue(queue)).messageCount).toBe(0);
  });

  it('cannot declare queues or exchanges, nor bind a queue to the camera events', async () => {
    expect(await refusal((channel) => channel.assertQueue('', { exclusive: true }))).toMatch(/403.*ACCESS.REFUSED/);
    expect(await refusal((channel) => channel.assertQueue(`${side.namespace}.spy`, { durable: false }))).toMatch(/403.*ACCESS.REFUSED/);
    expect(await refusal((channel) => channel.assertExchange(`${side.namespace}.ingest`, 'topic', { durable: true }))).toMatch(/403.*ACCESS.REFUSED/);
    expect(await refusal((channel) => channel.bindQueue(side.names.mediaCamerasQueue, side.names.eventsExchange, 'camera.*'))).toMatch(/403.*ACCESS.REFUSED/);
    // The ingest queue shares the ingest exchange's name: writing to it still does not let it bind.
    expect(await refusal((channel) => channel.bindQueue(side.names.ingestQueue, side.names.eventsExchange, 'camera.*'))).toMatch(/403.*ACCESS.REFUSED/);
  });

  it('cannot consume, get or purge any queue', async () => {
    for (const queue of [side.names.mediaCamerasQueue, side.names.projectorQueue, side.names.ingestQueue, side.names.ingestDlq]) {
      expect(await refusal((channel) => channel.consume(queue, () => undefined))).toMatch(/403.*ACCESS.REFUSED/);
      expect(await refusal((channel) => channel.get(queue))).toMatch(/403.*ACCESS.REFUSED/);
      expect(await refusal((channel) => channel.purgeQueue(queue))).toMatch(/403.*ACCESS.REFUSED/);
    }
  });
});
