/**
 * bench/gateway: (1) a query spanning two subgraphs (query + media) through our gateway, through
 * Hive Gateway over the same subgraphs, and against the query subgraph directly, side by side in one
 * run; (2) subscription fan-out: N subscribers on eventRecorded while events are recorded at R/s,
 * delivery latency from the recordEvents call to each subscriber. Usage:
 *   node dist/bench/gateway/gateway-bench.js [query] [fanout] [--seconds 10] [--subscribers 1000] [--rate 500]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { INTERNAL_HEADER, signInternalToken } from '../../lib/auth/internal-token';
import { repoRoot } from '../../lib/paths';
import { composeSupergraph, SUBGRAPHS } from '../../schema/compose';
import { startStack, type Stack } from '../../test/support/stack';
import { freePort } from '../../test/support/ports';
import { hardwareLine, percentile } from '../hardware';
import { closedLoop, formatLoad } from './load';

const DEV_INTERNAL_SECRET = 'sightline-development-internal-secret';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    subscribers: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '500' },
  },
});
const parts = positionals.length > 0 ? positionals : ['query', 'fanout'];
const seconds = Number(values.seconds);

const post = async (url: string, query: string, headers: Record<string, string>) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { errors?: unknown[] };
  return { ok: response.ok && !body.errors };
};

/** A fresh internal header every 20 s (they live 60 s). */
function internalHeader(): () => string {
  let value = '';
  let at = 0;
  return () => {
    if (Date.now() - at > 20000) {
      value = signInternalToken(DEV_INTERNAL_SECRET, { subject: 'bench', role: 'viewer' }, 'bench');
      at = Date.now();
    }
    return value;
  };
}

async function startHive(stack: Stack): Promise<{ url: string; child: ChildProcess }> {
  let supergraph = composeSupergraph();
  for (const { name, defaultUrl } of SUBGRAPHS) supergraph = supergraph.replace(defaultUrl, `http://127.0.0.1:${stack.ports[name]}/graphql`);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hive-bench-')), 'supergraph.graphql');
  writeFileSync(file, supergraph);
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/bench/gateway/hive-server.js')], {
    env: { ...process.env, HIVE_SUPERGRAPH_FILE: file, HIVE_PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; i < 100; i++) {
    const ok = await post(url, '{ __typename }', { [INTERNAL_HEADER]: internalHeader()() }).catch(() => ({ ok: false }));
    if (ok.ok) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('Hive Gateway did not start');
}

async function seedCameras(stack: Stack, count: number): Promise<void> {
  let position = '0';
  for (let i = 0; i < count; i++) {
    const result = await stack.graphql<{ registerCamera: { position: string } }>(
      'mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { position } }',
      { input: { name: `Bench ${i}`, site: 'bench', rtspUrl: `rtsp://127.0.0.1:8554/bench${i}` } },
      'admin',
    );
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    position = result.data!.registerCamera.position;
  }
  const caught = await stack.graphql(`{ cameras(first: ${count}, minPosition: "${position}") { totalCount } }`, undefined, 'viewer');
  if (caught.errors) throw new Error(JSON.stringify(caught.errors));
}

async function queryBench(stack: Stack): Promise<void> {
  await seedCameras(stack, 10);
  const hive = await startHive(stack);
  try {
    const federated = 'query Bench { cameras(first: 10) { edges { node { id name site liveStream { status } } } } }';
    const local = 'query Bench { cameras(first: 10) { edges { node { id name site } } } }';
    const token = `Bearer ${stack.token('viewer', 'bench')}`;
    const header = internalHeader();
    const options = { concurrency: Number(values.concurrency), seconds, warmupSeconds: 3 };
    const queryUrl = `http://127.0.0.1:${stack.ports.query}/graphql`;
    console.log(`query: ${federated}  (concurrency ${options.concurrency}, ${seconds} s each after 3 s warm-up)`);
    const results = [];
    results.push(await closedLoop('query subgraph directly*', () => post(queryUrl, local, { [INTERNAL_HEADER]: header() }), options));
    results.push(await closedLoop('Sightline gateway', () => post(stack.gatewayUrl, federated, { authorization: token }), options));
    results.push(await closedLoop('Hive Gateway', () => post(hive.url, federated, { [INTERNAL_HEADER]: header() }), options));
    for (const r of results) console.log(formatLoad(r));
    const [direct, ours, theirs] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
    console.log(`added p50 over direct: ours ${(ours.p50 - direct.p50).toFixed(2)} ms, Hive ${(theirs.p50 - direct.p50).toFixed(2)} ms; p99: ours ${(ours.p99 - direct.p99).toFixed(2)} ms, Hive ${(theirs.p99 - direct.p99).toFixed(2)} ms`);
    console.log('* the query subgraph alone answers the cameras part; both gateways also fetch liveStream from media.');
  } finally {
    hive.child.kill('SIGKILL');
  }
}

async function fanoutBench(stack: Stack): Promise<void> {
  const subscribers = Number(values.subscribers);
  const connections = Math.min(Number(values.connections), subscribers);
  const rate = Number(values.rate);
  const camera = await stack.graphql<{ registerCamera: { id: string } }>(
    'mutation { registerCamera(input: { name: "Fanout", site: "bench", rtspUrl: "rtsp://127.0.0.1:8554/fanout" }) { id } }',
    undefined,
    'admin',
  );
  const cameraId = camera.data!.registerCamera.id;
  const clients: Client[] = [];
  const latencies: number[] = [];
  let received = 0;
  let errors = 0;
  const token = stack.token('viewer', 'fanout');
  for (let c = 0; c < connections; c++) {
    clients.push(createClient({ url: stack.gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false }));
  }
  const subscribed: Array<Promise<void>> = [];
  for (let s = 0; s < subscribers; s++) {
    const client = clients[s % connections] as Client;
    client.subscribe<{ eventRecorded: { attributes: { sentAt: number } } }>(
      { query: 'subscription { eventRecorded { id type attributes camera { name site } } }' },
      {
        next: (value) => {
          if (!value.data) {
            errors += 1;
            return;
          }
          received += 1;
          latencies.push(Date.now() - value.data.eventRecorded.attributes.sentAt);
        },
        error: () => void (errors += 1),
        complete: () => undefined,
      },
    );
  }
  await Promise.all(subscribed);
  for (let i = 0; i < 100; i++) {
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    if (new RegExp(`subscriptions_open\\{field="eventRecorded"\\} ${subscribers}`).test(metrics)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  // 10 batches a second, rate/10 events each, for `seconds` (a bounded loop).
  const perBatch = Math.max(1, Math.round(rate / 10));
  const operator = `Bearer ${stack.token('operator', 'fanout')}`;
  let sent = 0;
  let refused = 0;
  const started = Date.now();
  const inflight: Array<Promise<void>> = [];
  for (let batch = 0; batch < seconds * 10; batch++) {
    const due = started + batch * 100;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const sentAt = Date.now();
    const inputs = Array.from({ length: perBatch }, () => ({ cameraId, type: 'bench', severity: 'INFO', occurredAt: new Date(sentAt).toISOString(), attributes: { sentAt } }));
    sent += perBatch;
    inflight.push(
      fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: operator },
        body: JSON.stringify({ query: 'mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted } }', variables: { inputs } }),
      }).then(async (response) => {
        const body = (await response.json()) as { data?: { recordEvents: { accepted: number } } };
        refused += perBatch - (body.data?.recordEvents.accepted ?? 0);
      }),
    );
  }
  await Promise.all(inflight);
  const producedIn = (Date.now() - started) / 1000;
  const expected = (sent - refused) * subscribers;
  let last = -1;
  for (let i = 0; i < 600 && received < expected && received !== last; i++) {
    last = received;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
  const dropped = /sightline_gateway_subscription_dropped_total\{field="eventRecorded"\} (\d+)/.exec(metrics)?.[1] ?? '0';
  const rss = Number(/sightline_gateway_process_resident_memory_bytes (\d+)/.exec(metrics)?.[1] ?? 0);
  await Promise.all(clients.map((c) => c.dispose()));
  latencies.sort((a, b) => a - b);
  console.log(
    `fan-out: ${subscribers} subscribers on ${connections} connections, ${sent} events in ${producedIn.toFixed(1)} s (${(sent / producedIn).toFixed(0)}/s target ${rate}/s, ${refused} refused)`,
  );
  console.log(
    `delivered ${received}/${expected} (${errors} errors, ${dropped} dropped by slow-subscriber bound); latency recordEvents call -> subscriber: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1] ?? NaN} ms; gateway RSS ${(rss / 2 ** 20).toFixed(0)} MiB`,
  );
}

async function main(): Promise<void> {
  console.log(hardwareLine());
  const stack = await startStack({
    label: 'benchgw',
    env: { LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000', SUBSCRIBER_QUEUE_MAX: '1000' },
  });
  try {
    if (parts.includes('query')) await queryBench(stack);
    if (parts.includes('fanout')) await fanoutBench(stack);
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
