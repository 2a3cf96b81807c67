import { upcast } from '../../../lib/event-store/upcasters';
import type { EventEnvelope } from '../../../lib/events/envelope';

const v1 = {
  id: 'x',
  streamId: 'event-e1',
  version: 1,
  position: 7,
  type: 'EventRecorded',
  schemaVersion: 1,
  occurredAt: '2025-01-01T00:00:00.000Z',
  recordedAt: '2025-01-01T00:00:01.000Z',
  data: { eventId: 'e1', cameraId: 'c1', type: 'motion', severity: 'LOW', occurredAt: '2025-01-01T00:00:00.000Z', attributes: null },
  metadata: { correlationId: 'c', causationId: null, actor: 'a' },
} as unknown as EventEnvelope;

const cameraV1 = {
  ...v1,
  streamId: 'camera-c1',
  type: 'CameraRegistered',
  data: { cameraId: 'c1', name: 'Gate', site: null, rtspUrl: 'rtsp://127.0.0.1/g', tags: [] },
} as unknown as EventEnvelope;

describe('upcasting on read', () => {
  it('lifts a v1 CameraRegistered (before recording existed) to v2, not recorded, 24 hours', () => {
    const lifted = upcast(cameraV1);
    expect(lifted.schemaVersion).toBe(2);
    expect(lifted.data).toEqual({ ...cameraV1.data, recording: { enabled: false, retentionHours: 24 } });
    expect(cameraV1.data).not.toHaveProperty('recording');
  });

  it('leaves the recording of a current CameraRegistered as it was written', () => {
    const current = { ...cameraV1, schemaVersion: 2, data: { ...cameraV1.data, recording: { enabled: true, retentionHours: 5 } } } as EventEnvelope;
    expect(upcast(current)).toBe(current);
  });

  it('lifts a v1 EventRecorded (before ingestion existed) to v2 with source "graphql"', () => {
    const lifted = upcast(v1);
    expect(lifted.schemaVersion).toBe(2);
    expect(lifted.data).toEqual({ ...v1.data, source: 'graphql' });
    expect(v1.schemaVersion).toBe(1);
  });

  it('leaves a current event as it is', () => {
    const current = upcast(v1);
    expect(upcast(current)).toBe(current);
  });

  it('fails loudly when a step is missing', () => {
    expect(() => upcast(v1, {})).toThrow('no upcaster for EventRecorded v1');
  });
});
