import { randomUUID } from 'node:crypto';
import type { AppendCandidate } from '../../../lib/event-store/event-store';
import { toCamera } from '../../../subgraphs/query/src/graphql/mappers';
import { MAPPINGS } from '../../../subgraphs/query/src/views/mappings';
import { ReadSideHarness } from './harness';

const metadata = { correlationId: 'c', causationId: null, actor: 'test' };
const candidate = (cameraId: string, version: number, event: AppendCandidate['event']): AppendCandidate => ({
  streamId: `camera-${cameraId}`,
  version,
  id: randomUUID(),
  occurredAt: new Date().toISOString(),
  metadata,
  event,
});

// A camera view made by a version before recording existed: the projector adds the field to the
// index in place (the strict mapping would refuse it otherwise), and its old documents read as not recorded.
describe('camera view: recording settings on a view made before them', () => {
  const h = new ReadSideHarness('recview');
  const legacyId = `legacy-${randomUUID()}`;

  beforeAll(async () => {
    await h.start({ projectors: 0 });
    const { recording: _added, ...oldProperties } = (MAPPINGS.cameras as { properties: Record<string, unknown> }).properties;
    await h.elastic.indices.create({
      index: h.names.newIndex('cameras', 1),
      mappings: { dynamic: 'strict', properties: oldProperties } as never,
      aliases: { [h.names.alias('cameras')]: { is_write_index: true } },
    });
    const legacy = {
      id: legacyId,
      version: 1,
      position: 1,
      applied: [1],
      hasRecord: true,
      fv: {},
      name: 'Old',
      site: null,
      rtspUrl: 'rtsp://127.0.0.1/old',
      tags: [],
    };
    await h.elastic.index({
      index: h.names.alias('cameras'),
      id: legacyId,
      document: { ...legacy, status: 'ACTIVE', registeredAt: '2025-01-01T00:00:00.000Z' },
      refresh: true,
    });
    await h.addProjector();
  });
  afterAll(() => h.stop());

  it('projects the registered and updated settings into the old index, and answers the old document as not recorded', async () => {
    const cameraId = randomUUID();
    const written = await h.write([
      candidate(cameraId, 1, {
        type: 'CameraRegistered',
        data: { cameraId, name: 'Gate', site: null, rtspUrl: 'rtsp://127.0.0.1/g', tags: [], recording: { enabled: true, retentionHours: 12 } },
      }),
    ]);
    await h.caughtUp(written[0]!.position);
    expect(toCamera((await h.reader.getMany('cameras', [cameraId])).get(cameraId)!).recording).toEqual({ enabled: true, retentionHours: 12 });

    const updated = await h.write([candidate(cameraId, 2, { type: 'CameraUpdated', data: { cameraId, recording: { enabled: false, retentionHours: 48 } } })]);
    await h.caughtUp(updated[0]!.position);
    const docs = await h.reader.getMany('cameras', [cameraId, legacyId]);
    expect(toCamera(docs.get(cameraId)!).recording).toEqual({ enabled: false, retentionHours: 48 });
    expect(toCamera(docs.get(legacyId)!)).toMatchObject({ name: 'Old', recording: { enabled: false, retentionHours: 24 } });
  });
});
