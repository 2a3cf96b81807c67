/**
 * Dashboard figures in a real browser (Debian's Chromium via playwright-core) against the real stack,
 * engines and an RTSP camera: page ready after sign-in, camera start to playing video, and how soon a
 * recorded event reaches the feed and the histogram (the issue promises within 2 s).
 * Usage (after npm run build): node dist/bench/dashboard/dashboard-bench.js [--events 20] [--gap-ms 1500]
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { sleep } from '../../lib/async/sleep';
import { signDevelopmentToken } from '../../lib/auth/development-token';
import { repoRoot } from '../../lib/paths';
import { startTestCamera } from '../../test/browser/support/camera';
import { launchChromium } from '../../test/browser/support/chromium';
import { ensureWebBuild } from '../../test/browser/support/web-build';
import { startStack, TEST_JWT_SECRET } from '../../test/support/stack';
import { hardwareLine, percentile } from '../hardware';

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

/** What the recorder below touches in the page, typed here: the project's TypeScript has no DOM library. */
interface RecorderGlobals {
  document: {
    body: unknown;
    querySelectorAll(selector: string): Iterable<{ dataset: Record<string, string | undefined> }>;
    querySelector(selector: string): { dataset: Record<string, string | undefined>; currentTime?: number } | null;
  };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, unknown>): void };
  seenAt: Record<string, number>;
  totals: Array<[number, number]>;
}

const summary = (label: string, values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${label}: n=${sorted.length} p50=${percentile(sorted, 50)} ms p95=${percentile(sorted, 95)} ms max=${sorted.at(-1)} ms`;
};

async function main(): Promise<void> {
  const events = arg('events', 20);
  const gapMs = arg('gap-ms', 1500);
  console.log(hardwareLine());
  ensureWebBuild();
  const assets = path.join(repoRoot, 'web/dist/assets');
  for (const file of readdirSync(assets).filter((f) => !f.endsWith('.map'))) {
    const full = path.join(assets, file);
    console.log(`asset ${file}: ${(statSync(full).size / 1024).toFixed(1)} KiB, gzip ${(gzipSync(readFileSync(full)).length / 1024).toFixed(1)} KiB`);
  }
  const camera = await startTestCamera();
  const stack = await startStack({ label: 'benchdash', env: { LOG_LEVEL: 'warn' } });
  const browser = await launchChromium();
  try {
    const cameraId = `cam-${randomUUID().slice(0, 8)}`;
    const registered = await stack.graphql<{ registerCamera: { position: string } }>(
      'mutation ($input: RegisterCameraInput!) { registerCamera(input: $input) { position } }',
      { input: { id: cameraId, name: 'Bench gate', rtspUrl: camera.url(cameraId) } },
    );
    await stack.graphql('query ($id: ID!, $p: String) { camera(id: $id, minPosition: $p) { id } }', {
      id: cameraId,
      p: registered.data?.registerCamera.position,
    });
    const page = await browser.context.newPage();
    const token = signDevelopmentToken(TEST_JWT_SECRET, { subject: 'bench', role: 'operator', expiresInSeconds: 3600 });

    let started = Date.now();
    await page.goto(`${stack.baseUrl}/#token=${token}`);
    await page.locator(`article[data-camera-id="${cameraId}"]`).waitFor();
    await page.locator('#stat-figures[data-total]').waitFor();
    console.log(`page ready (navigation to cameras and statistics shown): ${Date.now() - started} ms`);

    started = Date.now();
    await page.getByRole('button', { name: 'Start Bench gate' }).click();
    await page.waitForFunction(
      (id) => ((globalThis as unknown as RecorderGlobals).document.querySelector(`video[data-camera-id="${id}"]`)?.currentTime ?? 0) > 0,
      cameraId,
      { timeout: 60000 },
    );
    console.log(`camera start to video playing: ${Date.now() - started} ms`);

    await page.evaluate(() => {
      const g = globalThis as unknown as RecorderGlobals;
      g.seenAt = {};
      g.totals = [];
      let last = -1;
      new g.MutationObserver(() => {
        for (const item of g.document.querySelectorAll('li[data-event-id]')) {
          const id = item.dataset.eventId;
          if (id && !(id in g.seenAt)) g.seenAt[id] = Date.now();
        }
        const total = Number(g.document.querySelector('#chart-histogram')?.dataset.total ?? 0);
        if (total !== last) {
          g.totals.push([total, Date.now()]);
          last = total;
        }
      }).observe(g.document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-total'] });
    });

    const feed: number[] = [];
    const chart: number[] = [];
    for (let i = 0; i < events; i += 1) {
      const id = randomUUID();
      const sent = Date.now();
      const result = await stack.graphql(
        'mutation ($input: RecordEventInput!) { recordEvent(input: $input) { position } }',
        { input: { id, cameraId, type: 'bench', severity: 'LOW', occurredAt: new Date().toISOString() } },
        'operator',
      );
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      await page.waitForFunction(
        ([eventId, expected]) => {
          const g = globalThis as unknown as RecorderGlobals;
          return eventId in g.seenAt && g.totals.some(([total]) => total >= expected);
        },
        [id, i + 1] as const,
        { timeout: 10000 },
      );
      const { seen, chartAt } = await page.evaluate(
        ([eventId, expected]) => {
          const g = globalThis as unknown as RecorderGlobals;
          return { seen: g.seenAt[eventId] ?? 0, chartAt: g.totals.find(([total]) => total >= expected)?.[1] ?? 0 };
        },
        [id, i + 1] as const,
      );
      feed.push(seen - sent);
      chart.push(chartAt - sent);
      await sleep(gapMs);
    }
    console.log(`events recorded one at a time, ${gapMs} ms apart, latency from sending recordEvent:`);
    console.log(`  ${summary('in the feed', feed)}`);
    console.log(`  ${summary('in the histogram', chart)}`);
  } finally {
    await browser.close();
    await stack.stop();
    await camera.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
