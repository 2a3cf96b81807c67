import { randomUUID } from 'node:crypto';
import type { GetMessage } from 'amqplib';
import type { EventEnvelope } from '../../../lib/events/envelope';
import { startIngestConsumer } from '../../../subgraphs/command/src/ingest/amqp-ingest-consumer';
import { IngestHandler } from '../../../subgraphs/command/src/ingest/ingest-handler';
import { createMongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { CommandService } from '../../../subgraphs/command/src/application/command-service';
import { eventually, logger, registerCamera, startWriteSide, type WriteSide } from './write-side-harness';

let side: WriteSide;
const consumers: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  side = await startWriteSide('ingest');
  await registerCamera(side, 'cam-1');
  // Two consumers with their own event store and service each, as two processes would have, share the queue.
  for (const service of [side.service, new CommandService(createMongoEventStore(side.mongo.db, { recoveryTimeoutMs: 500 }))]) {
    consumers.push(await startIngestConsumer(side.amqp, side.names, new IngestHandler(service, logger), logger, { prefetch: 200, retryDelayMs: 200 }));
  }
  side.amqp.start();
  await side.amqp.waitConnected(10000);
});
afterAll(async () => {
  for (const consumer of consumers) await consumer.stop();
  await side.close();
});

const item = (extra: Record<string, unknown> = {}) => ({ cameraId: 'cam-1', type: 'motion', severity: 'LOW', occurredAt: '2026-11-25T10:00:00Z', ...extra });
const publish = (routingKey: string, body: unknown, messageId?: string) =>
  side.channel.publish(side.names.ingestExchange, routingKey, Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body)), {
    persistent: true,
    ...(messageId ? { messageId } : {}),
  });

async function allEvents(): Promise<EventEnvelope[]> {
  const events: EventEnvelope[] = [];
  for await (const batch of side.store.readAll(0)) events.push(...batch);
  return events.filter((e) => e.type === 'EventRecorded');
}

async function drainDlq(): Promise<GetMessage[]> {
  const messages: GetMessage[] = [];
  for (let i = 0; i < 1000; i += 1) {
    const message = await side.channel.get(side.names.ingestDlq, { noAck: true });
    if (!message) break;
    messages.push(message);
  }
  return messages;
}

describe('AMQP ingestion', () => {
  it('stores valid messages once, dead-letters invalid ones with a reason, and never blocks on a poison message', async () => {
    const before = (await allEvents()).length;
    publish('acme.motion', Buffer.from('{not json'), 'poison-1');
    const ids: string[] = Array.from({ length: 300 }, () => randomUUID());
    for (const id of ids) publish('acme.motion', item(), id);
    // The same messages again (a redelivering producer): stored once.
    for (const id of ids.slice(0, 50)) publish('acme.motion', item(), id);
    publish('acme.motion', [item({ id: 'arr-1' }), item({ id: 'arr-2', severity: 'NOPE' }), item({ id: 'arr-3', cameraId: 'ghost' })], 'array-1');
    publish('acme.motion', item({ type: '' }), 'bad-type');
    publish('acme.motion', item({ occurredAt: '1900-01-01T00:00:00Z' }), 'year-1900');

    await eventually(async () => (await allEvents()).length >= before + 301);
    await eventually(async () => (await side.channel.checkQueue(side.names.ingestQueue)).messageCount === 0);
    const events = await allEvents();
    const mine = events.filter((e) => ids.includes((e.data as { eventId: string }).eventId));
    expect(mine).toHaveLength(300);
    expect(new Set(mine.map((e) => e.streamId)).size).toBe(300);
    expect(mine[0]).toMatchObject({ data: { source: 'acme' }, metadata: { actor: 'system:acme' } });
    expect(events.some((e) => (e.data as { eventId: string }).eventId === 'arr-1')).toBe(true);

    let dead: GetMessage[] = [];
    await eventually(async () => {
      dead = dead.concat(await drainDlq());
      return dead.length >= 4;
    });
    const reasons = Object.fromEntries(dead.map((m) => [m.properties.messageId as string, String(m.properties.headers?.['x-rejection-reason'])]));
    expect(reasons['poison-1']).toContain('not valid JSON');
    expect(reasons['bad-type']).toContain('type');
    expect(reasons['year-1900']).toContain('BAD_USER_INPUT: occurredAt: must not be before 2000-01-01');
    expect(reasons['array-1']).toContain('[1] BAD_USER_INPUT');
    expect(reasons['array-1']).toContain('[2] NOT_FOUND');
    const rejectedItems = JSON.parse(dead.find((m) => m.properties.messageId === 'array-1')!.content.toString()) as Array<{ id: string }>;
    expect(rejectedItems.map((i) => i.id)).toEqual(['arr-2', 'arr-3']);
  });

  it('stores a message without any id once even when delivered twice (content-derived id)', async () => {
    const before = (await allEvents()).length;
    const body = item({ type: 'smoke', attributes: { nonce: randomUUID() } });
    publish('acme.smoke', body);
    publish('acme.smoke', body);
    await eventually(async () => (await side.channel.checkQueue(side.names.ingestQueue)).messageCount === 0 && (await allEvents()).length >= before + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await allEvents()).filter((e) => (e.data as { type: string }).type === 'smoke')).toHaveLength(1);
  });
});
