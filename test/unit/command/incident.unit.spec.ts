import type { CameraState } from '../../../subgraphs/command/src/domain/camera';
import { decideIncident, evolveIncident, type IncidentState, type RecordEvent } from '../../../subgraphs/command/src/domain/incident';

const camera: CameraState = { id: 'c1', name: 'Gate', site: null, rtspUrl: 'rtsp://127.0.0.1/g', tags: [], status: 'ACTIVE' };
const record: RecordEvent = {
  kind: 'RecordEvent',
  eventId: 'e1',
  cameraId: 'c1',
  type: 'motion',
  severity: 'HIGH',
  occurredAt: '2026-01-01T00:00:00.000Z',
  source: 'graphql',
  attributes: null,
  camera,
};
const ack = { kind: 'AcknowledgeEvent' as const, eventId: 'e1', by: 'op', note: null };
const resolve = { kind: 'ResolveEvent' as const, eventId: 'e1', by: 'op', note: 'ok' };

const run = (state: IncidentState | null, command: Parameters<typeof decideIncident>[0]) => evolveIncident(state, decideIncident(command, state));

describe('event (incident) aggregate', () => {
  it('goes OPEN -> ACKNOWLEDGED -> RESOLVED', () => {
    const open = run(null, record);
    expect(open?.status).toBe('OPEN');
    const acknowledged = run(open, ack);
    expect(acknowledged?.status).toBe('ACKNOWLEDGED');
    expect(run(acknowledged, resolve)?.status).toBe('RESOLVED');
  });

  it('resolves straight from OPEN', () => {
    expect(run(run(null, record), resolve)?.status).toBe('RESOLVED');
  });

  it('acknowledges only OPEN and resolves only OPEN or ACKNOWLEDGED', () => {
    const acknowledged = run(run(null, record), ack);
    expect(() => decideIncident(ack, acknowledged)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    const resolved = run(acknowledged, resolve);
    expect(() => decideIncident(resolve, resolved)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => decideIncident(ack, resolved)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('refuses events for unknown or decommissioned cameras, and lifecycle commands on unknown events', () => {
    expect(() => decideIncident({ ...record, camera: null }, null)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => decideIncident({ ...record, camera: { ...camera, status: 'DECOMMISSIONED' } }, null)).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT' }),
    );
    expect(() => decideIncident(ack, null)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('carries who acknowledged and the note', () => {
    const event = decideIncident({ ...ack, note: 'seen' }, run(null, record));
    expect(event).toEqual({ type: 'EventAcknowledged', data: { eventId: 'e1', cameraId: 'c1', by: 'op', note: 'seen' } });
  });
});
