import { CameraStore, type CameraRepository } from '../../../subgraphs/media/src/cameras/camera-store';
import { cameraEnvelope } from './camera-envelope';
import { evolveCamera, type MediaCamera } from '../../../subgraphs/media/src/cameras/media-camera';

const registered = (version = 1, rtspUrl = 'rtsp://u:p@127.0.0.1:1/a') =>
  cameraEnvelope('CameraRegistered', version, { cameraId: 'c1', name: 'n', site: null, rtspUrl, tags: [] });

describe('evolveCamera', () => {
  it('registers, updates the URL, and decommissions in version order', () => {
    let camera = evolveCamera(undefined, registered());
    expect(camera).toEqual({ id: 'c1', rtspUrl: 'rtsp://u:p@127.0.0.1:1/a', status: 'ACTIVE', recording: { enabled: false, retentionHours: 24 }, version: 1 });
    camera = evolveCamera(camera, cameraEnvelope('CameraUpdated', 2, { cameraId: 'c1', name: 'renamed' }));
    expect(camera?.rtspUrl).toBe('rtsp://u:p@127.0.0.1:1/a');
    camera = evolveCamera(camera, cameraEnvelope('CameraUpdated', 3, { cameraId: 'c1', rtspUrl: 'rtsp://127.0.0.1:2/b' }));
    expect(camera?.rtspUrl).toBe('rtsp://127.0.0.1:2/b');
    camera = evolveCamera(camera, cameraEnvelope('CameraDecommissioned', 4, { cameraId: 'c1' }));
    expect(camera).toMatchObject({ status: 'DECOMMISSIONED', version: 4, rtspUrl: 'rtsp://127.0.0.1:2/b' });
  });

  it('ignores repeats and older versions (at-least-once delivery)', () => {
    const v3 = evolveCamera(undefined, cameraEnvelope('CameraUpdated', 3, { cameraId: 'c1', rtspUrl: 'rtsp://127.0.0.1:2/b' }));
    expect(evolveCamera(v3, registered(1))).toBe(v3);
    expect(evolveCamera(v3, cameraEnvelope('CameraUpdated', 3, { cameraId: 'c1', rtspUrl: 'rtsp://x/y' }))).toBe(v3);
  });

  it('cannot know a camera from an update without a URL', () => {
    expect(evolveCamera(undefined, cameraEnvelope('CameraUpdated', 2, { cameraId: 'c1', name: 'n' }))).toBeUndefined();
  });
});

describe('CameraStore', () => {
  it('stores before it answers, and tells listeners of changes only', async () => {
    const saved: MediaCamera[] = [];
    const repository: CameraRepository = { all: async () => [], save: async (camera) => void saved.push(camera) };
    const store = new CameraStore(repository);
    const seen: string[] = [];
    store.onChange((camera) => seen.push(`${camera.id}@${camera.version}`));
    expect(await store.apply(registered(1))).toBe(true);
    expect(await store.apply(registered(1))).toBe(false);
    expect(saved).toHaveLength(1);
    expect(seen).toEqual(['c1@1']);
    expect(store.get('c1')?.status).toBe('ACTIVE');
  });

  it('keeps its memory unchanged when the store fails, so the event is retried', async () => {
    const store = new CameraStore({ all: async () => [], save: async () => Promise.reject(new Error('down')) });
    await expect(store.apply(registered(1))).rejects.toThrow('down');
    expect(store.get('c1')).toBeUndefined();
  });

  it('knows whether a camera records: off unless its events say so, changed by an update, off once decommissioned', () => {
    let camera = evolveCamera(
      undefined,
      cameraEnvelope('CameraRegistered', 1, {
        cameraId: 'c1',
        name: 'n',
        site: null,
        rtspUrl: 'rtsp://127.0.0.1:1/a',
        tags: [],
        recording: { enabled: true, retentionHours: 48 },
      }),
    );
    expect(camera?.recording).toEqual({ enabled: true, retentionHours: 48 });
    camera = evolveCamera(camera, cameraEnvelope('CameraUpdated', 2, { cameraId: 'c1', name: 'renamed' }));
    expect(camera?.recording).toEqual({ enabled: true, retentionHours: 48 });
    camera = evolveCamera(camera, cameraEnvelope('CameraUpdated', 3, { cameraId: 'c1', recording: { enabled: false, retentionHours: 24 } }));
    expect(camera?.recording.enabled).toBe(false);
    camera = evolveCamera(camera, cameraEnvelope('CameraUpdated', 4, { cameraId: 'c1', recording: { enabled: true, retentionHours: 1 } }));
    expect(evolveCamera(camera, cameraEnvelope('CameraDecommissioned', 5, { cameraId: 'c1' }))?.recording.enabled).toBe(false);
  });
});
