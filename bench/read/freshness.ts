import { startStack } from '../../test/support/stack';
import { percentile } from '../hardware';
import { ms } from './setup';

/**
 * Freshness through the whole product: while a steady 1,000 events/s are recorded through the
 * gateway (recordEvents batches of 50 every 50 ms), a probe records one more event every 200 ms and
 * asks `eventStats(minPosition: <its position>)`: the time from the command's answer to the stats
 * answer that includes it (minPosition waits for the projection, refreshed) is the sample.
 */
export async function freshness(seconds: number): Promise<Record<string, string | number>> {
  const stack = await startStack({ services: ['command', 'query', 'media', 'gateway'], label: 'fresh', env: { LOG_LEVEL: 'warn' } });
  try {
    const cameraIds: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const registered = await stack.graphql<{ registerCamera: { id: string } }>(`mutation { registerCamera(input: { name: "bench ${i}", rtspUrl: "rtsp://127.0.0.1/x" }) { id } }`);
      if (!registered.data) throw new Error(JSON.stringify(registered.errors));
      cameraIds.push(registered.data.registerCamera.id);
    }
    const deadline = Date.now() + seconds * 1000;
    let loadSent = 0;
    let loadErrors = 0;
    const load = (async () => {
      let next = Date.now();
      while (Date.now() < deadline) {
        const inputs = Array.from({ length: 50 }, (_, i) => ({ cameraId: cameraIds[i % 10], type: 'motion', severity: 'LOW', occurredAt: new Date().toISOString() }));
        void stack
          .graphql<{ recordEvents: { accepted: number } }>(`mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted } }`, { inputs }, 'operator')
          .then((r) => {
            if (r.errors || !r.data) loadErrors += 1;
            else loadSent += r.data.recordEvents.accepted;
          })
          .catch(() => {
            loadErrors += 1;
          });
        next += 50;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
      }
    })();
    const samples: number[] = [];
    let stale = 0;
    while (Date.now() < deadline) {
      const recorded = await stack.graphql<{ recordEvent: { position: string } }>(
        `mutation($c: ID!, $at: DateTime!) { recordEvent(input: { cameraId: $c, type: "probe", severity: HIGH, occurredAt: $at }) { position } }`,
        { c: cameraIds[0], at: new Date().toISOString() },
        'operator',
      );
      const acknowledged = performance.now();
      const position = recorded.data?.recordEvent.position;
      if (!position) throw new Error(`probe failed: ${JSON.stringify(recorded.errors)}`);
      {
        const stats = await stack.graphql(`query($min: String) { eventStats(interval: HOUR, minPosition: $min, filter: { types: ["probe"] }) { total position } }`, { min: position }, 'viewer');
        if (stats.errors) stale += 1;
        else samples.push(performance.now() - acknowledged);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await load;
    const sorted = samples.sort((a, b) => a - b);
    return {
      'load (events/s)': Math.round(loadSent / seconds),
      'load errors': loadErrors,
      samples: sorted.length,
      'stale reads': stale,
      p50: ms(percentile(sorted, 50)),
      p99: ms(percentile(sorted, 99)),
      max: ms(sorted[sorted.length - 1] ?? Number.NaN),
    };
  } finally {
    await stack.stop();
  }
}
