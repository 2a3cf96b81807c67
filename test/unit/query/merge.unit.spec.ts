import type { EventEnvelope } from '../../../lib/events/envelope';
import { changeOf } from '../../../subgraphs/query/src/projection/changes';
import { mergeChanges, type ViewDoc } from '../../../subgraphs/query/src/views/view-doc';

const envelope = (
  streamId: string,
  version: number,
  position: number,
  type: EventEnvelope['type'],
  data: Record<string, unknown>,
  recordedAt = `2026-01-01T00:0${version}:00.000Z`,
): EventEnvelope =>
  ({
    id: `e${position}`,
    streamId,
    version,
    position,
    type,
    schemaVersion: 1,
    occurredAt: recordedAt,
    recordedAt,
    data,
    metadata: { correlationId: 'c', causationId: null, actor: 'a' },
  }) as EventEnvelope;

const incident = [
  envelope('event-x', 1, 10, 'EventRecorded', {
    eventId: 'x',
    cameraId: 'c',
    type: 'motion',
    severity: 'LOW',
    occurredAt: '2026-01-01T00:00:00Z',
    source: 's',
    attributes: { zone: 'a' },
  }),
  envelope('event-x', 2, 20, 'EventAcknowledged', { eventId: 'x', cameraId: 'c', by: 'op', note: 'n' }),
  envelope('event-x', 3, 30, 'EventResolved', { eventId: 'x', cameraId: 'c', by: 'op2', note: null }),
];
const cameraStream = [
  envelope('camera-c', 1, 1, 'CameraRegistered', { cameraId: 'c', name: 'one', site: 's', rtspUrl: 'rtsp://u:p@h/x', tags: [] }),
  envelope('camera-c', 2, 2, 'CameraUpdated', { cameraId: 'c', name: 'two' }),
  envelope('camera-c', 3, 3, 'CameraUpdated', { cameraId: 'c', tags: ['t'] }),
  envelope('camera-c', 4, 4, 'CameraDecommissioned', { cameraId: 'c' }),
];

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** Applies one change at a time, as separate deliveries would. */
const applyOneByOne = (envelopes: EventEnvelope[]): ViewDoc | undefined =>
  envelopes.reduce<ViewDoc | undefined>((doc, e) => mergeChanges(doc, [changeOf(e)]) ?? doc, undefined);

describe('order-free merge of view documents', () => {
  it('gives the same event document for every delivery order, with duplicates', () => {
    const expected = applyOneByOne(incident);
    expect(expected).toMatchObject({
      status: 'RESOLVED',
      version: 3,
      position: 30,
      applied: [1, 2, 3],
      hasRecord: true,
      acknowledgedBy: 'op',
      resolvedBy: 'op2',
      ackSeconds: 60,
      resolveSeconds: 120,
    });
    for (const order of permutations(incident)) {
      expect(applyOneByOne([...order, ...order.slice(0, 2)])).toEqual(expected);
    }
  });

  it('gives the same camera document for every delivery order, credentials masked', () => {
    const expected = applyOneByOne(cameraStream);
    expect(expected).toMatchObject({ name: 'two', tags: ['t'], status: 'DECOMMISSIONED', version: 4 });
    expect(String(expected?.rtspUrl)).not.toContain(':p@');
    for (const order of permutations(cameraStream)) expect(applyOneByOne(order)).toEqual(expected);
  });

  it('is invisible until its creating event is applied, and reports no change on a repeat', () => {
    const early = applyOneByOne([incident[1]!]);
    expect(early?.hasRecord).toBe(false);
    const full = applyOneByOne(incident);
    expect(mergeChanges(full, [changeOf(incident[0]!)])).toBeUndefined();
  });
});
