/**
 * Write-side benchmark: the raw engine limits and the write path's figures, measured in ONE run on
 * the same machine, printed side by side. See bench/write/README.md.
 *
 *   node dist/bench/write/write-bench.js [--events 20000] [--latency-seconds 15] [--rate 200] [--only latency [--before DIR]]
 *
 * `--only latency`: the recordEvent latency part alone (via gateway, direct, via gateway again),
 * after 5 s of each at the same rate, so the gateway's share can be compared quickly. `--before DIR`:
 * the same first against a stack run from another built checkout (e.g. main), for before/after.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { MongoClient } from 'mongodb';
import { sleep } from '../../lib/async/sleep';
import { INTERNAL_HEADER, signInternalToken } from '../../lib/auth/internal-token';
import { amqpNames } from '../../lib/events/topology';
import { startStack, type Stack } from '../../test/support/stack';
import { hardwareLine, loadLine, percentile } from '../hardware';
import { CpuMeter, enginePids, pidListening } from '../process-cpu';
import { openLoopPost, type OpenLoopResult } from './open-loop-client';
import { loadConfig } from '../../lib/config/config';

// The same engines (and defaults) the services use.
const {
  mongodb: { url: MONGODB_URL },
  amqp: { url: AMQP_URL },
} = loadConfig();

/**
 * CPU of the engines, the stack's services (found by their ports) and this bench (where the time of
 * a phase goes). The bench is counted without its children: they are the stack's services.
 */
const stackCpuMeter = (stack: Stack) =>
  new CpuMeter(
    new Map<string, number | undefined>([
      ...enginePids(),
      ...(['command', 'query', 'media', 'gateway'] as const).map((name): [string, number | undefined] => [name, pidListening(stack.ports[name])]),
      ['bench', process.pid],
    ]),
    new Set(['bench']),
  );
/** The development default of INTERNAL_SECRET (the stack does not override it). */
const INTERNAL_SECRET = process.env.INTERNAL_SECRET ?? 'sightline-development-internal-secret';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    'latency-seconds': { type: 'string', default: '15' },
    rate: { type: 'string', default: '200' },
    only: { type: 'string' },
    before: { type: 'string' },
  },
});
const EVENTS = Number(values.events);
const LATENCY_SECONDS = Number(values['latency-seconds']);
const RATE = Number(values.rate);
const LATENCY_ONLY = values.only === 'latency';
/** Another checkout (built) to measure first with the same load: `--only latency --before DIR`. */
const BEFORE = values.before;

/** A stored event's document size, so the raw figure is for the same bytes. */
const sampleEvent = () =>
  JSON.stringify({
    eventId: randomUUID(),
    streamId: `event-${randomUUID()}`,
    version: 1,
    position: 123456789,
    type: 'EventRecorded',
    schemaVersion: 2,
    occurredAt: new Date().toISOString(),
    recordedAt: new Date().toISOString(),
    data: {
      eventId: randomUUID(),
      cameraId: 'bench-camera',
      type: 'motion',
      severity: 'HIGH',
      occurredAt: new Date().toISOString(),
      source: 'bench',
      attributes: { zone: 3, score: 0.93 },
    },
    metadata: { correlationId: randomUUID(), causationId: null, actor: 'bench', commandHash: 'x'.repeat(43) },
  });

async function rawInsertMany(): Promise<number> {
  const client = await MongoClient.connect(MONGODB_URL);
  const db = client.db(`benchraw${process.pid}`);
  const docs = Array.from({ length: EVENTS }, (_, i) => ({ _id: `event-${randomUUID()}:1`, position: i, e: sampleEvent() }));
  const started = performance.now();
  for (let i = 0; i < docs.length; i += 1000) await db.collection<{ _id: string }>('streams').insertMany(docs.slice(i, i + 1000), { ordered: false });
  const seconds = (performance.now() - started) / 1000;
  await db.dropDatabase();
  await client.close();
  return EVENTS / seconds;
}

async function rawPublishConsume(): Promise<number> {
  const connection = await amqp.connect(AMQP_URL);
  const publisher = await connection.createConfirmChannel();
  const consumer = await connection.createChannel();
  const { queue } = await consumer.assertQueue('', { exclusive: true });
  await consumer.prefetch(1000);
  const body = Buffer.from(sampleEvent());
  let consumed = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.consume(queue, (message) => {
      if (!message) return;
      consumed += 1;
      if (consumed % 100 === 0 || consumed === EVENTS) consumer.ack(message, true);
      if (consumed === EVENTS) resolve();
    });
  });
  const started = performance.now();
  for (let i = 0; i < EVENTS; i += 1) {
    publisher.sendToQueue(queue, body, { persistent: true, messageId: String(i) });
    if (i % 1000 === 999) await publisher.waitForConfirms();
  }
  await publisher.waitForConfirms();
  await done;
  const seconds = (performance.now() - started) / 1000;
  await connection.close();
  return EVENTS / seconds;
}

/**
 * recordEvent bodies for an open loop, serialised before it starts (the client's CPU is measured
 * with the stack's). Distinct occurredAt values, in the past: each is a new event.
 */
const recordBodies = (cameraId: string, count: number): Buffer[] => {
  const first = Date.now() - count;
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(
      JSON.stringify({
        query: RECORD,
        variables: {
          input: { cameraId, type: 'motion', severity: 'HIGH', occurredAt: new Date(first + i).toISOString(), attributes: { zone: 3, score: 0.93 } },
        },
      }),
    ),
  );
};

/**
 * recordEvent at RATE per second for `seconds` (open loop, cheap client: open-loop-client.ts). The
 * bodies are made now; the returned function runs the loop (so a CPU meter started in between
 * counts only the loop).
 */
const fixedRate = (url: string, headers: Record<string, string>, cameraId: string, seconds = LATENCY_SECONDS): (() => Promise<OpenLoopResult>) => {
  const bodies = recordBodies(cameraId, RATE * seconds);
  return () => openLoopPost(url, { 'content-type': 'application/json', ...headers }, bodies, RATE);
};

const describe = ({ latencies, failures }: { latencies: number[]; failures: number }) =>
  `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms, ${failures} errors`;

const RECORD = `mutation($input: RecordEventInput!) { recordEvent(input: $input) { id position } }`;
const RECORD_MANY = `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted errors { code } } }`;
const REGISTER = `mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id } }`;

async function main(): Promise<void> {
  console.log(hardwareLine());
  if (LATENCY_ONLY) return latencyOnly();
  const rawInsert = await rawInsertMany();
  const rawAmqp = await rawPublishConsume();

  const stack: Stack = await startStack({ label: 'benchwrite', env: { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000', LOG_LEVEL: 'warn' } });
  try {
    const registered = await stack.graphql<{ registerCamera: { id: string } }>(REGISTER, { input: { name: 'bench', rtspUrl: 'rtsp://127.0.0.1/bench' } });
    const cameraId = registered.data!.registerCamera.id;
    const input = () => ({ cameraId, type: 'motion', severity: 'HIGH', occurredAt: new Date().toISOString(), attributes: { zone: 3, score: 0.93 } });
    const names = amqpNames(stack.namespace);
    const connection = await amqp.connect(AMQP_URL);
    const channel = await connection.createConfirmChannel();
    const probe = await connection.createChannel();
    const { queue } = await probe.assertQueue('', { exclusive: true });
    await probe.bindQueue(queue, names.eventsExchange, 'event.EventRecorded');
    let relayed = 0;
    let lastPosition = '0';
    await probe.consume(
      queue,
      (message) => {
        relayed += 1;
        if (message) lastPosition = String((JSON.parse(message.content.toString()) as { position: string | number }).position);
      },
      { noAck: true },
    );
    // Each phase starts once the read side has projected everything before it, so a phase's figures
    // are not slowed by the previous phase's backlog (the projection of its own events still runs).
    const projected = async () => {
      for (let i = 0; i < 30; i += 1) {
        const answer = await stack.graphql(`{ eventStats(interval: DAY, minPosition: "${lastPosition}") { total } }`, undefined, 'viewer');
        if (!answer.errors) return;
      }
    };
    const cpu = stackCpuMeter(stack);
    const waitRelayed = async (target: number) => {
      for (let i = 0; i < 6000 && relayed < target; i += 1) await sleep(20);
    };

    // recordEvent latency at a fixed request rate (open loop: requests are not held back by slow answers).
    const viaGateway = await fixedRate(stack.gatewayUrl, { authorization: `Bearer ${stack.token('operator')}` }, cameraId)();
    // The same straight to the command subgraph (as the gateway would call it): splits gateway from write path.
    const internal = signInternalToken(INTERNAL_SECRET, { subject: 'bench', role: 'operator' }, 'bench');
    const direct = await fixedRate(`http://127.0.0.1:${stack.ports.command}/graphql`, { [INTERNAL_HEADER]: internal }, cameraId)();

    // AMQP ingest: publish -> stored (observed when the relay re-publishes it: includes the relay),
    // one event per message, then 100 per message (the contract's array body).
    const ingest = async (perMessage: number) => {
      await waitRelayed(relayed);
      await projected();
      const relayedBefore = relayed;
      cpu.start();
      const started = performance.now();
      for (let i = 0; i < EVENTS / perMessage; i += 1) {
        const body = perMessage === 1 ? input() : Array.from({ length: perMessage }, input);
        channel.publish(names.ingestExchange, 'bench.motion', Buffer.from(JSON.stringify(body)), { persistent: true, messageId: `m-${i}-${randomUUID()}` });
        if (i % Math.max(1, 1000 / perMessage) === 0) await channel.waitForConfirms();
      }
      await channel.waitForConfirms();
      await waitRelayed(relayedBefore + EVENTS);
      const rate = (relayed - relayedBefore) / ((performance.now() - started) / 1000);
      return { rate, cpu: cpu.report(relayed - relayedBefore, 'event') };
    };
    const ingestSingle = await ingest(1);
    const ingestArrays = await ingest(100);

    // recordEvents: batches of 1,000 through the gateway, two clients at a time.
    const batches = Math.max(2, Math.round(EVENTS / 1000));
    await waitRelayed(relayed);
    await projected();
    cpu.start();
    const batchStarted = performance.now();
    let accepted = 0;
    for (let i = 0; i < batches; i += 2) {
      const results = await Promise.all(
        [0, 1].map(() => stack.graphql<{ recordEvents: { accepted: number } }>(RECORD_MANY, { inputs: Array.from({ length: 1000 }, input) }, 'operator')),
      );
      for (const r of results) accepted += r.data?.recordEvents.accepted ?? 0;
    }
    const batchRate = accepted / ((performance.now() - batchStarted) / 1000);
    const batchCpu = cpu.report(accepted, 'event');

    await connection.close();

    const pct = (value: number, limit: number) => `${((100 * value) / limit).toFixed(0)}% of raw insertMany`;
    console.log('');
    console.log('| figure | value | compared with |');
    console.log('| --- | --- | --- |');
    console.log(`| raw FerretDB insertMany (1,000-doc batches, event-sized docs) | ${rawInsert.toFixed(0)} docs/s | limit |`);
    console.log(`| raw RabbitMQ publish (confirms) + consume (ack) | ${rawAmqp.toFixed(0)} msg/s | limit |`);
    console.log(
      `| AMQP ingest, publish -> stored -> relayed (${EVENTS} messages of 1 event) | ${ingestSingle.rate.toFixed(0)} events/s | ${pct(ingestSingle.rate, rawInsert)}; ${((100 * ingestSingle.rate) / rawAmqp).toFixed(0)}% of raw AMQP |`,
    );
    console.log(
      `| AMQP ingest, publish -> stored -> relayed (${EVENTS / 100} messages of 100 events) | ${ingestArrays.rate.toFixed(0)} events/s | ${pct(ingestArrays.rate, rawInsert)} |`,
    );
    console.log(`| recordEvents, 1,000 per call, 2 clients, via gateway | ${batchRate.toFixed(0)} events/s | ${pct(batchRate, rawInsert)} |`);
    console.log(`| recordEvent at ${RATE} req/s for ${LATENCY_SECONDS} s via gateway | ${describe(viaGateway)} | target p99 < 20 ms |`);
    console.log(`| recordEvent at ${RATE} req/s straight to the command subgraph | ${describe(direct)} | the gateway's share is the difference |`);
    console.log('');
    console.log('CPU per event by process (each phase starts once the previous one is projected):');
    console.log(`- ingest, 1 event per message: ${ingestSingle.cpu}`);
    console.log(`- ingest, 100 events per message: ${ingestArrays.cpu}`);
    console.log(`- recordEvents: ${batchCpu}`);
  } finally {
    await stack.stop();
    await dropDatabase(stack.namespace);
  }
  console.log(
    `| recordEvent at ${RATE} req/s straight to the command subgraph, running alone (no gateway, query or media) | ${describe(await commandAlone())} | the write path without the rest of the stack on the 2 cores |`,
  );
  console.log('');
  console.log(`load after: ${loadLine()}`);
}

/**
 * recordEvent at RATE via the gateway and straight to the command subgraph, alternating, after a
 * warm-up; with `--before DIR` (another checkout, built), first the same against a stack run from
 * DIR, then against this one, and both tables side by side. One stack runs at a time.
 */
async function latencyOnly(): Promise<void> {
  const runs: Array<[string, Array<[string, string, string]>]> = [];
  if (BEFORE) runs.push([`before (${BEFORE})`, await latencyRows(BEFORE)]);
  runs.push([BEFORE ? 'after (this checkout)' : 'this checkout', await latencyRows()]);
  console.log('');
  console.log('| code | recordEvent at ' + RATE + ' req/s for ' + LATENCY_SECONDS + ' s | latency | CPU per request by process |');
  console.log('| --- | --- | --- | --- |');
  for (const [code, rows] of runs) for (const [name, figures, cpuFigures] of rows) console.log(`| ${code} | ${name} | ${figures} | ${cpuFigures} |`);
  console.log('');
  console.log(`load after: ${loadLine()}`);
}

/** The latency rows of one stack, run from `root` (default: this checkout). */
async function latencyRows(root?: string): Promise<Array<[string, string, string]>> {
  const stack: Stack = await startStack({
    label: 'benchwritelat',
    ...(root ? { root } : {}),
    env: { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000', LOG_LEVEL: 'warn' },
  });
  try {
    const registered = await stack.graphql<{ registerCamera: { id: string } }>(REGISTER, { input: { name: 'bench', rtspUrl: 'rtsp://127.0.0.1/bench' } });
    const cameraId = registered.data!.registerCamera.id;
    const internal = signInternalToken(INTERNAL_SECRET, { subject: 'bench', role: 'operator' }, 'bench');
    const viaGateway = (seconds?: number) => fixedRate(stack.gatewayUrl, { authorization: `Bearer ${stack.token('operator')}` }, cameraId, seconds);
    const direct = (seconds?: number) => fixedRate(`http://127.0.0.1:${stack.ports.command}/graphql`, { [INTERNAL_HEADER]: internal }, cameraId, seconds);
    // Warm-up at the same rate, figures discarded: the first seconds after start (code compiled,
    // caches and connection pools filled, in every process) are slower, whichever path runs first.
    await viaGateway(5)();
    await direct(5)();
    const cpu = stackCpuMeter(stack);
    const rows: Array<[string, string, string]> = [];
    const measure = async (name: string, prepare: () => () => Promise<OpenLoopResult>) => {
      const run = prepare();
      cpu.start();
      const result = await run();
      rows.push([name, describe(result), cpu.report(result.latencies.length + result.failures, 'request')]);
    };
    await measure('via gateway', () => viaGateway());
    await measure('straight to the command subgraph', () => direct());
    await measure('via gateway, again', () => viaGateway());
    return rows;
  } finally {
    await stack.stop();
    await dropDatabase(stack.namespace);
  }
}

async function dropDatabase(name: string): Promise<void> {
  const client = await MongoClient.connect(MONGODB_URL);
  await client.db(name).dropDatabase();
  await client.close();
}

/**
 * The same open-loop latency against a stack of the command subgraph alone: in the full stack the
 * query subgraph projects every event into Elasticsearch on the same cores while it is measured.
 */
async function commandAlone(): Promise<{ latencies: number[]; failures: number }> {
  const stack = await startStack({ label: 'benchwritealone', services: ['command'], env: { LOG_LEVEL: 'warn' } });
  try {
    const token = (role: 'admin' | 'operator') => signInternalToken(INTERNAL_SECRET, { subject: 'bench', role }, 'bench');
    const post = async (query: string, variables: Record<string, unknown>, role: 'admin' | 'operator') => {
      const response = await fetch(`http://127.0.0.1:${stack.ports.command}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_HEADER]: token(role) },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data?: { registerCamera?: { id: string } }; errors?: unknown[] };
    };
    const registered = await post(REGISTER, { input: { name: 'bench', rtspUrl: 'rtsp://127.0.0.1/bench' } }, 'admin');
    const cameraId = registered.data?.registerCamera?.id;
    if (!cameraId) throw new Error(`registerCamera failed: ${JSON.stringify(registered.errors)}`);
    return await fixedRate(`http://127.0.0.1:${stack.ports.command}/graphql`, { [INTERNAL_HEADER]: token('operator') }, cameraId)();
  } finally {
    await stack.stop();
    await dropDatabase(stack.namespace);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
