import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { sleep } from '../../lib/async/sleep';
import { amqpNames } from '../../lib/events/topology';
import type { Stack } from '../../test/support/stack';
import { percentile } from '../hardware';
import { cpuSeconds, pidListening } from '../process-cpu';
import { formatHistogram, histogramDelta, readHistogram, readValue } from './prometheus';
import type { FromClient, ToClient } from './fanout-client';

export interface FanoutOptions {
  subscribers: number;
  connections: number;
  rate: number;
  seconds: number;
  /**
   * live: events recorded through the gateway at `rate`/s (end to end, command side included).
   * replay: events recorded and projected first, then their envelopes republished on the events
   * exchange at `rate`/s, which isolates the gateway (payload query + fan-out).
   */
  mode: 'live' | 'replay';
  /** Processes the receiving clients are spread over. */
  clientProcesses: number;
}

/** What every subscriber selects: `camera` is not in the envelope, so each payload needs the read model. */
const SELECTION = '{ id type attributes camera { name site } }';

/**
 * Mean latency of a plain `event(id)` read of the same selection through the gateway, one at a time
 * for `seconds`: the yardstick a payload query's cost per event is held to.
 */
async function plainEventRead(stack: Stack, ids: readonly string[], seconds: number): Promise<number> {
  const token = `Bearer ${stack.token('viewer', 'fanout-plain')}`;
  const deadline = performance.now() + seconds * 1000;
  let total = 0;
  let reads = 0;
  for (let i = 0; performance.now() < deadline && ids.length > 0; i++) {
    const started = performance.now();
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: token },
      body: JSON.stringify({ query: `query($id: ID!) { event(id: $id) ${SELECTION} }`, variables: { id: ids[i % ids.length] } }),
    });
    await response.json();
    total += performance.now() - started;
    reads += 1;
  }
  return total / reads;
}

/** p50/p99/max of merged sparse 1 ms histograms ([ms, count, ...]). */
function histogramSummary(parts: number[][]): string {
  const counts = new Map<number, number>();
  let total = 0;
  for (const part of parts) {
    for (let i = 0; i + 1 < part.length; i += 2) {
      counts.set(part[i] as number, (counts.get(part[i] as number) ?? 0) + (part[i + 1] as number));
      total += part[i + 1] as number;
    }
  }
  const sorted = [...counts].sort((a, b) => a[0] - b[0]);
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil((p / 100) * total));
    let seen = 0;
    for (const [ms, n] of sorted) if ((seen += n) >= rank) return ms;
    return NaN;
  };
  return `p50 ${at(50)} ms, p99 ${at(99)} ms, max ${sorted[sorted.length - 1]?.[0] ?? NaN} ms (${total} samples)`;
}

const summary = (list: number[]) => {
  list.sort((a, b) => a - b);
  return `p50 ${percentile(list, 50)} ms, p99 ${percentile(list, 99)} ms, max ${list[list.length - 1] ?? NaN} ms (${list.length} samples)`;
};

export async function fanoutBench(stack: Stack, options: FanoutOptions): Promise<void> {
  const names = amqpNames(stack.namespace);
  const camera = await stack.graphql<{ registerCamera: { id: string } }>(
    'mutation { registerCamera(input: { name: "Fanout", site: "bench", rtspUrl: "rtsp://127.0.0.1:8554/fanout" }) { id } }',
    undefined,
    'admin',
  );
  const cameraId = camera.data!.registerCamera.id;
  const operator = `Bearer ${stack.token('operator', 'fanout')}`;
  const total = options.rate * options.seconds;
  // Measured after a warm-up at the same rate (code compiled, batch query plans cached), whose
  // deliveries are awaited and then discarded by the clients.
  const warmupSeconds = 2;
  const warmupEvents = options.rate * warmupSeconds;

  // Our own queue on the events exchange: when each event got there, and its envelope (for replay).
  const broker = await amqp.connect(stack.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  const channel = await broker.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, names.eventsExchange, 'event.EventRecorded');
  const reachedExchange = new Map<string, number>();
  let onReached: ((ids: string[], at: number) => void) | undefined;
  const envelopes: Buffer[] = [];
  const relay: number[] = [];
  let lastPosition = '0';
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      const envelope = JSON.parse(message.content.toString()) as { position: string; data: { eventId: string; attributes: { sentAt: number } } };
      const now = Date.now();
      reachedExchange.set(envelope.data.eventId, now);
      onReached?.([envelope.data.eventId], now);
      relay.push(now - envelope.data.attributes.sentAt);
      envelopes.push(message.content);
      if (BigInt(envelope.position) > BigInt(lastPosition)) lastPosition = envelope.position;
    },
    { noAck: true },
  );

  let refused = 0;
  const record = async (count: number) => {
    const sentAt = Date.now();
    const inputs = Array.from({ length: count }, () => ({
      cameraId,
      type: 'bench',
      severity: 'INFO',
      occurredAt: new Date(sentAt).toISOString(),
      attributes: { sentAt },
    }));
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: operator },
      body: JSON.stringify({ query: 'mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted } }', variables: { inputs } }),
    });
    const body = (await response.json()) as { data?: { recordEvents: { accepted: number } } };
    refused += count - (body.data?.recordEvents.accepted ?? 0);
  };

  if (options.mode === 'replay') {
    // Record everything first (as fast as the command side goes), let the projection catch up.
    for (let done = 0; done < total + warmupEvents; done += 500) await record(Math.min(500, total + warmupEvents - done));
    for (let i = 0; i < 600 && envelopes.length < total + warmupEvents - refused; i++) await sleep(100);
    await stack.graphql(`{ events(first: 1, minPosition: "${lastPosition}") { totalCount } }`, undefined, 'viewer');
    reachedExchange.clear();
  }

  // The receiving clients run in processes of their own (fanout-client.ts), so their CPU is measured apart.
  const processes = Math.max(1, Math.min(options.clientProcesses, options.connections));
  const perSocket = Math.ceil(options.subscribers / options.connections);
  const token = stack.token('viewer', 'fanout');
  const children: ChildProcess[] = [];
  const progress: number[] = [];
  const reports: Array<Extract<FromClient, { kind: 'report' }>> = [];
  for (let p = 0; p < processes; p++) {
    const child = fork(path.join(__dirname, 'fanout-client.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (message: FromClient) => {
      if (message.kind === 'progress') progress[p] = message.received;
      else if (message.kind === 'report') reports.push(message);
    });
    const connections = Math.floor(options.connections / processes) + (p < options.connections % processes ? 1 : 0);
    const start: ToClient = {
      kind: 'start',
      start: {
        url: stack.gatewayUrl.replace(/^http/, 'ws'),
        token,
        connections,
        subscriptionsPerConnection: perSocket,
        query: `subscription { eventRecorded ${SELECTION} }`,
        endToEnd: options.mode === 'live',
      },
    };
    child.send(start);
    children.push(child);
  }
  const subscribers = perSocket * options.connections;
  const tell = (message: ToClient) => {
    for (const child of children) child.send(message);
  };
  const received = () => progress.reduce((sum, n) => sum + (n ?? 0), 0);
  for (let i = 0; i < 150; i++) {
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    if (new RegExp(`subscriptions_open\\{field="eventRecorded"\\} ${subscribers}`).test(metrics)) break;
    await sleep(200);
  }
  if (options.mode === 'live') onReached = (ids, at) => tell({ kind: 'reached', ids, at });

  // live: 10 recordEvents calls a second, rate/10 events each; replay: 100 ticks a second, rate/100
  // envelopes each (a steady stream, not bursts). A bounded loop either way.
  const ticksPerSecond = options.mode === 'live' ? 10 : 100;
  const perTick = Math.max(1, Math.round(options.rate / ticksPerSecond));
  let replayed = 0;
  const produce = async (seconds: number): Promise<number> => {
    const begun = Date.now();
    const inflight: Array<Promise<void>> = [];
    let produced = 0;
    for (let tick = 0; tick < seconds * ticksPerSecond; tick++) {
      const due = begun + (tick * 1000) / ticksPerSecond;
      // One reading of the clock: two could give a negative wait (a Node warning, and a 1 ms sleep).
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (options.mode === 'live') {
        inflight.push(record(perTick));
      } else {
        const batch = envelopes.slice(replayed, replayed + perTick);
        replayed += batch.length;
        const ids = batch.map((content) => (JSON.parse(content.toString()) as { data: { eventId: string } }).data.eventId);
        tell({ kind: 'reached', ids, at: Date.now() });
        for (const content of batch) channel.publish(names.eventsExchange, 'event.EventRecorded', content, { persistent: false });
      }
      produced += perTick;
    }
    await Promise.all(inflight);
    return produced;
  };
  const warmedUp = await produce(warmupSeconds);
  for (let i = 0; i < 300 && received() < (warmedUp - refused) * subscribers; i++) await sleep(100);
  tell({ kind: 'reset' });
  progress.fill(0);
  relay.length = 0;
  refused = 0;
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  const queryMetrics = async () => (await fetch(`http://127.0.0.1:${stack.ports.query}/metrics`)).text();
  const gatewayMetrics = async () => (await fetch(`${stack.baseUrl}/metrics`)).text();
  // Scraped now: prom-client restarts its event-loop figures at every scrape.
  const [gatewayBefore, queryBefore] = await Promise.all([gatewayMetrics(), queryMetrics()]);
  const queryPid = stack.processes.get('query')?.pid;
  const elasticPid = pidListening(Number(new URL(stack.env.ELASTICSEARCH_URL ?? process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200').port || 9200));
  const queryCpuBefore = cpuSeconds(queryPid);
  const elasticCpuBefore = cpuSeconds(elasticPid);
  const gatewayCpuBefore = readValue(gatewayBefore, 'sightline_gateway_process_cpu_seconds_total');
  const benchCpuBefore = process.cpuUsage();
  const started = Date.now();
  const sent = await produce(options.seconds);
  const producedIn = (Date.now() - started) / 1000;
  const expected = (options.mode === 'live' ? sent - refused : Math.min(sent, envelopes.length - warmedUp)) * subscribers;
  // Drain: stop when everything arrived or nothing arrived for 5 s (bounded at 5 minutes).
  let last = -1;
  let idle = 0;
  for (let i = 0; i < 300 && received() < expected && idle < 5; i++) {
    idle = received() === last ? idle + 1 : 0;
    last = received();
    await sleep(1000);
  }
  const wall = (Date.now() - started) / 1000;
  const [gatewayAfter, queryAfter] = await Promise.all([gatewayMetrics(), queryMetrics()]);
  const gatewayCpu = readValue(gatewayAfter, 'sightline_gateway_process_cpu_seconds_total') - gatewayCpuBefore;
  const queryCpu = cpuSeconds(queryPid) - queryCpuBefore;
  const elasticCpu = cpuSeconds(elasticPid) - elasticCpuBefore;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  tell({ kind: 'finish' });
  for (let i = 0; i < 100 && reports.length < children.length; i++) await sleep(100);
  const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
  // Over the measured run only (the warm-up's queries are before the first scrape).
  const batches = histogramDelta(
    readHistogram(gatewayBefore, 'sightline_gateway_request_duration_seconds', { operation: 'Sightline_eventRecorded_batch' }),
    readHistogram(gatewayAfter, 'sightline_gateway_request_duration_seconds', { operation: 'Sightline_eventRecorded_batch' }),
  );
  const batchSum = batches.sum;
  const batchCount = batches.count;
  const dropped = /sightline_gateway_subscription_dropped_total\{field="eventRecorded"\} (\d+)/.exec(metrics)?.[1] ?? '0';
  const rss = Number(/sightline_gateway_process_resident_memory_bytes (\d+)/.exec(metrics)?.[1] ?? 0);
  // They exit by themselves after reporting; the kill is for one that hangs.
  await sleep(500);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await broker.close();
  const delivered = reports.reduce((sum, r) => sum + r.received, 0);
  const errorCodes: Record<string, number> = {};
  for (const r of reports) for (const [code, n] of Object.entries(r.errors)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  const errors = Object.values(errorCodes).reduce((a, b) => a + b, 0);
  const clientCpu = reports.reduce((sum, r) => sum + r.cpuMs, 0) / 1000;

  console.log(
    `fan-out (${options.mode}): ${subscribers} subscribers on ${options.connections} connections (clients in ${processes} processes), ${sent} events in ${producedIn.toFixed(1)} s ` +
      `(${(sent / producedIn).toFixed(0)}/s, target ${options.rate}/s${refused ? `, ${refused} refused` : ''})`,
  );
  console.log(
    `  delivered ${delivered}/${expected} (${(delivered / wall).toFixed(0)}/s over ${wall.toFixed(1)} s until drained), ${errors} errors ${JSON.stringify(errorCodes)}, ${dropped} dropped by the slow-subscriber bound; gateway RSS after: ${(rss / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(
    `  CPU over that time: gateway ${gatewayCpu.toFixed(1)} s (${((100 * gatewayCpu) / wall).toFixed(0)}% of a core), receiving clients ${clientCpu.toFixed(1)} s (${((100 * clientCpu) / wall).toFixed(0)}%), ` +
      `bench driver ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s; load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const plain = await plainEventRead(
    stack,
    envelopes.slice(0, 500).map((content) => (JSON.parse(content.toString()) as { data: { eventId: string } }).data.eventId),
    2,
  );
  console.log(
    `  payload queries: ${batchCount} batched queries (${(sent / batchCount).toFixed(1)} events each on average), mean ${((1000 * batchSum) / batchCount).toFixed(1)} ms each, ` +
      `${((1000 * batchSum) / sent).toFixed(2)} ms per event; a plain event(id) read of the same selection, one at a time after the run: ${plain.toFixed(1)} ms`,
  );
  if (options.mode === 'live') {
    console.log(`  recordEvents call -> subscriber (end to end): ${histogramSummary(reports.map((r) => r.endToEnd))}`);
    console.log(`  recordEvents call -> events exchange (write + relay): ${summary(relay)}`);
  }
  console.log(`  events exchange -> subscriber (read-model wait + payload query + fan-out): ${histogramSummary(reports.map((r) => r.fromExchange))}`);
  const stage = (name: string) =>
    formatHistogram(
      histogramDelta(
        readHistogram(gatewayBefore, 'sightline_gateway_subscription_stage_seconds', { field: 'eventRecorded', stage: name }),
        readHistogram(gatewayAfter, 'sightline_gateway_subscription_stage_seconds', { field: 'eventRecorded', stage: name }),
      ),
    );
  console.log(`  per payload, in the gateway: batching ${stage('batching')}; query ${stage('query')}; delivery ${stage('delivery')}`);
  const inQuery = (name: string, labels: Record<string, string> = {}) =>
    formatHistogram(histogramDelta(readHistogram(queryBefore, name, labels), readHistogram(queryAfter, name, labels)));
  const lag = (name: string) => (1000 * readValue(queryAfter, `sightline_query_nodejs_eventloop_lag_${name}_seconds`)).toFixed(0);
  const gatewayLag = (name: string) => (1000 * readValue(gatewayAfter, `sightline_gateway_nodejs_eventloop_lag_${name}_seconds`)).toFixed(0);
  console.log(
    `  query subgraph: requests ${inQuery('sightline_query_request_duration_seconds')}; read-model wait of event() ${inQuery('sightline_query_read_model_wait_seconds', { field: 'event' })}; ` +
      `Elasticsearch mget events ${inQuery('sightline_query_view_read_seconds', { view: 'events' })}, cameras ${inQuery('sightline_query_view_read_seconds', { view: 'cameras' })}`,
  );
  console.log(
    `  event loop delay p50/p99/max: query subgraph ${lag('p50')}/${lag('p99')}/${lag('max')} ms, gateway ${gatewayLag('p50')}/${gatewayLag('p99')}/${gatewayLag('max')} ms; ` +
      `CPU: query subgraph ${queryCpu.toFixed(1)} s (${((100 * queryCpu) / wall).toFixed(0)}% of a core), Elasticsearch ${elasticCpu.toFixed(1)} s (${((100 * elasticCpu) / wall).toFixed(0)}%, pid ${elasticPid ?? '?'}: all its users, not only this bench); load at the start ${loadAtStart.toFixed(2)}`,
  );
  // CPU per unit of work survives a busy machine better than latency does.
  console.log(
    `  CPU per unit: gateway ${((1e6 * gatewayCpu) / Math.max(1, delivered)).toFixed(2)} µs per delivered frame, ${((1e3 * gatewayCpu) / Math.max(1, sent)).toFixed(2)} ms per event; ` +
      `query subgraph ${((1e3 * queryCpu) / Math.max(1, sent)).toFixed(2)} ms per event, ${((1e3 * queryCpu) / Math.max(1, batchCount)).toFixed(1)} ms per payload query; ` +
      `Elasticsearch ${((1e3 * elasticCpu) / Math.max(1, sent)).toFixed(2)} ms per event (all its users); receiving clients ${((1e6 * clientCpu) / Math.max(1, delivered)).toFixed(2)} µs per frame`,
  );
}
