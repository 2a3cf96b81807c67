import { createInMemoryEventStore } from '../../../lib/event-store/in-memory-event-store';
import { createLogger } from '../../../lib/logging/logger';
import { CommandService } from '../../../subgraphs/command/src/application/command-service';
import { IngestHandler } from '../../../subgraphs/command/src/ingest/ingest-handler';
import type { IngestMessage } from '../../../subgraphs/command/src/ingest/ingest-message';
import { collect } from '../../int/event-store/event-store-contract';

const event = (extra: Record<string, unknown> = {}) => ({ cameraId: 'cam-1', type: 'motion', severity: 'LOW', occurredAt: '2026-11-25T10:00:00Z', ...extra });
const message = (body: unknown, messageId?: string): IngestMessage => ({ body: Buffer.from(JSON.stringify(body)), routingKey: 'acme.motion', messageId });

async function ingestion() {
  const service = new CommandService(createInMemoryEventStore());
  await service.registerCamera(
    { kind: 'RegisterCamera', cameraId: 'cam-1', name: 'c', site: null, rtspUrl: 'rtsp://127.0.0.1/c', tags: [] },
    { actor: 'a', correlationId: 'c', causationId: null },
  );
  return { service, handler: new IngestHandler(service, createLogger('test', 'silent')) };
}

const recorded = async (service: CommandService) =>
  (await collect(service.store.readAll(0))).flatMap((e) =>
    e.type === 'EventRecorded' ? [{ id: e.data.eventId, source: e.data.source, actor: e.metadata.actor }] : [],
  );

describe('ingestion rules on the in-memory event store', () => {
  it('stores the valid items of a message and dead-letters only the rejected ones, with their reasons', async () => {
    const { service, handler } = await ingestion();
    const [disposition] = await handler.handle([
      message([event({ id: 'ok' }), event({ id: 'bad', severity: 'LOUD' }), event({ id: 'lost', cameraId: 'cam-9' })], 'm-1'),
    ]);
    expect(disposition).toMatchObject({
      action: 'dead-letter',
      reason: expect.stringMatching(/^\[1\] BAD_USER_INPUT: severity.*; \[2\] NOT_FOUND: camera cam-9/),
    });
    const body = JSON.parse((disposition as { body: Buffer }).body.toString()) as Array<{ id: string }>;
    expect(body.map((b) => b.id)).toEqual(['bad', 'lost']);
    expect(await recorded(service)).toEqual([{ id: 'ok', source: 'acme', actor: 'system:acme' }]);
  });

  it('stores a redelivered message once: the event id comes from the message id', async () => {
    const { service, handler } = await ingestion();
    expect(await handler.handle([message(event(), 'm-2'), message(event(), 'm-2')])).toEqual([{ action: 'ack' }, { action: 'ack' }]);
    expect(await handler.handle([message(event(), 'm-2')])).toEqual([{ action: 'ack' }]);
    expect((await recorded(service)).map((r) => r.id)).toEqual(['m-2']);
  });
});
