/**
 * The operator's live flow in a real browser against the real stack, the real engines and a real
 * RTSP camera: watch a camera's video play, see a recorded event reach the feed and the charts,
 * acknowledge it, and be told when another operator got there first.
 */
import { randomUUID } from 'node:crypto';
import type { BrowserGlobals } from './support/browser-globals';
import { startTestCamera, type TestCamera } from './support/camera';
import { type FaultProxy, startFaultProxyFor } from '../support/fault-proxy';
import { freePort } from '../support/ports';
import { type Harness, LAPTOP, PHONE, startHarness } from './support/dashboard-harness';
import { ENGINE_URLS } from '../support/engine-urls';

jest.setTimeout(120000);

// The promise: a recorded event shows in the feed and the charts within 2 s.
const LIVE_WITHIN_MS = 2000;

describe('dashboard live flow (browser)', () => {
  let h: Harness;
  let camera: TestCamera;
  let elastic: FaultProxy;
  const cameraId = `cam-${randomUUID().slice(0, 8)}`;
  const cameraName = `Gate ${cameraId.slice(4)}`;
  const deadCameraId = `${cameraId}-dead`;
  const deadCameraName = `Dock ${cameraId.slice(4)}`;

  const registerCamera = async (id: string, name: string, rtspUrl: string) => {
    const registered = await h.stack.graphql<{ registerCamera: { position: string } }>(
      'mutation ($input: RegisterCameraInput!) { registerCamera(input: $input) { id version position } }',
      { input: { id, name, site: 'North yard', rtspUrl, tags: ['browser-test'] } },
      'admin',
    );
    expect(registered.errors).toBeUndefined();
    // Read our write before the page asks for the camera list.
    const seen = await h.stack.graphql(
      'query ($id: ID!, $p: String) { camera(id: $id, minPosition: $p) { id } }',
      { id, p: registered.data!.registerCamera.position },
      'viewer',
    );
    expect(seen.errors).toBeUndefined();
  };
  const recordEvent = async (type: string, severity: string) => {
    const result = await h.stack.graphql<{ recordEvent: { id: string; version: number; position: string } }>(
      'mutation ($input: RecordEventInput!) { recordEvent(input: $input) { id version position } }',
      { input: { id: randomUUID(), cameraId, type, severity, occurredAt: new Date().toISOString() } },
      'operator',
    );
    expect(result.errors).toBeUndefined();
    return result.data!.recordEvent;
  };
  const chartTotal = (chart: string) =>
    h.page.evaluate((id) => Number((globalThis as unknown as BrowserGlobals).document.querySelector(`#chart-${id}`)?.dataset.total ?? 0), chart);
  const videoTime = () =>
    h.page.evaluate((id) => (globalThis as unknown as BrowserGlobals).document.querySelector(`video[data-camera-id="${id}"]`)?.currentTime ?? 0, cameraId);
  const waitForVideoTime = (above: number, timeout: number) =>
    h.page.waitForFunction(
      ([id, t]) => ((globalThis as unknown as BrowserGlobals).document.querySelector(`video[data-camera-id="${id}"]`)?.currentTime ?? 0) > t,
      [cameraId, above] as const,
      { timeout },
    );

  beforeAll(async () => {
    camera = await startTestCamera();
    // One failed attempt fails a session, so the dead camera below shows FAILED at once.
    // Elasticsearch through a proxy the last test cuts: the page's "engine down" state, for real.
    elastic = await startFaultProxyFor(ENGINE_URLS.elasticsearch);
    h = await startHarness('live-flow', { MEDIA_MAX_RECONNECT_ATTEMPTS: '1', ELASTICSEARCH_URL: `http://127.0.0.1:${elastic.port}` });
    await registerCamera(cameraId, cameraName, camera.url(cameraId));
    // Nothing listens on this port: the camera is down.
    await registerCamera(deadCameraId, deadCameraName, `rtsp://127.0.0.1:${await freePort()}/${deadCameraId}`);
  });

  afterAll(async () => {
    await h?.close();
    await camera?.stop();
    await elastic?.close();
  });

  it('starts a camera from its tile and plays its live video (the video time advances)', async () => {
    const { page } = h;
    await h.openAs('operator', 'alice');
    await page.getByRole('button', { name: `Start ${cameraName}` }).click();
    await waitForVideoTime(0.5, 45000);
    await waitForVideoTime((await videoTime()) + 1, 15000);
    await page.locator(`article[data-camera-id="${cameraId}"] .badge[data-status="LIVE"]`).waitFor();
    await h.shot('laptop-live-video');
  });

  it('says so in words when a stream fails', async () => {
    await h.page.getByRole('button', { name: `Start ${deadCameraName}` }).click();
    const tile = h.page.locator(`article[data-camera-id="${deadCameraId}"][data-status="FAILED"]`);
    await tile.waitFor();
    expect(await tile.locator('.tile-note').textContent()).toMatch(/^Stream failed.*Start it again to retry\.$/);
    // The operator may try again: the button offers a start, not a stop.
    await tile.getByRole('button', { name: `Start ${deadCameraName}` }).waitFor();
  });

  it('shows a recorded event in the feed and the charts within 2 s', async () => {
    const { page } = h;
    await h.settled();
    const before = await chartTotal('histogram');
    const recorded = await recordEvent('intrusion', 'CRITICAL');
    await page.locator(`li[data-event-id="${recorded.id}"]`).waitFor({ timeout: LIVE_WITHIN_MS });
    await page.waitForFunction(
      (n) => Number((globalThis as unknown as BrowserGlobals).document.querySelector('#chart-histogram')?.dataset.total ?? 0) > n,
      before,
      { timeout: LIVE_WITHIN_MS },
    );
    expect(await chartTotal('by-severity')).toBeGreaterThan(0);
  });

  it('acknowledges an event from the page', async () => {
    const recorded = await recordEvent('person', 'MEDIUM');
    const item = h.page.locator(`li[data-event-id="${recorded.id}"]`);
    // By keyboard: the button takes focus and Enter presses it.
    await item.getByRole('button', { name: /^Acknowledge/ }).press('Enter');
    await h.page.locator(`li[data-event-id="${recorded.id}"][data-status="ACKNOWLEDGED"]`).waitFor();
    // The page showed the command's answer; the read model follows within its bounded lag.
    let stored: { status: string; acknowledgedBy: string | null } | undefined;
    for (let attempt = 0; attempt < 50 && stored?.status !== 'ACKNOWLEDGED'; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const answer = await h.stack.graphql<{ event: typeof stored }>(
        'query ($id: ID!) { event(id: $id) { status acknowledgedBy } }',
        { id: recorded.id },
        'viewer',
      );
      expect(answer.errors).toBeUndefined();
      stored = answer.data?.event;
    }
    expect(stored).toEqual({ status: 'ACKNOWLEDGED', acknowledgedBy: 'alice' });
  });

  it('explains a conflict when another operator acknowledged first', async () => {
    const recorded = await recordEvent('motion', 'LOW');
    const item = h.page.locator(`li[data-event-id="${recorded.id}"]`);
    await item.getByRole('button', { name: /^Acknowledge/ }).waitFor();
    const other = await h.stack.graphql('mutation ($id: ID!) { acknowledgeEvent(id: $id, note: "on it") { version } }', { id: recorded.id }, 'operator');
    expect(other.errors).toBeUndefined();
    await item.getByRole('button', { name: /^Acknowledge/ }).click();
    const message = h.page.locator(`li[data-event-id="${recorded.id}"] [role="alert"]`);
    await message.waitFor();
    expect(await message.textContent()).toMatch(/^Someone else got there first: this event was already acknowledged by test-operator\./);
    await h.page.locator(`li[data-event-id="${recorded.id}"][data-status="ACKNOWLEDGED"]`).waitFor();
    await h.shot('laptop-conflict');
  });

  it('is readable at phone width with live data', async () => {
    await h.page.setViewportSize(PHONE);
    await h.settled();
    await h.shot('phone-live');
    expect(await h.scrollWidth()).toBeLessThanOrEqual(PHONE.width);
    await h.page.setViewportSize(LAPTOP);
    expect(h.pageErrors).toEqual([]);
  });

  it('narrows the statistics to a chosen severity', async () => {
    const { page } = h;
    await page.getByLabel('Severity', { exact: true }).selectOption('CRITICAL');
    // One CRITICAL event was recorded above; the other severities drop out of the charts.
    await page.locator('#stat-figures[data-total="1"]').waitFor();
    expect(await chartTotal('by-severity')).toBe(1);
    await page.getByLabel('Severity', { exact: true }).selectOption('');
    await page.locator('#stat-figures[data-total="3"]').waitFor();
  });

  it('offers a viewer the live page without operator controls', async () => {
    await h.openAs('viewer', 'victor');
    await h.page.locator(`article[data-camera-id="${cameraId}"] .badge[data-status="LIVE"]`).waitFor();
    await h.page.locator('#event-feed li').first().waitFor();
    expect(await h.page.getByRole('button', { name: /^(Start|Stop|Acknowledge|Resolve|Rebuild)/ }).count()).toBe(0);
  });

  it('lets an admin rebuild a projection and shows it running again on a new index', async () => {
    const { page } = h;
    await h.openAs('admin', 'ada');
    const row = page.locator('tr[data-projection="events"]');
    await row.waitFor();
    const indexBefore = await row.locator('.cell-sub').textContent();
    await page.getByRole('button', { name: 'Rebuild events' }).click();
    await h.waitUntil(async () => (await row.getAttribute('data-state')) === 'RUNNING' && (await row.locator('.cell-sub').textContent()) !== indexBefore);
    expect(await row.locator('.cell-note').count()).toBe(0);
    await h.shot('laptop-admin-rebuilt');
  });

  it('stops a camera from its tile', async () => {
    await h.page.getByRole('button', { name: `Stop ${cameraName}` }).click();
    const tile = h.page.locator(`article[data-camera-id="${cameraId}"][data-status="STOPPED"]`);
    await tile.waitFor();
    await tile.getByRole('button', { name: `Start ${cameraName}` }).waitFor();
    // The server agrees: the camera has no live session any more.
    await h.waitUntil(async () => {
      const answer = await h.stack.graphql<{ camera: { liveStream: { status: string } | null } }>(
        'query ($id: ID!) { camera(id: $id) { liveStream { status } } }',
        { id: cameraId },
        'viewer',
      );
      return answer.data?.camera.liveStream === null;
    });
  });

  it('says the storage engine is down, keeping what it showed, when Elasticsearch is cut off', async () => {
    elastic.cut();
    try {
      await h.page.getByRole('button', { name: 'Refresh live events' }).click();
      await h.page.getByRole('region', { name: 'Live events' }).getByRole('status').filter({ hasText: 'storage engine behind Sightline is down' }).waitFor();
      expect(await h.page.locator('#event-feed li').count()).toBeGreaterThan(0);
      await h.shot('laptop-engine-down');
    } finally {
      elastic.restore();
    }
    // Back by itself once the engine answers again (the panel retries).
    await h.page.getByRole('region', { name: 'Live events' }).getByRole('status').filter({ hasText: 'storage engine' }).waitFor({ state: 'hidden' });
  });

  it('keeps showing cameras, with a clear message, when the video service is down', async () => {
    h.stack.processes.get('media')?.kill('SIGKILL');
    await h.page.getByRole('button', { name: 'Refresh cameras' }).click();
    await h.page
      .getByRole('region', { name: 'Cameras' })
      .getByRole('status')
      .filter({ hasText: 'video service is not answering: camera status is shown' })
      .waitFor();
    // No guessing: the tile says the state is unknown and offers no start it cannot keep.
    const tile = h.page.locator(`article[data-camera-id="${cameraId}"][data-status="UNKNOWN"]`);
    await tile.waitFor();
    expect(await tile.getByRole('button', { name: new RegExp(`^(Start|Stop) ${cameraName}$`) }).isDisabled()).toBe(true);
    await h.shot('laptop-media-down');
  });

  it('says in words that a service is down when the read side stops answering', async () => {
    h.stack.processes.get('query')?.kill('SIGKILL');
    await h.page.getByRole('button', { name: 'Refresh live events' }).click();
    await h.page.getByRole('region', { name: 'Live events' }).getByRole('status').filter({ hasText: 'A Sightline service is not answering' }).waitFor();
    await h.shot('laptop-query-down');
    expect(h.pageErrors).toEqual([]);
  });
});
