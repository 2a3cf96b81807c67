import { sleep } from '../../lib/async/sleep';
import { startOwnElasticsearch } from '../../test/support/own-elasticsearch';
import { startStack, type Stack } from '../../test/support/stack';

interface Load {
  /** Events acknowledged so far and the highest position among them. */
  acked: () => { count: number; highest: number; failed: number };
  stop(): Promise<void>;
}

/**
 * Records events through the gateway: `rate` events/s as `recordEvents` of `per` every tick, or,
 * with rate 0, `recordEvents` of `per` back to back (as fast as the command side takes them).
 */
function startLoad(stack: Stack, cameraId: string, rate: number, per: number): Load {
  let count = 0;
  let highest = 0;
  let running = true;
  const record = async () => {
    const inputs = Array.from({ length: per }, (_, i) => ({
      cameraId,
      type: i % 2 ? 'motion' : 'person',
      severity: 'LOW',
      occurredAt: new Date().toISOString(),
    }));
    const response = await stack.graphql<{ recordEvents: { accepted: number; position: string | null } }>(
      `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted position } }`,
      { inputs },
      'operator',
    );
    const result = response.data?.recordEvents;
    if (!result) throw new Error(JSON.stringify(response.errors));
    count += result.accepted;
    highest = Math.max(highest, Number(result.position ?? 0));
  };
  // A failed request is counted, not thrown: the figures say how many (none are expected).
  let failed = 0;
  const attempt = () =>
    record().catch(() => {
      failed += 1;
    });
  const loop = (async () => {
    const pending: Array<Promise<void>> = [];
    let next = performance.now();
    while (running) {
      if (rate === 0) {
        await attempt();
        continue;
      }
      pending.push(attempt());
      next += (1000 * per) / rate;
      await sleep(Math.max(0, next - performance.now()));
    }
    await Promise.all(pending);
  })();
  return {
    acked: () => ({ count, highest, failed }),
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * Waits until `eventStats(minPosition)` answers for the camera with at least `count` (requests still
 * in flight when `count` was taken may add events below `minPosition`), or with exactly `count` when
 * `exact`; returns when.
 */
async function countedAt(stack: Stack, cameraId: string, minPosition: number, count: number, exact = false): Promise<number> {
  for (;;) {
    const response = await stack.graphql<{ eventStats: { total: number } }>(
      `query($f: EventFilter, $min: String) { eventStats(filter: $f, interval: HOUR, minPosition: $min) { total } }`,
      { f: { cameraIds: [cameraId] }, min: String(minPosition) },
      'viewer',
    );
    const total = response.data?.eventStats.total;
    if (total !== undefined && total >= count) {
      if (exact && total !== count) throw new Error(`counted ${total}, acknowledged ${count}`);
      return performance.now();
    }
    await sleep(50);
  }
}

/**
 * Healing after an Elasticsearch crash, through the whole product (command, query, media, gateway)
 * on an Elasticsearch node of the bench's own (`startOwnElasticsearch`). Under a load, the node is
 * SIGKILLed, restarted with the engine script 5 s later, and the clock runs from the moment it
 * answers again until `eventStats(minPosition: <highest position acknowledged before the kill>)`
 * answers with exactly the events acknowledged before the kill: the healing (the identity check,
 * the rewind, the replay of the event store) plus whatever backlog the outage left. Printed with it:
 * the replay the query service logged (range and time) and the time until everything acknowledged
 * up to the end of the load is counted.
 */
export async function healing(mode: 'steady' | 'full'): Promise<Record<string, string | number>> {
  const elastic = await startOwnElasticsearch('heal');
  const stack = await startStack({ label: 'heal', env: { ELASTICSEARCH_URL: elastic.url } });
  try {
    const registered = await stack.graphql<{ registerCamera: { id: string } }>(
      `mutation { registerCamera(input: { name: "heal", rtspUrl: "rtsp://127.0.0.1/heal" }) { id } }`,
    );
    const cameraId = registered.data!.registerCamera.id;
    // steady: 200 events/s as recordEvents of 10 every 50 ms; full: recordEvents of 1,000 back to back.
    const load = mode === 'steady' ? startLoad(stack, cameraId, 200, 10) : startLoad(stack, cameraId, 0, 1000);
    await sleep(8000);
    const before = load.acked();
    await elastic.kill();
    await sleep(5000);
    const restartBegan = performance.now();
    await elastic.start();
    const answering = performance.now();
    const healedAt = await countedAt(stack, cameraId, before.highest, before.count);
    await sleep(3000);
    await load.stop();
    const end = load.acked();
    const caughtUpAt = await countedAt(stack, cameraId, end.highest, end.count, true);
    const replay = stack.logs
      .get('query')!
      .filter((line) => line.includes('projection healed'))
      .map((line) => {
        const { from, to, ms } = JSON.parse(line) as { from: number; to: number; ms: number };
        return `(${from}, ${to}]: ${to - from} positions in ${ms} ms`;
      });
    return {
      mode: mode === 'steady' ? 'steady 200 events/s (recordEvents of 10 every 50 ms)' : 'full rate (recordEvents of 1,000 back to back)',
      'events acknowledged before the kill': before.count,
      'events acknowledged in all (all counted exactly once at the end)': end.count,
      'requests failed': end.failed,
      'engine script restart (kill + 5 s, then start until it answers)': `${((answering - restartBegan) / 1000).toFixed(1)} s`,
      'Elasticsearch answering -> everything acknowledged before the kill counted': `${((healedAt - answering) / 1000).toFixed(2)} s`,
      'Elasticsearch answering -> everything acknowledged counted (the load ran 3 s longer)': `${((caughtUpAt - answering) / 1000).toFixed(2)} s`,
      'replays the query service logged': replay.join('; ') || 'none',
    };
  } finally {
    await stack.stop();
    await elastic.remove();
  }
}
