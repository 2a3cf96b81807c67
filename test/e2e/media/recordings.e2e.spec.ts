import { probeRecording, waitFor } from '../../int/media/media-harness';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { registerCamera } from '../../support/media-api';
import { startStack, type Stack } from '../../support/stack';

interface Clip {
  status: string;
  from: string;
  to: string;
  hlsUrl: string | null;
  mp4Url: string | null;
  reason: string | null;
}

/**
 * Recordings as an operator uses them, through the gateway: a camera registered with recording is
 * recorded, an event of it gets a clip that plays (MP4 and HLS) through the gateway's /clips, an
 * event from before the recording is UNAVAILABLE, and the camera's outage becomes one
 * camera.offline event and one camera.online event, searchable like any other.
 */
describe('recordings and event clips through the gateway', () => {
  let stack: Stack;
  let camera: RtspCamera;

  beforeAll(async () => {
    [stack, camera] = await Promise.all([
      startStack({ label: 'recordings', env: { CLIP_PRE_SECONDS: '3', CLIP_POST_SECONDS: '3', CAMERA_OFFLINE_SECONDS: '5' } }),
      startRtspCamera(),
    ]);
  }, 120000);
  afterAll(async () => {
    await stack?.stop();
    await camera?.stop();
  });

  const register = (name: string, recording: boolean) =>
    registerCamera(stack, { name, rtspUrl: camera.url(name), recording: { enabled: recording, retentionHours: 2 } });
  const recordEvent = async (cameraId: string, occurredAt: Date, type = 'intrusion') => {
    const result = await stack.graphql<{ recordEvent: { id: string; position: string } }>(
      'mutation($input: RecordEventInput!) { recordEvent(input: $input) { id position } }',
      { input: { cameraId, type, severity: 'HIGH', occurredAt: occurredAt.toISOString() } },
      'operator',
    );
    expect(result.errors).toBeUndefined();
    return result.data!.recordEvent;
  };
  const clipOf = async (id: string, position: string) =>
    (
      await stack.graphql<{ event: { clip: Clip | null } | null }>(
        'query($id: ID!, $min: String) { event(id: $id, minPosition: $min) { clip { status from to hlsUrl mp4Url reason } } }',
        { id, min: position },
        'viewer',
      )
    ).data?.event?.clip;

  it('records a camera and gives its events a clip that plays through the gateway', async () => {
    const { id: cameraId, position } = await register('recorded', true);
    const recorder = await waitFor(
      'recorder RECORDING',
      async () => {
        const result = await stack.graphql<{
          camera: { recording: { enabled: boolean }; recorder: { state: string; bytes: number; oldest: string | null } | null } | null;
        }>(
          'query($id: ID!, $min: String) { camera(id: $id, minPosition: $min) { recording { enabled } recorder { state bytes oldest } } }',
          { id: cameraId, min: position },
          'viewer',
        );
        const found = result.data?.camera;
        // The clip's window (3 s before the event) must be recorded already.
        const recorded = found?.recorder?.state === 'RECORDING' && found.recorder.bytes > 0 && found.recorder.oldest !== null;
        return recorded && Date.parse(found.recorder!.oldest!) < Date.now() - 5000 ? found : undefined;
      },
      60000,
    );
    expect(recorder.recording.enabled).toBe(true);

    const event = await recordEvent(cameraId, new Date(Date.now() + 500));
    const ready = await waitFor(
      'clip READY',
      async () => {
        const clip = await clipOf(event.id, event.position);
        return clip?.status === 'READY' ? clip : undefined;
      },
      60000,
    );
    expect(Date.parse(ready.to) - Date.parse(ready.from)).toBe(6000);
    expect(ready.mp4Url!.startsWith(`${stack.baseUrl}/clips/${event.id}/clip.mp4?exp=`)).toBe(true);
    expect(Math.abs((await probeRecording(ready.mp4Url!)).duration - 6)).toBeLessThanOrEqual(2);
    const hls = await probeRecording(ready.hlsUrl!);
    expect(hls.frames).toBeGreaterThan(0);
    expect(Math.abs(hls.duration - 6)).toBeLessThanOrEqual(2);
    const tampered = ready.mp4Url!.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await fetch(tampered)).status).toBe(403);

    const early = await recordEvent(cameraId, new Date(Date.now() - 3_600_000));
    const unavailable = await waitFor('clip UNAVAILABLE', async () => {
      const clip = await clipOf(early.id, early.position);
      return clip?.status === 'UNAVAILABLE' ? clip : undefined;
    });
    expect(unavailable.reason).toMatch(/before the oldest recorded video/);
    expect(unavailable.mp4Url).toBeNull();

    const { id: plainCamera } = await register('not-recorded', false);
    const plain = await recordEvent(plainCamera, new Date());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await clipOf(plain.id, plain.position)).toBeNull();
  }, 180000);

  it('turns an outage of a recorded camera into one camera.offline and, once back, one camera.online', async () => {
    const { id: cameraId, position } = await register('flaky-recorded', true);
    await waitFor(
      'recorder RECORDING',
      async () =>
        (
          await stack.graphql<{ camera: { recorder: { state: string } | null } | null }>(
            'query($id: ID!, $min: String) { camera(id: $id, minPosition: $min) { recorder { state } } }',
            { id: cameraId, min: position },
            'viewer',
          )
        ).data?.camera?.recorder?.state === 'RECORDING',
      60000,
    );
    const health = async () =>
      (
        await stack.graphql<{ events: { edges: Array<{ node: { type: string; severity: string; source: string } }> } }>(
          'query($f: EventFilter) { events(filter: $f, first: 10) { edges { node { type severity source } } } }',
          { f: { cameraIds: [cameraId], types: ['camera.offline', 'camera.online'] } },
          'viewer',
        )
      ).data?.events.edges.map((edge) => edge.node) ?? [];
    await camera.stop();
    try {
      await waitFor('camera.offline stored', async () => (await health()).some((e) => e.type === 'camera.offline'), 60000);
      await new Promise((resolve) => setTimeout(resolve, 6000));
      expect(await health()).toEqual([{ type: 'camera.offline', severity: 'HIGH', source: 'media' }]);
    } finally {
      await camera.start();
    }
    await waitFor('camera.online stored', async () => (await health()).some((e) => e.type === 'camera.online'), 60000);
    expect((await health()).map((e) => e.type).sort()).toEqual(['camera.offline', 'camera.online']);
  }, 180000);
});
