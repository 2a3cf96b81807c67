/**
 * Clustered engines vs single engines, measured in ONE run on the same machine (see
 * bench/cluster/README.md): `recordEvents` throughput and recordEvent latency through the gateway
 * with the stack on the shared single-node engines, then on clusters of its own (three RabbitMQ and
 * three Elasticsearch nodes, SIGHTLINE_ENGINES=cluster on free ports); then, on the clusters, the
 * time from the SIGKILL of a node (the services' RabbitMQ node, then an Elasticsearch node) to the
 * first acknowledged command, the first subscription push and the first eventStats answer that
 * counts an event acknowledged after the kill.
 *
 *   node dist/bench/cluster/cluster-bench.js [--seconds 15] [--clients 4] [--batch 500]
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { sleep } from '../../lib/async/sleep';
import { startOwnCluster, type OwnCluster } from '../../test/support/own-cluster';
import { startStack, type Stack } from '../../test/support/stack';
import { hardwareLine, percentile } from '../hardware';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    clients: { type: 'string', default: '4' },
    batch: { type: 'string', default: '500' },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const BATCH = Number(values.batch);

const RECORD_ONE = `mutation($input: RecordEventInput!) { recordEvent(input: $input) { position } }`;
const RECORD_MANY = `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted } }`;
/** The load average beside each figure: the machine's 2 cores are shared. */
const load = () =>
  `load ${os
    .loadavg()
    .slice(0, 2)
    .map((l) => l.toFixed(2))
    .join(' ')}`;

const input = (cameraId: string) => ({ id: randomUUID(), cameraId, type: 'motion', severity: 'LOW', occurredAt: new Date().toISOString() });

async function registerCamera(stack: Stack): Promise<string> {
  const response = await stack.graphql<{ registerCamera: { id: string } }>(
    `mutation { registerCamera(input: { name: "Bench gate", rtspUrl: "rtsp://127.0.0.1:8554/bench" }) { id } }`,
  );
  return response.data!.registerCamera.id;
}

/** `clients` loops calling `call` for `seconds`; returns the latencies (ms) and what `call` counted. */
async function drive(seconds: number, clients: number, call: () => Promise<number>): Promise<{ latencies: number[]; counted: number; elapsed: number }> {
  const latencies: number[] = [];
  let counted = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        counted += await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), counted, elapsed: (performance.now() - started) / 1000 };
}

async function measureWrites(stack: Stack, cameraId: string): Promise<{ batchRate: number; p50: number; p99: number; n: number }> {
  const batches = await drive(SECONDS, 2, async () => {
    const response = await stack.graphql<{ recordEvents: { accepted: number } }>(
      RECORD_MANY,
      { inputs: Array.from({ length: BATCH }, () => input(cameraId)) },
      'operator',
    );
    return response.data?.recordEvents.accepted ?? 0;
  });
  const singles = await drive(SECONDS, CLIENTS, async () => {
    const response = await stack.graphql(RECORD_ONE, { input: input(cameraId) }, 'operator');
    return response.errors ? 0 : 1;
  });
  return {
    batchRate: batches.counted / batches.elapsed,
    p50: percentile(singles.latencies, 50),
    p99: percentile(singles.latencies, 99),
    n: singles.latencies.length,
  };
}

/** Writers and a subscriber running while `kill` runs: ms from the kill to the first ack, push and counted read after it. */
async function measureKill(stack: Stack, cameraId: string, kill: () => Promise<void>): Promise<Record<string, number>> {
  const acks: Array<{ at: number; position: number }> = [];
  const pushes: number[] = [];
  const ws = createClient({
    url: stack.gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${stack.token('viewer')}` },
  });
  ws.subscribe(
    { query: `subscription($f: EventFilter) { eventRecorded(filter: $f) { id } }`, variables: { f: { cameraIds: [cameraId] } } },
    { next: () => pushes.push(Date.now()), error: () => undefined, complete: () => undefined },
  );
  let running = true;
  const writers = Array.from({ length: CLIENTS }, async () => {
    while (running) {
      const one = input(cameraId);
      for (;;) {
        const response = await stack.graphql<{ recordEvent: { position: string } }>(RECORD_ONE, { input: one }, 'operator').catch(() => undefined);
        if (response?.data?.recordEvent) {
          acks.push({ at: Date.now(), position: Number(response.data.recordEvent.position) });
          break;
        }
        await sleep(100);
      }
      await sleep(20);
    }
  });
  await sleep(3000);
  const killedAt = Date.now();
  await kill();
  // The first eventStats answer that includes an event acknowledged after the kill.
  let countedAt = NaN;
  const deadline = Date.now() + 120_000;
  while (Number.isNaN(countedAt) && Date.now() < deadline) {
    const after = acks.find((a) => a.at > killedAt);
    if (after) {
      const response = await stack
        .graphql<{ eventStats: { total: number } }>(
          `query($f: EventFilter, $min: String) { eventStats(filter: $f, interval: HOUR, minPosition: $min) { total } }`,
          { f: { cameraIds: [cameraId] }, min: String(after.position) },
          'viewer',
        )
        .catch(() => undefined);
      if (response?.data?.eventStats) countedAt = Date.now();
    }
    if (Number.isNaN(countedAt)) await sleep(100);
  }
  await sleep(2000);
  running = false;
  await Promise.all(writers);
  await ws.dispose();
  const first = (times: number[]) => (times.find((at) => at > killedAt) ?? NaN) - killedAt;
  // The longest pause between two acknowledgements from 1 s before the kill on.
  const ackTimes = acks.map((a) => a.at).filter((at) => at > killedAt - 1000);
  const longestAckGap = ackTimes.slice(1).reduce((max, at, i) => Math.max(max, at - (ackTimes[i] as number)), 0);
  const pushTimes = pushes.filter((at) => at > killedAt - 1000);
  const longestPushGap = pushTimes.slice(1).reduce((max, at, i) => Math.max(max, at - (pushTimes[i] as number)), 0);
  return {
    firstAckMs: first(acks.map((a) => a.at)),
    longestAckGapMs: longestAckGap,
    firstPushMs: first(pushes),
    longestPushGapMs: longestPushGap,
    firstCountedReadMs: countedAt - killedAt,
  };
}

/**
 * Waits until the views count an event recorded now: the throughput phase leaves the projection a
 * backlog (minutes of it on a loaded machine), and a kill measured on top of it would measure the
 * backlog. Returns how long the wait took.
 */
async function viewsCaughtUp(stack: Stack, cameraId: string): Promise<number> {
  const started = Date.now();
  const recorded = await stack.graphql<{ recordEvent: { position: string } }>(RECORD_ONE, { input: input(cameraId) }, 'operator');
  const position = recorded.data?.recordEvent.position;
  if (!position) throw new Error(`recordEvent failed: ${JSON.stringify(recorded.errors)}`);
  for (;;) {
    const response = await stack
      .graphql<{ eventStats: { total: number } }>(
        `query($f: EventFilter, $min: String) { eventStats(filter: $f, interval: HOUR, minPosition: $min) { total } }`,
        { f: { cameraIds: [cameraId] }, min: position },
        'viewer',
      )
      .catch(() => undefined);
    if (response?.data?.eventStats) return Date.now() - started;
    if (Date.now() - started > 600_000) throw new Error('the views did not catch up within 10 min');
    await sleep(200);
  }
}

async function main(): Promise<void> {
  console.log(hardwareLine());
  const rows: string[] = [];
  const single = await startStack({ label: 'benchsingle' });
  try {
    const camera = await registerCamera(single);
    const w = await measureWrites(single, camera);
    rows.push(`| single | ${w.batchRate.toFixed(0)} events/s | ${w.p50.toFixed(1)} / ${w.p99.toFixed(1)} ms (n=${w.n}) | ${load()} |`);
  } finally {
    await single.stop();
  }

  let cluster: OwnCluster | undefined;
  let stack: Stack | undefined;
  try {
    const started = performance.now();
    cluster = await startOwnCluster('bench', ['rabbitmq', 'elasticsearch']);
    console.log(`clusters started in ${((performance.now() - started) / 1000).toFixed(0)} s (${load()})`);
    stack = await startStack({ label: 'benchcluster', env: { AMQP_URL: cluster.amqpUrl, ELASTICSEARCH_URL: cluster.elasticsearchUrl } });
    const camera = await registerCamera(stack);
    const w = await measureWrites(stack, camera);
    rows.push(`| cluster | ${w.batchRate.toFixed(0)} events/s | ${w.p50.toFixed(1)} / ${w.p99.toFixed(1)} ms (n=${w.n}) | ${load()} |`);
    const c = cluster;
    const rabbitBacklog = await viewsCaughtUp(stack, camera);
    const rabbit = { ...(await measureKill(stack, camera, () => c.kill(c.amqpPorts[0] as number))), backlogMs: rabbitBacklog };
    const rabbitLoad = load();
    const elasticBacklog = await viewsCaughtUp(stack, camera);
    const elastic = { ...(await measureKill(stack, camera, () => c.kill(c.elasticsearchPorts[0] as number))), backlogMs: elasticBacklog };
    console.log('');
    console.log(`| engines | recordEvents, ${BATCH} per call, 2 clients | recordEvent p50 / p99, ${CLIENTS} clients | machine |`);
    console.log('| --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
    console.log('');
    console.log(
      '| node SIGKILLed | views caught up before the kill in | first ack | longest pause between acks | first subscription push | longest pause between pushes | first eventStats counting a later event | machine |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    const line = (name: string, r: Record<string, number>, machine: string) =>
      `| ${name} | ${((r.backlogMs ?? NaN) / 1000).toFixed(1)} s | ${r.firstAckMs} ms | ${r.longestAckGapMs} ms | ${r.firstPushMs} ms | ${r.longestPushGapMs} ms | ${r.firstCountedReadMs} ms | ${machine} |`;
    console.log(line("RabbitMQ (the services' node)", rabbit, rabbitLoad));
    console.log(line('Elasticsearch node 1', elastic, load()));
  } finally {
    await stack?.stop();
    await cluster?.remove();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
