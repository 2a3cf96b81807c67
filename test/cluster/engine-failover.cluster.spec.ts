import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startOwnCluster, type OwnCluster } from '../support/own-cluster';
import { startStack, type Stack } from '../support/stack';

// The whole stack on clustered engines of its own (three RabbitMQ nodes, three Elasticsearch
// nodes; the shared FerretDB in a namespace of its own). Four clients record events through the
// gateway while the RabbitMQ node every service is connected to (the first of AMQP_URL) is
// SIGKILLed, then an Elasticsearch node. A command answered UNAVAILABLE is retried with the same
// id, as the API asks. Afterwards every acknowledged event is counted exactly once, and a live
// subscription opened before the kills delivers again.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(read: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(500);
  }
}

interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

/** Clients recording single events until stopped; an UNAVAILABLE answer is retried with the same id. */
function startWriters(stack: Stack, cameraId: string, clients: number) {
  const acked = new Map<string, number>();
  const ackedAt: number[] = [];
  const refused: string[] = [];
  let unavailable = 0;
  let running = true;
  const loops = Array.from({ length: clients }, async (_, client) => {
    for (let n = 0; running; n += 1) {
      const id = randomUUID();
      const input = { id, cameraId, type: n % 2 ? 'motion' : 'person', severity: 'LOW', occurredAt: new Date().toISOString(), attributes: { client } };
      for (;;) {
        const response = await stack
          .graphql<{ recordEvent: { position: string } }>(
            `mutation($input: RecordEventInput!) { recordEvent(input: $input) { position } }`,
            { input },
            'operator',
          )
          .catch((error: Error) => ({ data: undefined, errors: [{ message: error.message, extensions: { code: 'UNAVAILABLE' } }] }));
        if (response.data?.recordEvent) {
          acked.set(id, Number(response.data.recordEvent.position));
          ackedAt.push(Date.now());
          break;
        }
        const errors = (response.errors ?? []) as GraphQLError[];
        if (errors.some((e) => e.extensions?.code === 'UNAVAILABLE')) {
          unavailable += 1;
          await sleep(200);
          continue;
        }
        refused.push(JSON.stringify(errors));
        break;
      }
      await sleep(20);
    }
  });
  return {
    acked,
    refused,
    unavailable: () => unavailable,
    /** The first acknowledgement after `since` (ms since then), for the report. */
    firstAckAfter: (since: number) => (ackedAt.find((at) => at > since) ?? NaN) - since,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('clustered engines: a node of each killed under writes', () => {
  let cluster: OwnCluster;
  let stack: Stack;
  let ws: Client | undefined;
  beforeAll(async () => {
    cluster = await startOwnCluster('e2e', ['rabbitmq', 'elasticsearch']);
    stack = await startStack({ label: 'cluster', env: { AMQP_URL: cluster.amqpUrl, ELASTICSEARCH_URL: cluster.elasticsearchUrl } });
  }, 600_000);
  afterAll(async () => {
    await ws?.dispose();
    await stack?.stop();
    await cluster?.remove();
  }, 180_000);

  it('keeps accepting commands, counts every acknowledged one exactly once, and live subscriptions deliver again', async () => {
    const registered = await stack.graphql<{ registerCamera: { id: string } }>(
      `mutation { registerCamera(input: { name: "Cluster gate", rtspUrl: "rtsp://127.0.0.1:8554/cluster" }) { id } }`,
    );
    const cameraId = registered.data!.registerCamera.id;

    ws = createClient({
      url: stack.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${stack.token('viewer')}` },
      retryAttempts: 0,
    });
    const pushed = new Set<string>();
    const subscriptionErrors: unknown[] = [];
    ws.subscribe<{ eventRecorded: { id: string } }>(
      { query: `subscription($f: EventFilter) { eventRecorded(filter: $f) { id } }`, variables: { f: { cameraIds: [cameraId] } } },
      {
        next: (value) => (value.data ? pushed.add(value.data.eventRecorded.id) : subscriptionErrors.push(value.errors)),
        error: (error) => subscriptionErrors.push(error),
        complete: () => undefined,
      },
    );

    // Every index of the namespace has a replica (auto-expanded on three nodes), all allocated.
    const elastic = `http://127.0.0.1:${cluster.elasticsearchPorts[1]}`;
    const health = await fetch(`${elastic}/_cluster/health/${stack.namespace}-*?wait_for_status=green&timeout=60s`).then(
      (r) => r.json() as Promise<{ status: string }>,
    );
    expect(health.status).toBe('green');
    const settings = (await fetch(`${elastic}/${stack.namespace}-*/_settings/index.number_of_replicas`).then((r) => r.json())) as Record<
      string,
      { settings: { index: { number_of_replicas: string } } }
    >;
    expect(Object.keys(settings).length).toBeGreaterThan(0);
    expect(Object.entries(settings).filter(([, index]) => index.settings.index.number_of_replicas !== '1')).toEqual([]);

    const writers = startWriters(stack, cameraId, 4);
    await eventually(async () => (pushed.size > 0 ? true : undefined), 60_000);
    const rabbitKilledAt = Date.now();
    await cluster.kill(cluster.amqpPorts[0] as number);
    await sleep(15_000);
    const elasticKilledAt = Date.now();
    await cluster.kill(cluster.elasticsearchPorts[0] as number);
    await sleep(15_000);
    await writers.stop();
    const acked = [...writers.acked.entries()];
    // Figures for bench/cluster/README.md (never asserted: speed belongs in bench/).
    console.log(
      JSON.stringify({
        acknowledged: acked.length,
        unavailableAnswers: writers.unavailable(),
        firstAckAfterRabbitKillMs: writers.firstAckAfter(rabbitKilledAt),
        firstAckAfterElasticKillMs: writers.firstAckAfter(elasticKilledAt),
      }),
    );
    expect(writers.refused).toEqual([]);
    expect(writers.acked.size).toBeGreaterThan(0);

    // Commands went on through both kills.
    expect(acked.filter(([, position]) => position > 0).length).toBe(acked.length);
    expect(writers.firstAckAfter(elasticKilledAt)).toBeLessThan(Infinity);

    // Every acknowledged event counted exactly once, once the views caught up with the last one.
    const highest = String(Math.max(...acked.map(([, position]) => position)));
    const total = await eventually(async () => {
      const response = await stack.graphql<{ eventStats: { total: number } }>(
        `query($f: EventFilter, $min: String) { eventStats(filter: $f, interval: HOUR, minPosition: $min) { total } }`,
        { f: { cameraIds: [cameraId] }, min: highest },
        'viewer',
      );
      return response.data?.eventStats.total;
    }, 180_000);
    expect(total).toBe(acked.length);

    // The subscription opened before the kills delivers an event recorded after them.
    const marker = randomUUID();
    const markerResponse = await stack.graphql(
      `mutation($input: RecordEventInput!) { recordEvent(input: $input) { id } }`,
      { input: { id: marker, cameraId, type: 'marker', severity: 'LOW', occurredAt: new Date().toISOString() } },
      'operator',
    );
    expect(markerResponse.errors).toBeUndefined();
    await eventually(async () => (pushed.has(marker) ? true : undefined), 60_000);
    expect(subscriptionErrors).toEqual([]);
  }, 900_000);
});
