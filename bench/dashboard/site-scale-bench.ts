/**
 * The dashboard at site scale in Debian's Chromium against the real stack: 300 cameras over 5 sites
 * and 5,000 events seeded through the gateway (the same seed as the browser test), then, per round
 * on a fresh page: first paint and first data, camera search and paging, scrolling the camera grid
 * (frame gaps), an event filter reaching the feed and the statistics, loading older events, and a
 * live event reaching the feed. Prints the load average beside the figures: the machine is shared.
 * Usage (after npm run build): node dist/bench/dashboard/site-scale-bench.js [--rounds 3] [--cameras 300] [--events 5000]
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { signDevelopmentToken } from '../../lib/auth/development-token';
import { launchChromium } from '../../test/browser/support/chromium';
import { seedSite } from '../../test/browser/support/site-seed';
import { ensureWebBuild } from '../../test/browser/support/web-build';
import { freePort } from '../../test/support/ports';
import { startStack, TEST_JWT_SECRET } from '../../test/support/stack';
import { hardwareLine } from '../hardware';

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** What the page functions below touch, typed here: the project's TypeScript has no DOM library. */
interface PageGlobals {
  performance: { getEntriesByName(name: string): Array<{ startTime: number }>; now(): number };
  PerformanceObserver: new (callback: (list: { getEntries(): Array<{ duration: number }> }) => void) => { observe(options: Record<string, unknown>): void };
  requestAnimationFrame(callback: (time: number) => void): void;
  scrollTo(x: number, y: number): void;
  document: {
    querySelector(selector: string): { scrollTop: number; scrollHeight: number; textContent: string | null; getBoundingClientRect(): { top: number } } | null;
    documentElement: { scrollHeight: number };
  };
  longTasks: number[];
}

const load = () => loadavg()[0]?.toFixed(2) ?? '?';
const range = (values: number[]) => (values.length ? `${Math.min(...values)}-${Math.max(...values)} ms (${values.join(', ')})` : 'n/a');

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await work();
  return Date.now() - started;
}

async function scrollFrames(page: Page): Promise<{ maxGap: number; frames: number }> {
  return page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    const grid = g.document.querySelector('#camera-tiles');
    const top = grid ? grid.getBoundingClientRect().top : 0;
    const end = g.document.documentElement.scrollHeight;
    let last = g.performance.now();
    let maxGap = 0;
    let frames = 0;
    for (let y = Math.max(0, top - 50); y < end; y += 120) {
      g.scrollTo(0, y);
      await new Promise<void>((resolve) =>
        g.requestAnimationFrame((time) => {
          maxGap = Math.max(maxGap, time - last);
          last = time;
          frames += 1;
          resolve();
        }),
      );
    }
    g.scrollTo(0, 0);
    return { maxGap: Math.round(maxGap), frames };
  });
}

async function main(): Promise<void> {
  const rounds = arg('rounds', 3);
  console.log(hardwareLine());
  ensureWebBuild();
  const stack = await startStack({ label: 'benchsite', env: { LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '2000', RATE_LIMIT_BURST: '4000' } });
  const browser = await launchChromium();
  try {
    const deadPort = await freePort();
    const seed = await seedSite(stack, { cameras: arg('cameras', 300), events: arg('events', 5000), rtspUrl: (id) => `rtsp://127.0.0.1:${deadPort}/${id}` });
    console.log(
      `seed (load ${load()}): ${seed.cameras.length} cameras ${seed.timings.cameras} ms, ${seed.events.length} events ${seed.timings.events} ms, views caught up ${seed.timings.caughtUp} ms`,
    );
    const token = signDevelopmentToken(TEST_JWT_SECRET, { subject: 'bench', role: 'operator', expiresInSeconds: 3600 });
    const figures: Record<string, number[]> = {};
    const note = (name: string, ms: number) => (figures[name] ??= []).push(Math.round(ms));
    const loads: string[] = [];

    for (let round = 0; round < rounds; round += 1) {
      loads.push(load());
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.addInitScript(() => {
        const g = globalThis as unknown as PageGlobals;
        g.longTasks = [];
        new g.PerformanceObserver((list) => {
          for (const entry of list.getEntries()) g.longTasks.push(Math.round(entry.duration));
        }).observe({ type: 'longtask', buffered: true });
      });
      const started = Date.now();
      await page.goto(`${stack.baseUrl}/#token=${token}`);
      await page.locator('#camera-tiles article').first().waitFor();
      note('first camera tiles (navigation to 24 tiles of 300)', Date.now() - started);
      await page.locator('#event-feed li').first().waitFor();
      note('first events in the feed', Date.now() - started);
      await page.locator('#stat-figures[data-total]').waitFor();
      note('statistics shown', Date.now() - started);
      const paint = await page.evaluate(
        () => (globalThis as unknown as PageGlobals).performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
      );
      note('first contentful paint (browser)', paint);
      const longAtLoad = await page.evaluate(() => (globalThis as unknown as PageGlobals).longTasks.slice());
      note(
        'long tasks during load, total',
        longAtLoad.reduce((a, b) => a + b, 0),
      );
      note('long tasks during load, longest', Math.max(0, ...longAtLoad));

      const summary = page.locator('#camera-summary');
      note(
        'camera search typed to grid filtered',
        await timed(async () => {
          await page.getByLabel('Search cameras').fill('docks 017');
          await summary.filter({ hasText: 'of 1 matching' }).waitFor();
        }),
      );
      await page.getByLabel('Search cameras').fill('');
      await summary.filter({ hasText: 'of 300 matching' }).waitFor();
      note(
        'camera next page',
        await timed(async () => {
          await page.getByRole('button', { name: 'Next page' }).click();
          await summary.filter({ hasText: 'Showing 25–48' }).waitFor();
        }),
      );
      const frames = await scrollFrames(page);
      note('camera grid scroll, longest frame gap', frames.maxGap);

      const events = page.getByRole('region', { name: 'Live events' });
      const expected = seed.events.filter((e) => e.severity === 'HIGH').length;
      note(
        'event severity filter to feed and statistics updated',
        await timed(async () => {
          await page.getByLabel('Range', { exact: true }).selectOption('7d');
          await events.getByLabel('Severity', { exact: true }).selectOption('HIGH');
          await page
            .locator('#feed-count')
            .filter({ hasText: `of ${expected} matching` })
            .waitFor();
          await page.locator(`#stat-figures[data-total="${expected}"]`).waitFor();
        }),
      );
      note(
        'load older events (50 more)',
        await timed(async () => {
          await page.locator('#feed-more').click();
          await page.locator('#event-feed li').nth(99).waitFor();
        }),
      );
      await events.getByLabel('Severity', { exact: true }).selectOption('');
      await page
        .locator('#feed-count')
        .filter({ hasText: `of ${seed.events.length + round} matching` })
        .waitFor();
      const id = randomUUID();
      const sent = Date.now();
      const answer = await stack.graphql(
        'mutation ($input: RecordEventInput!) { recordEvent(input: $input) { position } }',
        { input: { id, cameraId: seed.cameras[0]?.id, type: 'bench', severity: 'LOW', occurredAt: new Date().toISOString() } },
        'operator',
      );
      if (answer.errors) throw new Error(JSON.stringify(answer.errors));
      await page.locator(`li[data-event-id="${id}"]`).waitFor();
      note('live event, recordEvent sent to shown on top of the feed', Date.now() - sent);
      await page.close();
    }
    console.log(`rounds: ${rounds}, 1-minute load average at each round's start: ${loads.join(', ')}`);
    for (const [name, values] of Object.entries(figures)) console.log(`  ${name}: ${range(values)}`);
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
