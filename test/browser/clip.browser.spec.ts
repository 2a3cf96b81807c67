/**
 * Recordings in a real browser: a recorded camera, an event, its clip READY and played in Chromium
 * (an MP4 through the gateway's /clips) from the event's detail panel and inline in the event feed,
 * one player at a time; a PENDING and an UNAVAILABLE clip said so in the feed; a recorded camera
 * nobody can reach marked offline on its card and counted in the header.
 */
import type { BrowserGlobals } from './support/browser-globals';
import { startTestCamera, type TestCamera } from './support/camera';
import { type Harness, startHarness } from './support/dashboard-harness';
import { freePort } from '../support/ports';

jest.setTimeout(240000);

describe('recordings and clips (browser)', () => {
  let h: Harness;
  let camera: TestCamera;
  let cameraId: string;
  let deadCameraId: string;
  let readyEventId: string;

  const registerRecorded = async (name: string, rtspUrl: string): Promise<string> => {
    const registered = await h.stack.graphql<{ registerCamera: { id: string } }>(
      'mutation ($input: RegisterCameraInput!) { registerCamera(input: $input) { id } }',
      { input: { name, site: 'Yard', rtspUrl, recording: { enabled: true } } },
      'admin',
    );
    expect(registered.errors).toBeUndefined();
    return registered.data!.registerCamera.id;
  };
  const recordEvent = async (type: string, occurredAt: Date): Promise<string> => {
    const recorded = await h.stack.graphql<{ recordEvent: { id: string } }>(
      'mutation ($input: RecordEventInput!) { recordEvent(input: $input) { id } }',
      { input: { cameraId, type, severity: 'HIGH', occurredAt: occurredAt.toISOString() } },
      'operator',
    );
    expect(recorded.errors).toBeUndefined();
    return recorded.data!.recordEvent.id;
  };
  const clipStatusOf = async (eventId: string): Promise<string | undefined> => {
    const result = await h.stack.graphql<{ event: { clip: { status: string } | null } | null }>(
      'query ($id: ID!) { event(id: $id) { clip { status } } }',
      { id: eventId },
      'viewer',
    );
    return result.data?.event?.clip?.status;
  };
  const playingTime = (selector: string) =>
    h.page.waitForFunction((css) => ((globalThis as unknown as BrowserGlobals).document.querySelector(css)?.currentTime ?? 0) > 0.5, selector, {
      timeout: 30000,
    });

  beforeAll(async () => {
    camera = await startTestCamera();
    // Offline after 5 s unreachable (the shortest allowed), so the outage's camera.offline event comes soon.
    h = await startHarness('clip', { CLIP_PRE_SECONDS: '3', CLIP_POST_SECONDS: '3', CAMERA_OFFLINE_SECONDS: '5' });
    cameraId = await registerRecorded('Recorded gate', camera.url('recorded-gate'));
    // Recorded, but nothing listens on its port: its recorder never reaches it.
    deadCameraId = await registerRecorded('Dead gate', `rtsp://127.0.0.1:${await freePort()}/dead`);
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
    readyEventId = await recordEvent('intrusion', new Date(Date.now() + 500));
    await h.waitUntil(async () => (await clipStatusOf(readyEventId)) === 'READY', 60000);
  });
  afterAll(async () => {
    await h?.close();
    await camera?.stop();
  });

  it('plays the clip of an event in its detail panel', async () => {
    await h.openAs('operator', 'olga');
    await h.page.locator(`article[data-camera-id="${cameraId}"] .recorder[data-recorder="RECORDING"]`).waitFor({ timeout: 30000 });
    await h.page.goto(`${h.stack.baseUrl}/?event=${readyEventId}`);
    const video = h.page.locator('#event-detail .clip[data-clip="ready"] video');
    await video.waitFor({ timeout: 30000 });
    // Muted, so Chromium lets it play without a user gesture.
    await video.evaluate((element) => {
      const player = element as unknown as { muted: boolean; play(): Promise<void> };
      player.muted = true;
      void player.play();
    });
    await playingTime('#event-detail .clip video');
    await h.shot('event-clip');
    expect(h.pageErrors).toEqual([]);
  });

  it('plays a clip inline in the event feed, one player at a time, and says when a clip is pending or unavailable', async () => {
    // Its window ends in an hour: PENDING until then. Long before the camera was recorded: UNAVAILABLE.
    const pendingEventId = await recordEvent('loitering', new Date(Date.now() + 3_600_000));
    const unavailableEventId = await recordEvent('tailgating', new Date(Date.now() - 3_600_000));
    await h.waitUntil(async () => (await clipStatusOf(pendingEventId)) === 'PENDING' && (await clipStatusOf(unavailableEventId)) === 'UNAVAILABLE', 30000);
    // In the feed's first page, with their clip status: an event the page only hears of live comes
    // without one (a recorded camera's shows as pending until opened).
    await h.waitUntil(async () => {
      const listed = await h.stack.graphql<{ events: { edges: Array<{ node: { id: string } }> } }>(
        '{ events(first: 50) { edges { node { id } } } }',
        {},
        'viewer',
      );
      const ids = new Set(listed.data?.events.edges.map((edge) => edge.node.id));
      return [readyEventId, pendingEventId, unavailableEventId].every((id) => ids.has(id));
    }, 30000);

    await h.openAs('operator', 'olga');
    const item = (id: string) => h.page.locator(`#event-feed li[data-event-id="${id}"]`);
    await item(unavailableEventId).locator('.clip-badge[data-clip="unavailable"]').filter({ hasText: 'No clip: ' }).waitFor({ timeout: 30000 });
    await item(pendingEventId).locator('button.clip-badge[data-clip="pending"]').waitFor();

    await item(readyEventId).locator('button.clip-badge[data-clip="ready"]').click();
    const feedVideo = `#event-feed li[data-event-id="${readyEventId}"] #feed-clip .clip[data-clip="ready"] video`;
    await h.page.locator(feedVideo).waitFor({ timeout: 30000 });
    await playingTime(feedVideo);
    await h.shot('feed-clip');

    // Opening another event's clip closes the first: one player in the feed, whatever its length.
    await item(pendingEventId).locator('button.clip-badge').click();
    await item(pendingEventId).locator('#feed-clip .clip[data-clip="pending"]').waitFor({ timeout: 30000 });
    expect(await h.page.locator('#event-feed video').count()).toBe(0);
    expect(await h.page.locator('#feed-clip').count()).toBe(1);
    expect(h.pageErrors).toEqual([]);
  });

  it('says the video service is not answering, rather than "not recorded", when a clip cannot be read', async () => {
    await h.openAs('operator', 'olga');
    const marker = h.page.locator(`#event-feed li[data-event-id="${readyEventId}"] button.clip-badge[data-clip="ready"]`);
    await marker.waitFor({ timeout: 30000 });
    const media = h.stack.processes.get('media')!;
    const gone = new Promise((resolve) => media.once('exit', resolve));
    media.kill('SIGKILL');
    await gone;
    try {
      await marker.click();
      await h.page.locator('#feed-clip [data-clip="error"]').waitFor({ timeout: 30000 });
      expect(await h.page.locator('#feed-clip [data-clip="none"]').count()).toBe(0);
    } finally {
      await h.stack.startService('media');
    }
    expect(h.pageErrors).toEqual([]);
  });

  it('marks a recorded camera that cannot be reached as offline, on its card and in the header', async () => {
    await h.openAs('viewer', 'vera');
    const dead = h.page.locator(`article[data-camera-id="${deadCameraId}"]`);
    await h.page.locator(`article[data-camera-id="${deadCameraId}"][data-offline="true"]`).waitFor({ timeout: 60000 });
    await dead.locator('.recorder').filter({ hasText: 'Offline' }).waitFor();
    await h.page.locator('#offline-count[data-count="1"]').filter({ hasText: '1 camera offline' }).waitFor();
    expect(await h.page.locator(`article[data-camera-id="${cameraId}"]`).getAttribute('data-offline')).toBe('false');
    await h.shot('offline-camera');
    expect(h.pageErrors).toEqual([]);
  });
});
