import amqp from 'amqplib';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { amqpNames } from '../../lib/events/topology';
import type { Stack } from '../../test/support/stack';
import { percentile } from '../hardware';

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
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
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

  // Our own queue on the events exchange: when each event got there, and its envelope (for replay).
  const broker = await amqp.connect(stack.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  const channel = await broker.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, names.eventsExchange, 'event.EventRecorded');
  const reachedExchange = new Map<string, number>();
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
      relay.push(now - envelope.data.attributes.sentAt);
      envelopes.push(message.content);
      if (BigInt(envelope.position) > BigInt(lastPosition)) lastPosition = envelope.position;
    },
    { noAck: true },
  );

  let refused = 0;
  const record = async (count: number) => {
    const sentAt = Date.now();
    const inputs = Array.from({ length: count }, () => ({ cameraId, type: 'bench', severity: 'INFO', occurredAt: new Date(sentAt).toISOString(), attributes: { sentAt } }));
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
    for (let done = 0; done < total; done += 500) await record(Math.min(500, total - done));
    for (let i = 0; i < 600 && envelopes.length < total - refused; i++) await sleep(100);
    await stack.graphql(`{ events(first: 1, minPosition: "${lastPosition}") { totalCount } }`, undefined, 'viewer');
    reachedExchange.clear();
  }

  const clients: Client[] = [];
  const endToEnd: number[] = [];
  const fromExchange: number[] = [];
  let received = 0;
  let errors = 0;
  const errorCodes = new Map<string, number>();
  const token = stack.token('viewer', 'fanout');
  for (let c = 0; c < options.connections; c++) {
    clients.push(createClient({ url: stack.gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false }));
  }
  for (let s = 0; s < options.subscribers; s++) {
    (clients[s % options.connections] as Client).subscribe<{ eventRecorded: { id: string; attributes: { sentAt: number } } }>(
      { query: 'subscription { eventRecorded { id type attributes camera { name site } } }' },
      {
        next: (value) => {
          if (!value.data) {
            const code = String(value.errors?.[0]?.extensions?.code ?? value.errors?.[0]?.message ?? 'unknown');
            errorCodes.set(code, (errorCodes.get(code) ?? 0) + 1);
            return void (errors += 1);
          }
          received += 1;
          const now = Date.now();
          if (options.mode === 'live') endToEnd.push(now - value.data.eventRecorded.attributes.sentAt);
          const reached = reachedExchange.get(value.data.eventRecorded.id);
          if (reached !== undefined) fromExchange.push(now - reached);
        },
        error: () => void (errors += 1),
        complete: () => undefined,
      },
    );
  }
  for (let i = 0; i < 100; i++) {
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    if (new RegExp(`subscriptions_open\\{field="eventRecorded"\\} ${options.subscribers}`).test(metrics)) break;
    await sleep(200);
  }

  // 10 ticks a second, rate/10 events each, for `seconds` (a bounded loop).
  const perTick = Math.max(1, Math.round(options.rate / 10));
  const started = Date.now();
  const inflight: Array<Promise<void>> = [];
  let sent = 0;
  for (let tick = 0; tick < options.seconds * 10; tick++) {
    const due = started + tick * 100;
    if (due > Date.now()) await sleep(due - Date.now());
    if (options.mode === 'live') {
      inflight.push(record(perTick));
    } else {
      for (const content of envelopes.slice(sent, sent + perTick)) {
        const id = (JSON.parse(content.toString()) as { data: { eventId: string } }).data.eventId;
        reachedExchange.set(id, Date.now());
        channel.publish(names.eventsExchange, 'event.EventRecorded', content, { persistent: false });
      }
    }
    sent += perTick;
  }
  await Promise.all(inflight);
  const producedIn = (Date.now() - started) / 1000;
  const expected = (options.mode === 'live' ? sent - refused : Math.min(sent, envelopes.length)) * options.subscribers;
  // Drain: stop when everything arrived or nothing arrived for 5 s (bounded at 5 minutes).
  let last = -1;
  let idle = 0;
  for (let i = 0; i < 300 && received < expected && idle < 5; i++) {
    idle = received === last ? idle + 1 : 0;
    last = received;
    await sleep(1000);
  }
  const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
  const dropped = /sightline_gateway_subscription_dropped_total\{field="eventRecorded"\} (\d+)/.exec(metrics)?.[1] ?? '0';
  const rss = Number(/sightline_gateway_process_resident_memory_bytes (\d+)/.exec(metrics)?.[1] ?? 0);
  await Promise.all(clients.map((c) => c.dispose()));
  await broker.close();

  console.log(
    `fan-out (${options.mode}): ${options.subscribers} subscribers on ${options.connections} connections, ${sent} events in ${producedIn.toFixed(1)} s ` +
      `(${(sent / producedIn).toFixed(0)}/s, target ${options.rate}/s${refused ? `, ${refused} refused` : ''})`,
  );
  console.log(`  delivered ${received}/${expected}, ${errors} error payloads ${JSON.stringify(Object.fromEntries(errorCodes))}, ${dropped} dropped by the slow-subscriber bound; gateway RSS after: ${(rss / 2 ** 20).toFixed(0)} MiB`);
  if (options.mode === 'live') {
    console.log(`  recordEvents call -> subscriber (end to end): ${summary(endToEnd)}`);
    console.log(`  recordEvents call -> events exchange (write + relay): ${summary(relay)}`);
  }
  console.log(`  events exchange -> subscriber (read-model wait + payload query + fan-out): ${summary(fromExchange)}`);
}
