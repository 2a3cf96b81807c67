import { AppError } from '../../../lib/errors/app-error';
import type { AppendCandidate, AppendResult, EventStore, SnapshotStore } from '../../../lib/event-store/event-store';
import type { EventEnvelope } from '../../../lib/events/envelope';
import { createLogger } from '../../../lib/logging/logger';
import { CommandService } from '../../../subgraphs/command/src/application/command-service';
import { IngestHandler, type IngestHandlerOptions } from '../../../subgraphs/command/src/ingest/ingest-handler';
import type { IngestMessage } from '../../../subgraphs/command/src/ingest/ingest-message';

const camera: EventEnvelope = {
  id: 'e-cam',
  streamId: 'camera-cam-1',
  version: 1,
  position: 1000,
  type: 'CameraRegistered',
  schemaVersion: 1,
  occurredAt: '2026-01-01T00:00:00.000Z',
  recordedAt: '2026-01-01T00:00:00.000Z',
  data: { cameraId: 'cam-1', name: 'c', site: null, rtspUrl: 'rtsp://127.0.0.1/c', tags: [], recording: { enabled: false, retentionHours: 24 } },
  metadata: { correlationId: 'c', causationId: null, actor: 'a' },
};

/** The event store port (the handler's boundary), answering appends with `append`; it knows one camera. */
function storeAppending(append: (candidates: readonly AppendCandidate[]) => Promise<AppendResult>): EventStore & SnapshotStore {
  return {
    append,
    readEvent: async (streamId, version) => (streamId === camera.streamId && version === 1 ? camera : null),
    readStream: async () => [],
    streamVersion: async () => 0,
    readAll: async function* () {},
    headPosition: async () => 0,
    onAppended: () => () => undefined,
    saveSnapshot: async () => undefined,
    loadSnapshot: async () => null,
  };
}

const written = async (candidates: readonly AppendCandidate[]): Promise<AppendResult> => ({
  outcomes: candidates.map((c, i) => ({
    status: 'written',
    envelope: { ...c, position: 2000 + i, type: c.event.type, schemaVersion: 2, recordedAt: c.occurredAt, data: c.event.data } as EventEnvelope,
  })),
});
const down = async (): Promise<AppendResult> => {
  throw new AppError('UNAVAILABLE', 'mongodb is unavailable: connection reset');
};

const message = (id: string, attempts = 0, extra: Record<string, unknown> = {}): IngestMessage => ({
  body: Buffer.from(JSON.stringify({ id, cameraId: 'cam-1', type: 'motion', severity: 'LOW', occurredAt: '2026-11-25T10:00:00Z', ...extra })),
  routingKey: 'acme.motion',
  messageId: id,
  attempts,
});

const handler = (append: (candidates: readonly AppendCandidate[]) => Promise<AppendResult>, options: IngestHandlerOptions) =>
  new IngestHandler(new CommandService(storeAppending(append)), createLogger('test', 'silent'), options);

describe('ingest handler: messages the event store cannot take', () => {
  it('requeues without counting while the event store does not answer, however often it failed before', async () => {
    const dispositions = await handler(down, { storeAnswers: async () => false, maxUnavailableAttempts: 3 }).handle([message('a', 50)]);
    expect(dispositions).toEqual([{ action: 'retry' }]);
  });

  it('counts an UNAVAILABLE attempt only while the store answers: retried later with a growing, capped delay, then dead-lettered', async () => {
    const h = handler(down, { storeAnswers: async () => true, maxUnavailableAttempts: 20, retryDelayMs: 1000, maxRetryDelayMs: 60_000 });
    expect(await h.handle([message('a', 0)])).toEqual([{ action: 'retry-later', attempts: 1, delayMs: 1000 }]);
    expect(await h.handle([message('a', 4)])).toEqual([{ action: 'retry-later', attempts: 5, delayMs: 16_000 }]);
    expect(await h.handle([message('a', 10)])).toEqual([{ action: 'retry-later', attempts: 11, delayMs: 60_000 }]);
    const [last] = await h.handle([message('a', 19)]);
    expect(last).toMatchObject({ action: 'dead-letter', reason: expect.stringContaining('UNAVAILABLE 20 times while the event store answered') });
  });

  it('tries each message of a failing batch alone while the store answers: only the failing one is counted', async () => {
    const poisoned = async (candidates: readonly AppendCandidate[]) =>
      candidates.some((c) => (c.event.data as { eventId: string }).eventId === 'bad') ? down() : written(candidates);
    const dispositions = await handler(poisoned, { storeAnswers: async () => true }).handle([message('good-1'), message('bad'), message('good-2')]);
    expect(dispositions.map((d) => d.action)).toEqual(['ack', 'retry-later', 'ack']);
  });

  it('dead-letters at once what the store refuses for good (a coded refusal, e.g. too large to store)', async () => {
    const refusing = async (): Promise<AppendResult> => {
      throw new AppError('BAD_USER_INPUT', 'mongodb refused the data: Document is larger than the maximum size 16777216');
    };
    const [disposition] = await handler(refusing, { storeAnswers: async () => true }).handle([message('a')]);
    expect(disposition).toMatchObject({ action: 'dead-letter', reason: expect.stringContaining('BAD_USER_INPUT: mongodb refused the data') });
  });

  it('dead-letters a message larger than the accepted size, with the reason, storing nothing of it', async () => {
    let appended = 0;
    const counting = async (candidates: readonly AppendCandidate[]) => {
      appended += candidates.length;
      return written(candidates);
    };
    const big = message('big', 0, { attributes: { blob: 'x'.repeat(2000) } });
    const dispositions = await handler(counting, { maxMessageBytes: 1024 }).handle([big, message('small')]);
    expect(dispositions[0]).toMatchObject({
      action: 'dead-letter',
      reason: expect.stringContaining(`message is ${big.body.length} bytes, more than the 1024 accepted`),
    });
    expect(dispositions[1]).toEqual({ action: 'ack' });
    expect(appended).toBe(1);
  });
});
