/**
 * The camera wall in a real browser against the real stack and a real RTSP camera: a 2×2 wall
 * starts the streams of the tiles on screen only, plays them, and lets go of a tile scrolled away
 * (the media service then stops the session nobody watches).
 */
import { startTestCamera, type TestCamera } from './support/camera';
import { type Harness, startHarness } from './support/dashboard-harness';
import type { BrowserGlobals } from './support/browser-globals';

jest.setTimeout(180000);

describe('camera wall (browser)', () => {
  let h: Harness;
  let camera: TestCamera;
  const ids = ['wall-a', 'wall-b', 'wall-c', 'wall-d'];

  const liveStatus = async (id: string) =>
    (
      await h.stack.graphql<{ camera: { liveStream: { status: string } | null } }>(
        'query ($id: ID!) { camera(id: $id) { liveStream { status } } }',
        { id },
        'viewer',
      )
    ).data?.camera.liveStream?.status ?? 'NONE';

  beforeAll(async () => {
    camera = await startTestCamera();
    // A short idle timeout: a stream nobody plays stops within seconds.
    h = await startHarness('camera-wall', { MEDIA_IDLE_TIMEOUT_SECONDS: '5' });
    let position = '0';
    for (const [index, id] of ids.entries()) {
      const registered = await h.stack.graphql<{ registerCamera: { position: string } }>(
        'mutation ($input: RegisterCameraInput!) { registerCamera(input: $input) { position } }',
        { input: { id, name: `Wall ${String.fromCharCode(65 + index)}`, site: 'Wall yard', rtspUrl: camera.url(id) } },
        'admin',
      );
      expect(registered.errors).toBeUndefined();
      position = registered.data!.registerCamera.position;
    }
    const seen = await h.stack.graphql('query ($p: String) { cameras(first: 0, minPosition: $p) { totalCount } }', { p: position }, 'viewer');
    expect(seen.errors).toBeUndefined();
  });

  afterAll(async () => {
    await h?.close();
    await camera?.stop();
  });

  it('starts and plays only the tiles on screen, and lets go of a tile scrolled away', async () => {
    const { page } = h;
    // Short enough that the wall's second row starts below the fold.
    await page.setViewportSize({ width: 1280, height: 560 });
    await h.openAs('operator', 'olga');
    // As cards (three a row), the first three are on screen and nothing starts by itself.
    for (const id of ['wall-a', 'wall-b', 'wall-c']) await page.locator(`article[data-camera-id="${id}"][data-on-screen="true"]`).waitFor();
    expect(await liveStatus('wall-c')).toBe('NONE');
    // As a 2×2 wall, wall-c moves to the second row, below the fold: it must not start.
    await page.getByRole('region', { name: 'Cameras' }).getByLabel('Layout', { exact: true }).selectOption('2x2');
    expect(page.url()).toContain('layout=2x2');
    const tile = (id: string) => page.locator(`article[data-camera-id="${id}"]`);
    await tile('wall-a').waitFor();
    // The first row is on screen: its streams start and play.
    for (const id of ['wall-a', 'wall-b']) await page.locator(`article[data-camera-id="${id}"][data-playing="true"]`).waitFor({ timeout: 60000 });
    await page.waitForFunction(
      (id) => ((globalThis as unknown as BrowserGlobals).document.querySelector(`video[data-camera-id="${id}"]`)?.currentTime ?? 0) > 0.5,
      'wall-a',
      {
        timeout: 60000,
      },
    );
    // The second row is below the fold: nothing was started for it.
    expect(await liveStatus('wall-c')).toBe('NONE');
    expect(await liveStatus('wall-d')).toBe('NONE');
    expect(await tile('wall-c').getAttribute('data-playing')).toBe('false');

    // Scroll the second row into view and the first out of it.
    await page.evaluate(() => {
      const g = globalThis as unknown as { document: { querySelector(s: string): { scrollIntoView(o: unknown): void } | null } };
      g.document.querySelector('article[data-camera-id="wall-c"]')?.scrollIntoView({ block: 'start' });
    });
    for (const id of ['wall-c', 'wall-d']) await page.locator(`article[data-camera-id="${id}"][data-playing="true"]`).waitFor({ timeout: 60000 });
    await page.locator('article[data-camera-id="wall-a"][data-playing="false"]').waitFor();
    // Nobody plays wall-a any more: the media service stops its session by itself.
    await h.waitUntil(async () => (await liveStatus('wall-a')) === 'NONE', 60000);
    await h.shot('wall-2x2');
    expect(h.pageErrors).toEqual([]);
  });
});
