/**
 * An event's clip in a real browser: a recorded camera, an event, its clip READY, and the event's
 * detail panel playing the clip (an MP4 through the gateway's /clips) in Chromium; the camera card
 * says it records.
 */
import { startTestCamera, type TestCamera } from './support/camera';
import { type Harness, startHarness } from './support/dashboard-harness';
import type { BrowserGlobals } from './support/browser-globals';

jest.setTimeout(180000);

describe('event clip (browser)', () => {
  let h: Harness;
  let camera: TestCamera;

  beforeAll(async () => {
    camera = await startTestCamera();
    h = await startHarness('clip', { CLIP_PRE_SECONDS: '3', CLIP_POST_SECONDS: '3' });
  });
  afterAll(async () => {
    await h?.close();
    await camera?.stop();
  });

  it('plays the clip of an event in its detail panel', async () => {
    const registered = await h.stack.graphql<{ registerCamera: { id: string; position: string } }>(
      'mutation ($input: RegisterCameraInput!) { registerCamera(input: $input) { id position } }',
      { input: { name: 'Recorded gate', site: 'Yard', rtspUrl: camera.url('recorded-gate'), recording: { enabled: true } } },
      'admin',
    );
    expect(registered.errors).toBeUndefined();
    const cameraId = registered.data!.registerCamera.id;
    await h.waitUntil(async () => {
      const result = await h.stack.graphql<{ camera: { recorder: { state: string; oldest: string | null } | null } | null }>(
        'query ($id: ID!) { camera(id: $id) { recorder { state oldest } } }',
        { id: cameraId },
        'viewer',
      );
      // The clip's window (3 s before the event) must be recorded already.
      const recorder = result.data?.camera?.recorder;
      return recorder?.state === 'RECORDING' && recorder.oldest !== null && Date.parse(recorder.oldest) < Date.now() - 5000;
    }, 60000);
    const recorded = await h.stack.graphql<{ recordEvent: { id: string } }>(
      'mutation ($input: RecordEventInput!) { recordEvent(input: $input) { id } }',
      { input: { cameraId, type: 'intrusion', severity: 'HIGH', occurredAt: new Date(Date.now() + 500).toISOString() } },
      'operator',
    );
    expect(recorded.errors).toBeUndefined();
    const eventId = recorded.data!.recordEvent.id;
    await h.waitUntil(async () => {
      const result = await h.stack.graphql<{ event: { clip: { status: string } | null } | null }>(
        'query ($id: ID!) { event(id: $id) { clip { status } } }',
        { id: eventId },
        'viewer',
      );
      return result.data?.event?.clip?.status === 'READY';
    }, 60000);

    await h.openAs('operator', 'olga');
    await h.page.locator(`article[data-camera-id="${cameraId}"] .recorder[data-recorder="RECORDING"]`).waitFor({ timeout: 30000 });
    await h.page.goto(`${h.stack.baseUrl}/?event=${eventId}`);
    const video = h.page.locator('#event-detail .clip[data-clip="ready"] video');
    await video.waitFor({ timeout: 30000 });
    // Muted, so Chromium lets it play without a user gesture.
    await video.evaluate((element) => {
      const player = element as unknown as { muted: boolean; play(): Promise<void> };
      player.muted = true;
      void player.play();
    });
    await h.page.waitForFunction(
      () => ((globalThis as unknown as BrowserGlobals).document.querySelector('#event-detail .clip video')?.currentTime ?? 0) > 0.5,
      undefined,
      { timeout: 30000 },
    );
    await h.shot('event-clip');
    expect(h.pageErrors).toEqual([]);
  });
});
