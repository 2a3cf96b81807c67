import { randomUUID } from 'node:crypto';
import { startOwnElasticsearch, type OwnElasticsearch } from '../../support/own-elasticsearch';
import { startStack, type Stack } from '../../support/stack';

// Elasticsearch is SIGKILLed while four clients record events through the gateway, and brought back
// with the engine script 5 s later, as on an operator's bad day. Afterwards, with no manual step,
// every acknowledged event is counted exactly once and readable by id at the highest acknowledged
// position; and no read in between answered a count below the acknowledged events at or below the
// position it claimed. The same with the query process killed together with Elasticsearch.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Acked {
  id: string;
  position: number;
}

/** Clients recording single events until stopped (each waits for its answer, then goes on). */
function startWriters(stack: Stack, cameraId: string, clients: number) {
  const acked: Acked[] = [];
  const refused: string[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async (_, client) => {
    for (let n = 0; running; n += 1) {
      const id = randomUUID();
      const input = { id, cameraId, type: n % 2 ? 'motion' : 'person', severity: 'LOW', occurredAt: new Date().toISOString(), attributes: { client } };
      const response = await stack.graphql<{ recordEvent: { position: string } }>(
        `mutation($input: RecordEventInput!) { recordEvent(input: $input) { position } }`,
        { input },
        'operator',
      );
      if (response.data?.recordEvent) acked.push({ id, position: Number(response.data.recordEvent.position) });
      else refused.push(JSON.stringify(response.errors));
      await sleep(20);
    }
  });
  return {
    acked,
    refused,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * A reader asking for the camera's statistics at the highest acknowledged position all along. An
 * answer may be refused (STALE_READ, UNAVAILABLE); an answer given must count at least every
 * acknowledged event at or below the position it claims.
 */
function startReader(stack: Stack, cameraId: string, acked: readonly Acked[]) {
  const wrong: string[] = [];
  let answered = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const highest = acked.reduce((max, a) => Math.max(max, a.position), 0);
      const response = await stack.graphql<{ eventStats: { total: number; position: string } }>(
        `query($f: EventFilter, $min: String) { eventStats(filter: $f, interval: HOUR, minPosition: $min) { total position } }`,
        { f: { cameraIds: [cameraId] }, min: String(highest) },
        'viewer',
      );
      const stats = response.data?.eventStats;
      if (stats) {
        answered += 1;
        const claimed = Number(stats.position);
        const included = acked.filter((a) => a.position <= claimed).length;
        if (stats.total < included) wrong.push(`position ${claimed}: total ${stats.total} < ${included} acknowledged at or below it`);
      }
      await sleep(100);
    }
  })();
  return {
    wrong,
    answered: () => answered,
    async stop() {
      running = false;
      await loop;
    },
  };
}

describe('Elasticsearch SIGKILLed under writes and restarted with the engine script', () => {
  let elastic: OwnElasticsearch;
  let stack: Stack;
  beforeAll(async () => {
    elastic = await startOwnElasticsearch('escrash');
    stack = await startStack({ label: 'escrash', env: { ELASTICSEARCH_URL: elastic.url } });
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
    await elastic?.remove();
  }, 120_000);

  const registerCamera = async (name: string) => {
    const response = await stack.graphql<{ registerCamera: { id: string } }>(
      `mutation($name: String!) { registerCamera(input: { name: $name, rtspUrl: "rtsp://127.0.0.1:8554/crash" }) { id } }`,
      { name },
    );
    return response.data!.registerCamera.id;
  };

  /** Every acknowledged event counted once and readable by id, at the highest acknowledged position. */
  const expectAllCounted = async (cameraId: string, acked: Acked[]) => {
    const highest = String(Math.max(...acked.map((a) => a.position)));
    let total: number | undefined;
    for (let attempt = 0; attempt < 30 && total === undefined; attempt += 1) {
      const response = await stack.graphql<{ eventStats: { total: number; byType: Array<{ key: string; count: number }> } }>(
        `query($f: EventFilter, $min: String) { eventStats(filter: $f, interval: HOUR, minPosition: $min) { total } }`,
        { f: { cameraIds: [cameraId] }, min: highest },
        'viewer',
      );
      total = response.data?.eventStats.total;
    }
    expect(total).toBe(acked.length);
    const missing: string[] = [];
    for (let i = 0; i < acked.length; i += 100) {
      const chunk = acked.slice(i, i + 100);
      const fields = chunk.map((a, j) => `e${j}: event(id: "${a.id}", minPosition: $min) { id }`).join(' ');
      const response = await stack.graphql<Record<string, { id: string } | null>>(`query($min: String) { ${fields} }`, { min: highest }, 'viewer');
      expect(response.errors).toBeUndefined();
      chunk.forEach((a, j) => {
        if (!response.data?.[`e${j}`]) missing.push(a.id);
      });
    }
    expect(missing).toEqual([]);
    const projections = await stack.graphql<{ projections: Array<{ name: string; position: string; lag: number }> }>(`{ projections { name position lag } }`);
    const events = projections.data!.projections.find((p) => p.name === 'events')!;
    expect(Number(events.position)).toBeGreaterThanOrEqual(Number(highest));
  };

  it('heals by itself: every acknowledged event counted exactly once, no read below what it claimed', async () => {
    const cameraId = await registerCamera('Crash gate');
    const writers = startWriters(stack, cameraId, 4);
    const reader = startReader(stack, cameraId, writers.acked);
    await sleep(4000);
    await elastic.kill();
    await sleep(5000);
    await elastic.start();
    await sleep(4000);
    await writers.stop();
    await reader.stop();

    expect(writers.refused).toEqual([]);
    expect(reader.wrong).toEqual([]);
    expect(reader.answered()).toBeGreaterThan(0);
    await expectAllCounted(cameraId, writers.acked);
    // The restart was noticed and the projection replayed from its durable checkpoint.
    expect(stack.logs.get('query')!.join('\n')).toMatch(/rewinding the projection/);
  }, 240_000);

  it('heals when the query process is killed together with Elasticsearch', async () => {
    const cameraId = await registerCamera('Crash yard');
    const writers = startWriters(stack, cameraId, 4);
    const reader = startReader(stack, cameraId, writers.acked);
    await sleep(4000);
    stack.processes.get('query')!.kill('SIGKILL');
    await elastic.kill();
    await sleep(5000);
    await elastic.start();
    await stack.startService('query');
    await sleep(4000);
    await writers.stop();
    await reader.stop();

    expect(writers.refused).toEqual([]);
    expect(reader.wrong).toEqual([]);
    await expectAllCounted(cameraId, writers.acked);
    // The new process found its checkpoint saved under Elasticsearch processes that are gone.
    expect(stack.logs.get('query')!.join('\n')).toMatch(/projection healed/);
  }, 240_000);
});
