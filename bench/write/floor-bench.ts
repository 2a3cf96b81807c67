/**
 * The floor of issue #19: what the bare engine and runtime operations ONE recordEvent needs cost in
 * CPU, at the same trickle rate, on this machine, with no Sightline code in between. See
 * bench/write/README.md, "The floor: bare engine operations at 200/s".
 *
 *   node dist/bench/write/floor-bench.js [--rate 200] [--seconds 10]
 *
 * One operation type at a time: a warm-up, then an open loop at --rate for --seconds, with the CPU
 * of the server process (the engine, found by its configured port, or a Node server this bench
 * spawns) and of this process read from /proc. The server's idle CPU, read for a few seconds before
 * and after (the engines work when nobody asks, and other people's traffic shows there too), is
 * subtracted: the lower of the two readings.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { BSON } from 'mongodb';
import { sleep } from '../../lib/async/sleep';
import { loadConfig } from '../../lib/config/config';
import { createElasticClient } from '../../lib/engines/elastic';
import { connectMongo } from '../../lib/engines/mongo';
import { nodeUrls } from '../../lib/engines/node-urls';
import { INDEX_SETTINGS, MAPPINGS } from '../../subgraphs/query/src/views/mappings';
import { hardwareLine, loadLine } from '../hardware';
import { CpuMeter, cpuSeconds, enginePids } from '../process-cpu';
import { openLoop, openLoopPost } from './open-loop-client';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WARM_UP_SECONDS = 2;
/** How long a server's CPU is read with no traffic from this bench, before its operation runs. */
const IDLE_SECONDS = 3;
/** The projection refreshes applied events at most this long after applying them when nobody waits. */
const REFRESH_EVERY_MS = 500;
/**
 * Events per projector batch at 200 recordEvent/s on a quiet machine (bench/write/README.md: one bulk
 * and one mget per ~4 events): the Elasticsearch row again, batched, beside the floor.
 */
const ES_BATCH = 4;

const config = loadConfig(process.env);
/** Everything this bench creates is named after its pid, and deleted at the end. */
const TAG = `floor${process.pid}`;

/** One operation type's figures, µs of CPU per operation (or per event, for a batched one). */
interface Figure {
  operation: string;
  /** The server's CPU per operation, its idle CPU over the same time subtracted. */
  serverUs: number;
  /** The idle CPU subtracted, per operation. */
  idleUs: number;
  clientUs: number;
  failures: number;
}

/** Runs `count` operations of an open loop at `rate` a second; returns how many failed (the first failure is printed). */
type Load = (count: number, rate: number) => Promise<number>;

/** An open loop of `operation`, failures counted, the first one printed. */
function loadOf(operation: (i: number) => Promise<unknown>): Load {
  let sequence = 0;
  return async (count, rate) => {
    let failures = 0;
    const first = sequence;
    sequence += count;
    await openLoop(count, rate, (i) =>
      operation(first + i).then(
        () => undefined,
        (error: unknown) => {
          if (failures === 0) console.error(`  first failure: ${error instanceof Error ? error.message : String(error)}`);
          failures += 1;
        },
      ),
    );
    return failures;
  };
}

/** A process's CPU seconds per second over IDLE_SECONDS with no traffic from this bench. */
async function idleRate(seconds: () => number): Promise<number> {
  const from = seconds();
  const started = performance.now();
  await sleep(IDLE_SECONDS * 1000);
  return (seconds() - from) / ((performance.now() - started) / 1000);
}

/**
 * Measures one operation type: the server's idle CPU, a warm-up, the open loop at `rate`, the idle
 * CPU again. `settle` waits for work the operations left behind (e.g. deliveries) before the CPU is
 * read. Figures are per operation divided by `eventsPerOp` (the events of a batched operation).
 */
async function measure(
  operation: string,
  server: { name: string; pid: number; children: boolean },
  load: Load,
  options: { settle?: () => Promise<void>; rate?: number; eventsPerOp?: number } = {},
): Promise<Figure> {
  const { settle = async () => undefined, rate = RATE, eventsPerOp = 1 } = options;
  const serverSeconds = () => cpuSeconds(server.pid, { children: server.children });
  const idleBefore = await idleRate(serverSeconds);

  const warmUpFailures = await load(Math.round(rate * WARM_UP_SECONDS), rate);
  await settle();

  const count = Math.round(rate * SECONDS);
  // The client (this process) alone: its children are the servers of the HTTP and GraphQL hops.
  const meter = new CpuMeter(
    new Map([
      [server.name, server.pid],
      ['bench client', process.pid],
    ]),
    new Set(server.children ? ['bench client'] : ['bench client', server.name]),
  );
  const serverFrom = serverSeconds();
  const clientFrom = cpuSeconds(process.pid);
  const started = performance.now();
  meter.start();
  const failures = await load(count, rate);
  await settle();
  const elapsed = (performance.now() - started) / 1000;
  const used = serverSeconds() - serverFrom;
  const clientUsed = cpuSeconds(process.pid) - clientFrom;
  const report = meter.report(count * eventsPerOp, eventsPerOp === 1 ? 'op' : 'event');
  const idleAfter = await idleRate(serverSeconds);
  // The lower reading: background work only adds (another user's burst, or Elasticsearch still
  // settling the index this bench just created), so the lower one is closer to the steady idle.
  const idlePerSecond = Math.min(idleBefore, idleAfter);
  const perEvent = (seconds: number) => (seconds * 1e6) / (count * eventsPerOp);
  const figure: Figure = {
    operation,
    serverUs: perEvent(used - idlePerSecond * elapsed),
    idleUs: perEvent(idlePerSecond * elapsed),
    clientUs: perEvent(clientUsed),
    failures: failures + warmUpFailures,
  };
  console.log(
    `${operation}: ${count} ops in ${elapsed.toFixed(1)} s; ${report}; idle ${server.name} ${(100 * idleBefore).toFixed(1)}% / ${(100 * idleAfter).toFixed(1)}% of a core before / after (the lower subtracted); failures ${figure.failures}; ${loadLine()}`,
  );
  return figure;
}

/** A Node server of floor-servers.ts in a child process, and the port it listens on. */
async function spawnServer(kind: 'http' | 'graphql'): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(path.join(__dirname, 'floor-servers.js'), [kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => Promise.reject(new Error(`${kind} server exited`)))])) as [
    { port: number },
  ];
  return { child, port: message.port };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill();
  await exited;
}

/** What a recordEvent sends through the gateway (~300 B). */
const RECORD_VARIABLES = {
  input: {
    cameraId: 'floor-camera-0001',
    type: 'motion',
    severity: 'HIGH',
    occurredAt: '2026-12-03T04:00:00.000Z',
    attributes: { zone: 3, score: 0.93, label: 'person', box: [0.12, 0.34, 0.56, 0.78] },
  },
};
const RECORD_QUERY = 'mutation Record($input: RecordInput!) { record(input: $input) { id version position } }';

/** One hop through a server of floor-servers.ts; the body is the same buffer every time (no per-request work). */
async function hop(kind: 'http' | 'graphql', operation: string): Promise<Figure> {
  const body = Buffer.from(JSON.stringify({ query: RECORD_QUERY, variables: RECORD_VARIABLES }));
  const { child, port } = await spawnServer(kind);
  try {
    const url = `http://127.0.0.1:${port}/graphql`;
    const load: Load = async (count, rate) =>
      (await openLoopPost(url, { 'content-type': 'application/json' }, new Array<Buffer>(count).fill(body), rate)).failures;
    console.log(`${operation}: POST of ${body.length} B`);
    return await measure(operation, { name: `${kind} server`, pid: child.pid!, children: false }, load);
  } finally {
    await stopServer(child);
  }
}

/** An event as the event store holds it (~900 B): ids, positions, the recorded event's data and metadata. */
const storedEvent = (id: string) => ({
  _id: id,
  streamId: `event-${id}`,
  version: 1,
  position: 123456789,
  type: 'EventRecorded',
  schemaVersion: 2,
  occurredAt: '2026-12-03T04:00:00.000Z',
  recordedAt: '2026-12-03T04:00:00.012Z',
  data: {
    eventId: '0f9a8a4e-6a55-4f4b-9d55-1b2a4b7c9d10',
    cameraId: 'floor-camera-0001',
    type: 'motion',
    severity: 'HIGH',
    occurredAt: '2026-12-03T04:00:00.000Z',
    source: 'floor-bench',
    attributes: { zone: 3, score: 0.93, label: 'person', box: [0.12, 0.34, 0.56, 0.78], model: 'detector-v7', frame: 184467 },
  },
  metadata: {
    correlationId: '5d1c1b6e-2b8f-4b0e-8a57-53a9c1f0a8e2',
    causationId: null,
    actor: 'operator:floor-bench',
    commandHash: 'x'.repeat(43),
    previous: { streamId: 'event-9b2e8f0c-6d4a-4c1e-9f3b-7a5d2c8e1f04', version: 1, position: 123456788 },
  },
});

async function ferretdbInsert(pid: number): Promise<Figure> {
  const mongo = await connectMongo({ url: config.mongodb.url, database: TAG });
  try {
    const streams = mongo.db.collection<{ _id: string }>('streams');
    console.log(`FerretDB insertOne: ${BSON.calculateObjectSize(storedEvent(`${TAG}-000000`))} B BSON documents into ${TAG}.streams`);
    const load = loadOf((i) => streams.insertOne(storedEvent(`${TAG}-${String(i).padStart(6, '0')}`)));
    return await measure('FerretDB insertOne', { name: 'FerretDB', pid, children: true }, load);
  } finally {
    await mongo.db.dropDatabase().catch((error: unknown) => console.error(`could not drop ${TAG}: ${String(error)}`));
    await mongo.close();
  }
}

/** Deliveries still owed by the consumers, waited for before the CPU is read (at most 30 s). */
async function drained(owed: () => number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (owed() > 0) {
    if (Date.now() > deadline) throw new Error(`${owed()} deliveries missing after 30 s`);
    await sleep(20);
  }
}

async function rabbitmqMessage(pid: number): Promise<Figure> {
  const connection = await amqp.connect(nodeUrls(config.amqp.url)[0]!);
  const exchange = `${TAG}.events`;
  // As the relay's events exchange: a durable quorum queue (the projector's) and an exclusive
  // classic queue capped by length (the gateway's feed), both bound to every event.
  const projectorQueue = `${TAG}.projector`;
  let feedQueue: string | undefined;
  try {
    const publisher = await connection.createConfirmChannel();
    await publisher.assertExchange(exchange, 'topic', { durable: true });
    await publisher.assertQueue(projectorQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await publisher.bindQueue(projectorQueue, exchange, '#');
    let published = 0;
    let delivered = 0;
    const consume = async (queue: string) => {
      const channel = await connection.createChannel();
      await channel.prefetch(100);
      await channel.consume(queue, (message) => {
        if (!message) return;
        delivered += 1;
        channel.ack(message);
      });
    };
    const feedChannel = await connection.createChannel();
    feedQueue = (await feedChannel.assertQueue('', { exclusive: true, autoDelete: true, arguments: { 'x-max-length': 10_000, 'x-overflow': 'drop-head' } }))
      .queue;
    await feedChannel.bindQueue(feedQueue, exchange, '#');
    await consume(projectorQueue);
    await consume(feedQueue);

    const body = Buffer.from(JSON.stringify(storedEvent(`${TAG}-000000`)));
    console.log(
      `RabbitMQ: persistent ${body.length} B messages, confirmed, to ${exchange} -> ${projectorQueue} (quorum) + an exclusive classic queue, manual acks`,
    );
    const load = loadOf(
      (i) =>
        new Promise<void>((resolve, reject) => {
          published += 1;
          publisher.publish(
            exchange,
            'event.EventRecorded',
            body,
            { persistent: true, contentType: 'application/json', messageId: String(i) },
            (error: unknown) => (error ? reject(error instanceof Error ? error : new Error('nacked')) : resolve()),
          );
        }),
    );
    return await measure('RabbitMQ publish + 2 deliveries', { name: 'RabbitMQ', pid, children: true }, load, {
      settle: () => drained(() => 2 * published - delivered),
    });
  } finally {
    try {
      const channel = await connection.createChannel();
      await channel.deleteQueue(projectorQueue);
      if (feedQueue) await channel.deleteQueue(feedQueue);
      await channel.deleteExchange(exchange);
    } finally {
      await connection.close();
    }
  }
}

/** A view document of the events view (~900 B), as the projector writes it: strict mapping fields only. */
const eventView = (id: string) => ({
  id,
  version: 1,
  position: 123456789,
  applied: [1],
  hasRecord: true,
  fv: { record: 1, status: 1 },
  cameraId: 'floor-camera-0001',
  type: 'motion',
  severity: 'HIGH',
  occurredAt: '2026-12-03T04:00:00.000Z',
  recordedAt: '2026-12-03T04:00:00.012Z',
  source: 'floor-bench',
  attributes: { zone: 3, score: 0.93, label: 'person', box: [0.12, 0.34, 0.56, 0.78], model: 'detector-v7', frame: 184467 },
  attributesText: 'zone 3 score 0.93 label person box 0.12 0.34 0.56 0.78 model detector-v7 frame 184467',
  status: 'OPEN',
  acknowledgedAt: null,
  acknowledgedBy: null,
  acknowledgeNote: null,
  resolvedAt: null,
  resolvedBy: null,
  resolveNote: null,
  ackSeconds: null,
  resolveSeconds: null,
});

/**
 * Each operation: a realtime mget of `batch` ids, then a _bulk indexing them, as the projector
 * applies a batch of events (it reads the documents before writing them); RATE / `batch`
 * operations a second, so RATE events a second either way. Figures per event.
 */
async function elasticsearchBulk(pid: number, batch: number): Promise<Figure> {
  const es = createElasticClient(config.elasticsearch);
  const index = `${TAG}-events-${batch}`;
  // The views' settings (one shard, translog fsynced per request, 1 s refresh interval), with no
  // replica: a single node's views get none either (auto_expand_replicas 0-1).
  const { auto_expand_replicas: _replicas, ...settings } = INDEX_SETTINGS;
  let refresher: NodeJS.Timeout | undefined;
  try {
    await es.indices.create({ index, settings: { ...settings, number_of_replicas: 0 }, mappings: MAPPINGS.events as never });
    console.log(
      `Elasticsearch: realtime mget of ${batch} id(s), then _bulk of ${batch} index op(s) (${Buffer.byteLength(JSON.stringify(eventView(`${TAG}-0000000`)))} B docs) into ${index}, ${RATE / batch} a second; refresh every ${REFRESH_EVERY_MS} ms`,
    );
    refresher = setInterval(() => void es.indices.refresh({ index }).catch(() => undefined), REFRESH_EVERY_MS);
    const load = loadOf(async (i) => {
      const ids = Array.from({ length: batch }, (_, k) => `${TAG}-${String(i * batch + k).padStart(7, '0')}`);
      await es.mget({ index, ids, realtime: true });
      const response = await es.bulk({
        operations: ids.flatMap((id) => [{ index: { _index: index, _id: id } }, eventView(id)]),
        refresh: false,
        filter_path: 'errors,items.*.status,items.*.error',
      });
      if (response.errors) throw new Error(`bulk refused: ${JSON.stringify(response.items)}`);
    });
    return await measure(`Elasticsearch mget + bulk of ${batch}`, { name: 'Elasticsearch', pid, children: true }, load, {
      rate: RATE / batch,
      eventsPerOp: batch,
    });
  } finally {
    clearInterval(refresher);
    await es.indices.delete({ index, ignore_unavailable: true }).catch((error: unknown) => console.error(`could not delete ${index}: ${String(error)}`));
    await es.close();
  }
}

const us = (value: number) => Math.round(value).toLocaleString('en-US');

function printTable(figures: Map<string, Figure>): void {
  const http = figures.get('http')!;
  const graphql = figures.get('graphql')!;
  // The GraphQL server is an HTTP server too: its row is what Apollo and Express add on top of the
  // bare hop, so the two rows add up without counting the transport twice.
  const rows: Array<{ operation: string; server: number; idle: number; client: number | undefined; perRecord: number }> = [
    { operation: 'HTTP hop (bare node:http, keep-alive)', server: http.serverUs, idle: http.idleUs, client: http.clientUs, perRecord: 2 },
    {
      operation: `GraphQL hop: Express + Apollo on top of the HTTP hop (whole server ${us(graphql.serverUs)} µs minus the bare hop)`,
      server: graphql.serverUs - http.serverUs,
      idle: graphql.idleUs,
      client: undefined,
      perRecord: 2,
    },
    { operation: 'FerretDB insertOne (~900 B, w: majority)', ...engineRow(figures.get('ferretdb')!), perRecord: 2 },
    { operation: 'RabbitMQ persistent publish, confirmed, 2 queues, 2 acked deliveries', ...engineRow(figures.get('rabbitmq')!), perRecord: 1 },
    { operation: 'Elasticsearch realtime mget of 1 + _bulk of 1 (+ refresh every 500 ms)', ...engineRow(figures.get('elasticsearch')!), perRecord: 1 },
  ];
  console.log('');
  console.log(
    '| operation | engine/server process µs per op | (idle subtracted, µs per op) | client µs per op | ops per recordEvent | floor µs per recordEvent |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  let floor = 0;
  let withClients = 0;
  let idle = 0;
  for (const row of rows) {
    floor += row.server * row.perRecord;
    withClients += (row.server + (row.client ?? 0)) * row.perRecord;
    idle += row.idle * row.perRecord;
    console.log(
      `| ${row.operation} | ${us(row.server)} | ${us(row.idle)} | ${row.client === undefined ? '— (in the HTTP hop)' : us(row.client)} | ${row.perRecord} | ${us(row.server * row.perRecord)} |`,
    );
  }
  console.log(`| **total** | | | | | **${us(floor)}** |`);
  console.log('');
  console.log(
    'Server side only: the engines and the servers. The client side of each hop or engine call is another of our servers (the gateway calling the command subgraph, the command subgraph calling FerretDB and RabbitMQ, the query subgraph consuming and writing Elasticsearch), so it is left out of the floor; with it, as an upper bound of the floor:',
  );
  const ofTarget = (value: number) => `${((100 * value) / TARGET_US).toFixed(0)}% of the ${us(TARGET_US)} µs target`;
  console.log(`floor ${us(floor)} µs per recordEvent (${ofTarget(floor)}); with the client sides ${us(withClients)} µs (${ofTarget(withClients)}).`);
  console.log(`Without subtracting the servers' idle CPU: ${us(floor + idle)} µs (${ofTarget(floor + idle)}).`);
  const single = figures.get('elasticsearch')!;
  // The projector batches (below), so the single-document row overstates what the architecture must
  // spend there; the rest alone is a floor no batching of the projection lowers.
  console.log(`Without the Elasticsearch row: ${us(floor - single.serverUs)} µs (${ofTarget(floor - single.serverUs)}).`);
  const batched = figures.get('elasticsearch-batched')!;
  const floorBatched = floor - single.serverUs + batched.serverUs;
  console.log(
    `Elasticsearch batched as the projector at 200/s (mget + bulk of ${ES_BATCH} events, ${RATE / ES_BATCH} a second): ${us(batched.serverUs)} µs per event (idle subtracted ${us(batched.idleUs)}), client ${us(batched.clientUs)} µs; the floor with that row instead: ${us(floorBatched)} µs (${ofTarget(floorBatched)}).`,
  );
}

/** Issue #19: server CPU per recordEvent at 200/s. */
const TARGET_US = 3000;

const engineRow = (figure: Figure) => ({ server: figure.serverUs, idle: figure.idleUs, client: figure.clientUs });

async function main(): Promise<void> {
  console.log(hardwareLine());
  console.log(`rate ${RATE} ops/s, ${SECONDS} s per operation after ${WARM_UP_SECONDS} s of warm-up, ${IDLE_SECONDS} s of idle reading before and after`);
  const engines = enginePids();
  const pidOf = (name: string): number => {
    const pid = engines.get(name);
    if (pid === undefined) throw new Error(`no process listens on ${name}'s configured port: are the engines running?`);
    return pid;
  };
  console.log(`engines by their configured ports: ${[...engines].map(([name, pid]) => `${name} pid ${pid}`).join(', ')}`);
  const figures = new Map<string, Figure>();
  figures.set('http', await hop('http', 'HTTP hop'));
  figures.set('graphql', await hop('graphql', 'GraphQL hop'));
  figures.set('ferretdb', await ferretdbInsert(pidOf('ferretdb')));
  figures.set('rabbitmq', await rabbitmqMessage(pidOf('rabbitmq')));
  figures.set('elasticsearch', await elasticsearchBulk(pidOf('elasticsearch'), 1));
  figures.set('elasticsearch-batched', await elasticsearchBulk(pidOf('elasticsearch'), ES_BATCH));
  printTable(figures);
  const failures = [...figures.values()].reduce((sum, figure) => sum + figure.failures, 0);
  console.log(loadLine());
  if (failures > 0) {
    console.error(`${failures} operations failed: the figures above are not those of the operations asked for`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
