import type { EventEnvelope } from '../../../lib/events/envelope';
import { toCamera } from '../../../subgraphs/query/src/graphql/mappers';
import { changeOf } from '../../../subgraphs/query/src/projection/changes';
import { mergeChanges, type ViewDoc } from '../../../subgraphs/query/src/views/view-doc';

const envelope = (version: number, type: EventEnvelope['type'], data: Record<string, unknown>): EventEnvelope =>
  ({
    id: `e${version}`,
    streamId: 'camera-c',
    version,
    position: version,
    type,
    schemaVersion: type === 'CameraRegistered' ? 2 : 1,
    occurredAt: '2026-01-01T00:00:00.000Z',
    recordedAt: '2026-01-01T00:00:00.000Z',
    data,
    metadata: { correlationId: 'c', causationId: null, actor: 'a' },
  }) as EventEnvelope;

const stream = [
  envelope(1, 'CameraRegistered', {
    cameraId: 'c',
    name: 'one',
    site: null,
    rtspUrl: 'rtsp://h/x',
    tags: [],
    recording: { enabled: false, retentionHours: 24 },
  }),
  envelope(2, 'CameraUpdated', { cameraId: 'c', recording: { enabled: true, retentionHours: 72 } }),
  envelope(3, 'CameraUpdated', { cameraId: 'c', name: 'two' }),
];

const apply = (envelopes: EventEnvelope[]) => envelopes.reduce<ViewDoc | undefined>((doc, e) => mergeChanges(doc, [changeOf(e)]) ?? doc, undefined);

describe('camera view: recording settings', () => {
  it('keeps the latest recording whatever the delivery order, and an update without it leaves it', () => {
    for (const order of [stream, [...stream].reverse(), [stream[1]!, stream[2]!, stream[0]!, stream[1]!]]) {
      const camera = toCamera(apply(order)!);
      expect(camera.recording).toEqual({ enabled: true, retentionHours: 72 });
      expect(camera.name).toBe('two');
    }
  });

  it('answers the registered settings before any update', () => {
    expect(toCamera(apply([stream[0]!])!).recording).toEqual({ enabled: false, retentionHours: 24 });
  });

  it('reads a document projected before recording existed as not recorded, 24 hours', () => {
    const old = { id: 'c', version: 1, position: 1, applied: [1], hasRecord: true, fv: {}, name: 'Gate', rtspUrl: 'rtsp://h/x', status: 'ACTIVE' } as ViewDoc;
    expect(toCamera(old).recording).toEqual({ enabled: false, retentionHours: 24 });
  });
});
