import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { sleep } from '../../lib/async/sleep';
import type { Stack } from '../../test/support/stack';

const PER_CALL = 1000;
const CALLS_IN_FLIGHT = 2;

/**
 * Stores `count` events in the stack's namespace (recordEvents through the gateway, 1,000 a call,
 * two calls at a time), then waits until the projection has them all: the "data already stored"
 * that a later `replay --namespace` runs on top of. Prints its rate every 100,000 events.
 */
export async function seedEvents(stack: Stack, count: number): Promise<void> {
  const camera = await stack.graphql<{ registerCamera: { id: string } }>(
    'mutation { registerCamera(input: { name: "Seed", site: "seed", rtspUrl: "rtsp://127.0.0.1:8554/seed" }) { id } }',
  );
  const cameraId = camera.data!.registerCamera.id;
  const started = performance.now();
  let recorded = 0;
  let highest = 0n;
  let next = 0;
  let reported = 0;
  const worker = async () => {
    while (next < count) {
      const size = Math.min(PER_CALL, count - next);
      next += size;
      // Spread over the last 30 days, as stored history is.
      const inputs = Array.from({ length: size }, () => ({
        id: randomUUID(),
        cameraId,
        type: 'seed',
        severity: 'INFO',
        occurredAt: new Date(Date.now() - Math.random() * 30 * 86_400_000).toISOString(),
        attributes: { seeded: true },
      }));
      for (let attempt = 0; ; attempt++) {
        const result = await stack.graphql<{ recordEvents: { accepted: number; duplicates: number; position: string | null } }>(
          'mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted duplicates position } }',
          { inputs },
          'operator',
        );
        if (!result.errors && result.data) {
          recorded += result.data.recordEvents.accepted + result.data.recordEvents.duplicates;
          if (result.data.recordEvents.position && BigInt(result.data.recordEvents.position) > highest) highest = BigInt(result.data.recordEvents.position);
          break;
        }
        // Retried with the same ids: stored once either way.
        if (attempt >= 10) throw new Error(`recordEvents failed: ${JSON.stringify(result.errors)}`);
        await sleep(1000);
      }
      if (recorded - reported >= 100_000) {
        reported = recorded;
        const seconds = (performance.now() - started) / 1000;
        console.log(`  seeded ${recorded} events in ${seconds.toFixed(0)} s (${(recorded / seconds).toFixed(0)}/s), load ${os.loadavg()[0]?.toFixed(2)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CALLS_IN_FLIGHT }, worker));
  const written = (performance.now() - started) / 1000;
  // The projection catches up (a STALE_READ after READ_YOUR_WRITES_TIMEOUT_MS is asked again).
  for (let i = 0; i < 720; i++) {
    const caught = await stack.graphql<{ events: { totalCount: number } }>(
      `{ events(first: 1, minPosition: "${String(highest)}") { totalCount } }`,
      undefined,
      'viewer',
    );
    if (!caught.errors) {
      console.log(
        `seed: ${recorded} events recorded in ${written.toFixed(0)} s, projected after ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
          `the events view holds ${caught.data!.events.totalCount}`,
      );
      return;
    }
  }
  throw new Error('the projection did not catch up with the seeded events within an hour');
}
