/**
 * Seeds a site-scale data set through the gateway, in the stack's own namespace: cameras over
 * several sites (registerCamera, a few at a time: there is no batch registration) and events in
 * recordEvents batches of 1000. The content is a pure function of the index, so a test can count
 * what a filter must select without asking the API.
 */
import type { Stack } from '../../support/stack';

export const SITES = ['Airport', 'Bridge', 'Central', 'Docks', 'Estate'] as const;
export const TYPES = ['intrusion', 'motion', 'person', 'vehicle', 'tamper', 'loitering'] as const;
export const SEVERITY_CYCLE = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
const BATCH = 1000;
const REGISTER_CONCURRENCY = 8;
const HOUR = 3600e3;

export interface SeedCamera {
  id: string;
  name: string;
  site: string;
}

export interface SeedEvent {
  id: string;
  cameraId: string;
  site: string;
  type: string;
  severity: string;
  occurredAt: string;
  attributes: { zone: string; confidence: number };
}

export interface SiteSeed {
  cameras: SeedCamera[];
  events: SeedEvent[];
  /** Wall-clock milliseconds per step, for the bench and the test log. */
  timings: { cameras: number; events: number; caughtUp: number };
}

export function seedCameras(count: number, sites: number): SeedCamera[] {
  return Array.from({ length: count }, (_, i) => {
    const site = SITES[i % sites] ?? `Site ${i % sites}`;
    const number = String(Math.floor(i / sites) + 1).padStart(3, '0');
    return { id: `cam-${site.toLowerCase()}-${number}`, name: `${site} ${number}`, site };
  });
}

/**
 * Event `i`: cameras, types and severities in cycles of their own lengths (so every combination of
 * site, severity and type occurs), occurredAt spread over the last 36 h.
 */
export function seedEvents(cameras: SeedCamera[], count: number, now: number, prefix: string): SeedEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const camera = cameras[(i * 7) % cameras.length] as SeedCamera;
    return {
      id: `${prefix}-${String(i).padStart(5, '0')}`,
      cameraId: camera.id,
      site: camera.site,
      type: TYPES[i % TYPES.length] as string,
      severity: SEVERITY_CYCLE[Math.floor(i / 3) % SEVERITY_CYCLE.length] as string,
      occurredAt: new Date(now - (i * 36 * HOUR) / count - 60e3).toISOString(),
      attributes: { zone: `zone-${i % 12}`, confidence: (i % 100) / 100 },
    };
  });
}

async function inPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}

const maxPosition = (a: string, b: string | null | undefined) => (b && Number(b) > Number(a) ? b : a);

/** Waits until the views hold `position` (read your writes), retrying STALE_READ on a busy machine. */
export async function waitForViews(stack: Stack, position: string): Promise<void> {
  for (;;) {
    const answer = await stack.graphql<{ events: { totalCount: number }; cameras: { totalCount: number } }>(
      'query ($p: String) { events(first: 0, minPosition: $p) { totalCount } cameras(first: 0, minPosition: $p) { totalCount } }',
      { p: position },
      'viewer',
    );
    if (!answer.errors) return;
    if (!answer.errors.every((e) => e.extensions?.code === 'STALE_READ')) throw new Error(`waiting for the views: ${JSON.stringify(answer.errors)}`);
  }
}

export async function seedSite(
  stack: Stack,
  options: { cameras?: number; sites?: number; events?: number; rtspUrl: (cameraId: string) => string; prefix?: string },
): Promise<SiteSeed> {
  const cameras = seedCameras(options.cameras ?? 300, options.sites ?? 5);
  let position = '0';
  let started = Date.now();
  await inPool(cameras, REGISTER_CONCURRENCY, async (camera) => {
    const answer = await stack.graphql<{ registerCamera: { position: string } }>(
      'mutation ($input: RegisterCameraInput!) { registerCamera(input: $input) { position } }',
      { input: { ...camera, rtspUrl: options.rtspUrl(camera.id), tags: ['seed'] } },
      'admin',
    );
    if (answer.errors) throw new Error(`registerCamera ${camera.id}: ${JSON.stringify(answer.errors)}`);
    position = maxPosition(position, answer.data?.registerCamera.position);
  });
  const camerasMs = Date.now() - started;

  started = Date.now();
  const events = seedEvents(cameras, options.events ?? 5000, Date.now(), options.prefix ?? 'seed');
  for (let from = 0; from < events.length; from += BATCH) {
    const inputs = events.slice(from, from + BATCH).map(({ site: _site, ...input }) => input);
    const answer = await stack.graphql<{ recordEvents: { accepted: number; position: string | null; errors: unknown[] } }>(
      'mutation ($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted position errors { index code message } } }',
      { inputs },
      'operator',
    );
    if (answer.errors || answer.data?.recordEvents.errors.length)
      throw new Error(`recordEvents: ${JSON.stringify(answer.errors ?? answer.data?.recordEvents.errors)}`);
    position = maxPosition(position, answer.data?.recordEvents.position);
  }
  const eventsMs = Date.now() - started;

  started = Date.now();
  await waitForViews(stack, position);
  return { cameras, events, timings: { cameras: camerasMs, events: eventsMs, caughtUp: Date.now() - started } };
}
