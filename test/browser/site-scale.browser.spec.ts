/**
 * The dashboard at site scale in a real browser against the real stack: 300 cameras over 5 sites
 * and 5,000 events, seeded through the gateway in this test's namespace. Cameras are searched,
 * filtered, grouped and paged; events are filtered (the statistics follow), arrive live behind an
 * "N new" marker while the operator reads, are acknowledged in bulk and opened in a detail panel;
 * the address bar holds all of it; the feed works from the keyboard; axe-core finds nothing serious.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { repoRoot } from '../../lib/paths';
import { freePort } from '../support/ports';
import type { BrowserGlobals } from './support/browser-globals';
import { type Harness, LAPTOP, startHarness } from './support/dashboard-harness';
import { seedSite, type SiteSeed, waitForViews } from './support/site-seed';

jest.setTimeout(180000);

const TABLET = { width: 768, height: 1024 };
const SMALL_LAPTOP = { width: 1280, height: 720 };

/** The extra globals the page functions below read. */
interface PageGlobals extends BrowserGlobals {
  axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }> }> };
  history: unknown;
}

describe('dashboard at site scale (browser)', () => {
  let h: Harness;
  let seed: SiteSeed;
  let deadPort: number;
  const decommissioned = 'cam-estate-060';

  const feedIds = () =>
    h.page.locator('#event-feed li').evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { eventId: string } }).dataset.eventId));
  const feedCount = async () => Number(/of (\d+) matching/.exec((await h.page.locator('#feed-count').textContent()) ?? '')?.[1] ?? -1);
  const eventsRegion = () => h.page.getByRole('region', { name: 'Live events' });
  const camerasRegion = () => h.page.getByRole('region', { name: 'Cameras' });
  const recordEvent = async (input: { cameraId: string; type: string; severity: string }) => {
    const result = await h.stack.graphql<{ recordEvent: { id: string; position: string } }>(
      'mutation ($input: RecordEventInput!) { recordEvent(input: $input) { id position } }',
      { input: { id: randomUUID(), occurredAt: new Date().toISOString(), ...input } },
      'operator',
    );
    expect(result.errors).toBeUndefined();
    return result.data!.recordEvent;
  };
  const storedEvent = async (id: string) =>
    (
      await h.stack.graphql<{ event: { status: string; acknowledgedBy: string | null; acknowledgeNote: string | null } }>(
        'query ($id: ID!) { event(id: $id) { status acknowledgedBy acknowledgeNote } }',
        { id },
        'viewer',
      )
    ).data?.event;

  beforeAll(async () => {
    deadPort = await freePort();
    // The seeding sends ~310 requests as one identity: a higher rate limit than the default keeps it quick.
    h = await startHarness('site-scale', { RATE_LIMIT_PER_SECOND: '2000', RATE_LIMIT_BURST: '4000', LOG_LEVEL: 'warn' });
    // Nothing listens on deadPort: these cameras are not streamed here (the wall test has its own).
    seed = await seedSite(h.stack, { rtspUrl: (id) => `rtsp://127.0.0.1:${deadPort}/${id}` });
    const gone = await h.stack.graphql<{ decommissionCamera: { position: string } }>(
      'mutation ($id: ID!) { decommissionCamera(id: $id) { position } }',
      { id: decommissioned },
      'admin',
    );
    expect(gone.errors).toBeUndefined();
    await waitForViews(h.stack, gone.data!.decommissionCamera.position);
    console.log(
      `seeded ${seed.cameras.length} cameras in ${seed.timings.cameras} ms, ${seed.events.length} events in ${seed.timings.events} ms, views caught up in ${seed.timings.caughtUp} ms`,
    );
  });

  afterAll(async () => {
    await h?.close();
  });

  it('groups 300 cameras by site, a page at a time, and finds one by name', async () => {
    const { page } = h;
    await h.openAs('operator', 'alice');
    const summary = page.locator('#camera-summary');
    await summary.filter({ hasText: 'Showing 1–24 of 299 matching cameras (300 in all).' }).waitFor();
    expect(await page.locator('#camera-tiles article.tile').count()).toBe(24);
    expect(await page.locator('#camera-tiles .site-group').first().getAttribute('data-site')).toBe('Airport');

    await camerasRegion().getByRole('button', { name: 'Next page' }).click();
    await summary.filter({ hasText: 'Showing 25–48 of 299' }).waitFor();
    expect(page.url()).toContain('cpage=2');

    await camerasRegion().getByLabel('Site', { exact: true }).selectOption('Docks');
    await summary.filter({ hasText: 'Showing 1–24 of 60 matching cameras' }).waitFor();
    expect(
      await page.locator('#camera-tiles .site-group').evaluateAll((groups) => groups.map((g) => (g as unknown as { dataset: { site: string } }).dataset.site)),
    ).toEqual(['Docks']);

    await page.getByLabel('Search cameras', { exact: true }).fill('docks 017');
    await summary.filter({ hasText: 'Showing 1–1 of 1 matching cameras' }).waitFor();
    await page.locator('article[data-camera-id="cam-docks-017"]').getByRole('button', { name: 'Start Docks 017' }).waitFor();

    await page.getByLabel('Search cameras', { exact: true }).fill('');
    await camerasRegion().getByLabel('Site', { exact: true }).selectOption('');
    await camerasRegion().getByLabel('Stream', { exact: true }).selectOption('LIVE');
    await summary.filter({ hasText: 'No camera matches these filters (300 cameras in all).' }).waitFor();
    await camerasRegion().getByLabel('Stream', { exact: true }).selectOption('');
    await camerasRegion().getByLabel('Camera status', { exact: true }).selectOption('DECOMMISSIONED');
    await summary.filter({ hasText: 'Showing 1–1 of 1 matching cameras' }).waitFor();
    await page.locator(`article[data-camera-id="${decommissioned}"]`).waitFor();
    await camerasRegion().getByLabel('Camera status', { exact: true }).selectOption('ACTIVE');
    await h.shot('laptop-cameras');
  });

  it('filters events by severity, status, site, camera and type, and the statistics count the same events', async () => {
    const { page } = h;
    await page.getByLabel('Range', { exact: true }).selectOption('7d');
    await eventsRegion().getByLabel('Severity', { exact: true }).selectOption('CRITICAL');
    await eventsRegion().getByLabel('Site', { exact: true }).selectOption('Bridge');
    const expected = seed.events.filter((e) => e.severity === 'CRITICAL' && e.site === 'Bridge');
    await h.waitUntil(async () => (await feedCount()) === expected.length);
    await page.locator(`#stat-figures[data-total="${expected.length}"]`).waitFor();
    const shown = await page
      .locator('#event-feed li')
      .evaluateAll((items) => items.map((item) => (item as unknown as { dataset: { severity: string } }).dataset.severity));
    expect(new Set(shown)).toEqual(new Set(['CRITICAL']));
    expect(await page.locator('#event-feed .event-site').allTextContents()).toEqual(shown.map(() => 'Bridge'));

    const camera = expected[0]!.cameraId;
    await eventsRegion().getByLabel('Camera', { exact: true }).selectOption(camera);
    const byCamera = expected.filter((e) => e.cameraId === camera);
    await h.waitUntil(async () => (await feedCount()) === byCamera.length);
    await page.locator(`#stat-figures[data-total="${byCamera.length}"]`).waitFor();

    await eventsRegion().getByLabel('Camera', { exact: true }).selectOption('');
    await eventsRegion().getByLabel('Type', { exact: true }).fill('tamper');
    await eventsRegion().getByLabel('Type', { exact: true }).press('Enter');
    const byType = expected.filter((e) => e.type === 'tamper');
    await h.waitUntil(async () => (await feedCount()) === byType.length);
    await page.locator(`#stat-figures[data-total="${byType.length}"]`).waitFor();
    expect(await page.locator('#stats-scope').textContent()).toContain('severity CRITICAL, site Bridge, type tamper');

    await eventsRegion().getByLabel('Type', { exact: true }).fill('');
    await eventsRegion().getByLabel('Type', { exact: true }).press('Enter');
    await eventsRegion().getByLabel('Status', { exact: true }).selectOption('RESOLVED');
    await eventsRegion().getByRole('status').filter({ hasText: 'No events match these filters yet.' }).waitFor();
    await page.locator('#stat-figures[data-total="0"]').waitFor();
    await eventsRegion().getByLabel('Status', { exact: true }).selectOption('');
    await h.waitUntil(async () => (await feedCount()) === expected.length);
  });

  it('keeps what the operator reads in place and announces new events with an "N new" marker', async () => {
    const { page } = h;
    const feed = page.locator('#event-feed');
    await feed.evaluate((list) => {
      (list as unknown as { scrollTop: number }).scrollTop = 400;
    });
    const before = await feedIds();
    const scrollBefore = await feed.evaluate((list) => (list as unknown as { scrollTop: number }).scrollTop);
    expect(scrollBefore).toBeGreaterThan(0);
    const bridgeCamera = seed.cameras.find((c) => c.site === 'Bridge')!;
    const recorded = await recordEvent({ cameraId: bridgeCamera.id, type: 'intrusion', severity: 'CRITICAL' });
    // Outside the filters (another site): no marker for it.
    await recordEvent({ cameraId: seed.cameras.find((c) => c.site === 'Airport')!.id, type: 'intrusion', severity: 'CRITICAL' });
    const marker = page.locator('#feed-new[data-count="1"]');
    await marker.waitFor();
    expect(await marker.textContent()).toBe('1 new event: show');
    expect(await feedIds()).toEqual(before);
    expect(await feed.evaluate((list) => (list as unknown as { scrollTop: number }).scrollTop)).toBe(scrollBefore);
    await marker.click();
    await page
      .locator('#event-feed li')
      .first()
      .and(page.locator(`li[data-event-id="${recorded.id}"]`))
      .waitFor();
    expect(await feed.evaluate((list) => (list as unknown as { scrollTop: number }).scrollTop)).toBe(0);
    await page.locator('#feed-new').waitFor({ state: 'hidden' });
  });

  it('acknowledges several events at once and says which could not be', async () => {
    const { page } = h;
    const ids = (await feedIds()).slice(1, 5);
    // Another operator acknowledges one of them behind the page's back.
    const other = await h.stack.graphql('mutation ($id: ID!) { acknowledgeEvent(id: $id) { version } }', { id: ids[3] }, 'operator');
    expect(other.errors).toBeUndefined();
    for (const id of ids) await page.locator(`li[data-event-id="${id}"] input.select`).check();
    await page.locator('.bulk .selected-count').filter({ hasText: '4 selected' }).waitFor();
    await eventsRegion().getByRole('button', { name: 'Acknowledge selected' }).click();
    const summary = page.locator('#bulk-status');
    await summary.filter({ hasText: 'Acknowledged 3 of 4 selected events. 1 could not be acknowledged' }).waitFor();
    for (const id of ids.slice(0, 3)) {
      await page.locator(`li[data-event-id="${id}"][data-status="ACKNOWLEDGED"]`).waitFor();
      await h.waitUntil(async () => (await storedEvent(id))?.acknowledgedBy === 'alice');
    }
    const refused = page.locator(`li[data-event-id="${ids[3]}"]`);
    expect(await refused.getByRole('alert').textContent()).toMatch(/^Someone else got there first: this event was already acknowledged by test-operator\./);
    expect(await refused.getAttribute('data-selected')).toBe('true');
    await h.shot('laptop-bulk');
  });

  it('opens an event in a detail panel with its attributes, history, live view and clip (none: its camera is not recorded), and acknowledges it with a note', async () => {
    const { page } = h;
    const id = (await feedIds())[6]!;
    const seeded = seed.events.find((e) => e.id === id)!;
    await page
      .locator(`li[data-event-id="${id}"]`)
      .getByRole('button', { name: /^Details of/ })
      .click();
    const panel = page.getByRole('complementary', { name: `CRITICAL ${seeded.type} on ${seed.cameras.find((c) => c.id === seeded.cameraId)!.name}` });
    await panel.locator('#event-attributes').waitFor();
    expect(page.url()).toContain(`event=${id}`);
    expect(await panel.locator('#event-attributes').textContent()).toContain(seeded.attributes.zone);
    expect(await panel.locator('#event-history li').first().textContent()).toMatch(/^Recorded .*source graphql/);
    await panel.getByRole('button', { name: /^Start stream of / }).waitFor();
    expect(await panel.locator('[data-clip="none"]').textContent()).toContain('camera is not recorded');
    await panel.getByLabel(/^Note/).fill('checked on site');
    await panel.getByRole('button', { name: 'Acknowledge this event' }).click();
    await panel.locator('#event-history [data-step="acknowledged"]').filter({ hasText: 'by alice: “checked on site”' }).waitFor();
    await h.waitUntil(async () => (await storedEvent(id))?.acknowledgeNote === 'checked on site');
    await page.locator(`li[data-event-id="${id}"][data-status="ACKNOWLEDGED"]`).waitFor();
    await h.shot('laptop-detail');
  });

  it('keeps the filters and the open event in the address bar across a reload', async () => {
    const { page } = h;
    const url = page.url();
    expect(url).toMatch(/severity=CRITICAL/);
    expect(url).toMatch(/site=Bridge/);
    const open = /event=([^&]+)/.exec(url)?.[1];
    expect(open).toBeDefined();
    await page.reload();
    await page.locator(`#event-detail[data-event-id="${decodeURIComponent(open!)}"]`).waitFor();
    expect(await eventsRegion().getByLabel('Severity', { exact: true }).inputValue()).toBe('CRITICAL');
    expect(await eventsRegion().getByLabel('Site', { exact: true }).inputValue()).toBe('Bridge');
    await h.waitUntil(async () => (await feedCount()) > 0);
    // A new tab with the same link shows the same view (the token lives per tab, so sign in there).
    const other = await h.browser.context.newPage();
    try {
      await other.goto(`${h.stack.baseUrl}/${new URL(url).search}#token=${h.tokenFor('viewer', 'vera')}`);
      await other.locator(`#event-detail[data-event-id="${decodeURIComponent(open!)}"]`).waitFor();
      expect(await other.getByRole('region', { name: 'Live events' }).getByLabel('Site', { exact: true }).inputValue()).toBe('Bridge');
    } finally {
      await other.close();
    }
    await page.getByRole('button', { name: 'Close details' }).click();
    await page.locator('#event-detail').waitFor({ state: 'hidden' });
    expect(page.url()).not.toContain('event=');
  });

  it('works from the keyboard: / searches, j/k move, x selects, a acknowledges, r resolves, o opens, Escape closes', async () => {
    const { page } = h;
    await eventsRegion().getByLabel('Status', { exact: true }).selectOption('OPEN');
    await h.waitUntil(
      async () =>
        (await page.locator('#event-feed li[data-status="OPEN"]').count()) > 3 &&
        (await page.locator('#event-feed li:not([data-status="OPEN"])').count()) === 0,
    );
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).toBe(
      'event-search',
    );
    await page.keyboard.press('Escape');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const ids = await feedIds();
    await page.keyboard.press('j');
    await page.locator(`li[data-event-id="${ids[0]}"][aria-current="true"]`).waitFor();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await page.locator(`li[data-event-id="${ids[1]}"][aria-current="true"]`).waitFor();
    await page.keyboard.press('a');
    await page.locator(`li[data-event-id="${ids[1]}"][data-status="ACKNOWLEDGED"]`).waitFor();
    await page.keyboard.press('r');
    await page.locator(`li[data-event-id="${ids[1]}"][data-status="RESOLVED"]`).waitFor();
    // The read model follows the command a moment later.
    await h.waitUntil(async () => (await storedEvent(ids[1]!))?.status === 'RESOLVED');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    await page.locator(`li[data-event-id="${ids[2]}"][data-selected="true"]`).waitFor();
    await page.keyboard.press('x');
    await page.keyboard.press('o');
    await page.locator(`#event-detail[data-event-id="${ids[2]}"]`).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#event-detail').waitFor({ state: 'hidden' });
    // Focus goes back to the event it came from.
    await page.locator(`li[data-event-id="${ids[2]}"]:focus`).waitFor();
  });

  it('shows dates and time zones for events not from today, and fits 1280x720 and a tablet', async () => {
    const { page } = h;
    await eventsRegion().getByLabel('Status', { exact: true }).selectOption('');
    await eventsRegion().getByLabel('Severity', { exact: true }).selectOption('');
    await eventsRegion().getByLabel('Site', { exact: true }).selectOption('');
    // The seeded events reach back 36 h: the oldest page holds events of another day.
    const times = await page
      .locator('#event-feed time')
      .evaluateAll((items) =>
        items.map((t) => ({ iso: (t as unknown as { dateTime: string }).dateTime, text: (t as unknown as { textContent: string }).textContent })),
      );
    expect(times.length).toBeGreaterThan(0);
    const { today } = await page.evaluate(() => ({ today: new Date().toDateString() }));
    for (const { iso, text } of times) {
      const sameDay = await page.evaluate((value) => new Date(value).toDateString(), iso);
      if (sameDay === today) expect(text).not.toMatch(/\d{4}/);
      else expect(text).toMatch(new RegExp(`${new Date(iso).getUTCFullYear()}.*[A-Z]{2,}|GMT|UTC`));
    }
    for (const size of [SMALL_LAPTOP, TABLET]) {
      await page.setViewportSize(size);
      await page.locator('#event-feed li').first().waitFor();
      expect(await h.scrollWidth()).toBeLessThanOrEqual(size.width);
      await eventsRegion().getByRole('button', { name: 'Acknowledge selected' }).scrollIntoViewIfNeeded();
      await h.shot(`${size.width}x${size.height}`);
    }
    await page.setViewportSize(LAPTOP);
  });

  it('says in words what a viewer may not do', async () => {
    const { page } = h;
    await h.openAs('viewer', 'victor');
    await page.locator('#event-feed li').first().waitFor();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('j');
    await page.keyboard.press('a');
    await eventsRegion().getByRole('status').filter({ hasText: 'Your role does not allow acknowledging events: it needs the operator role.' }).waitFor();
    expect(await page.getByRole('button', { name: /^(Acknowledge|Resolve|Start)/ }).count()).toBe(0);
  });

  it('has every control named and reachable by keyboard, and axe-core finds no serious violation', async () => {
    const { page } = h;
    await h.openAs('operator', 'alice');
    await page.locator('#event-feed li').first().waitFor();
    await page.locator('#camera-tiles article').first().waitFor();
    await page
      .locator('#event-feed li')
      .first()
      .getByRole('button', { name: /^Details of/ })
      .click();
    await page.locator('#event-history').waitFor();
    // The page's CSP refuses inline scripts: evaluate axe-core through the DevTools protocol instead.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Runtime.evaluate', { expression: readFileSync(`${repoRoot}/node_modules/axe-core/axe.min.js`, 'utf8') });
    const result = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).axe.run((globalThis as unknown as PageGlobals).document, { resultTypes: ['violations'] }),
    );
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`)).toEqual([]);

    // Every visible control takes the keyboard focus (no tabindex=-1, none disabled for no reason)
    // and has a name (axe checks the names above).
    const unreachable = await page.evaluate(() => {
      const { document } = globalThis as unknown as {
        document: { querySelectorAll(s: string): Iterable<{ tabIndex: number; id: string; outerHTML: string; checkVisibility(): boolean }> };
      };
      return [...document.querySelectorAll('button, input, select, textarea, a[href]')]
        .filter((e) => e.checkVisibility() && e.tabIndex < 0)
        .map((e) => e.outerHTML.slice(0, 80));
    });
    expect(unreachable).toEqual([]);
    // Tab walks through the event filters in order.
    await page.getByLabel('Search events', { exact: true }).focus();
    const walked: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      await page.keyboard.press('Tab');
      walked.push(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id));
    }
    expect(walked).toEqual(['event-severity', 'event-status', 'event-site', 'event-camera', 'event-type']);
    expect(h.pageErrors).toEqual([]);
  });
});
