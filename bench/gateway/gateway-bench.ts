/**
 * bench/gateway: (1) a query spanning two subgraphs (query + media) through our gateway, through
 * Hive Gateway over the same subgraphs, and against the query subgraph directly, side by side in one
 * run; (2) subscription fan-out: N subscribers on eventRecorded while events are recorded at R/s,
 * delivery latency from the recordEvents call to each subscriber. Usage:
 *   node dist/bench/gateway/gateway-bench.js [query] [replay] [fanout] [--seconds 10] [--subscribers 1000] [--rate 500]
 * (replay: the fan-out alone, from envelopes republished on the exchange; fanout: end to end).
 * With data already stored: `seed --events 1000000 --namespace NAME` records that many events into
 * NAME once; `replay --namespace NAME` then runs in it (the namespace is kept: remove it with
 * `--namespace NAME --remove`). `--elasticsearch-url` points the stack at another
 * Elasticsearch node (e.g. one of your own that you restart between runs).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sleep } from '../../lib/async/sleep';
import { INTERNAL_HEADER, signInternalToken } from '../../lib/auth/internal-token';
import { repoRoot } from '../../lib/paths';
import { composeSupergraph, SUBGRAPHS } from '../../schema/compose';
import { removeNamespaceData, startStack, type Stack } from '../../test/support/stack';
import { freePort } from '../../test/support/ports';
import { hardwareLine } from '../hardware';
import { cpuSeconds } from '../process-cpu';
import { fanoutBench } from './fanout';
import { seedEvents } from './seed';
import { closedLoop, formatLoad, mergeLoads, type LoadResult } from './load';

const DEV_INTERNAL_SECRET = 'sightline-development-internal-secret';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    subscribers: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    'client-processes': { type: 'string', default: '2' },
    namespace: { type: 'string' },
    events: { type: 'string', default: '1000000' },
    remove: { type: 'boolean', default: false },
    'elasticsearch-url': { type: 'string' },
  },
});
const parts = positionals.length > 0 ? positionals : ['query', 'replay', 'fanout'];
const seconds = Number(values.seconds);

const post = async (url: string, query: string, headers: Record<string, string>, variables?: Record<string, unknown>) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
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
  // BENCH_HIVE_NODE_ARGS: V8 flags for Hive's process, as STACK_GATEWAY_NODE_ARGS for ours (its stdout goes to stderr).
  const nodeArgs = (process.env.BENCH_HIVE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(repoRoot, 'dist/bench/gateway/hive-server.js')], {
    env: { ...process.env, HIVE_SUPERGRAPH_FILE: file, HIVE_PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', nodeArgs.length > 0 ? 2 : 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let i = 0; i < 100; i++) {
    const ok = await post(url, '{ __typename }', { [INTERNAL_HEADER]: internalHeader()() }).catch(() => ({ ok: false }));
    if (ok.ok) return { url, child };
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error('Hive Gateway did not start');
}

const metricsOf = async (stack: Stack): Promise<string> => (await fetch(`${stack.baseUrl}/metrics`)).text();

/** The gateway process's user+system CPU seconds so far (prom-client's process metrics). */
async function gatewayCpuSeconds(stack: Stack): Promise<number> {
  const match = /^sightline_gateway_process_cpu_seconds_total (\S+)$/m.exec(await metricsOf(stack));
  return Number(match?.[1] ?? NaN);
}

type GcTotals = Map<string, { count: number; seconds: number; over10ms: number }>;

/** The gateway's garbage collections so far, per kind (prom-client's GC histogram). */
async function gatewayGc(stack: Stack): Promise<GcTotals> {
  const totals: GcTotals = new Map();
  const entry = (kind: string) => totals.get(kind) ?? totals.set(kind, { count: 0, seconds: 0, over10ms: 0 }).get(kind)!;
  for (const [, name, labels, value] of (await metricsOf(stack)).matchAll(
    /^sightline_gateway_nodejs_gc_duration_seconds_(count|sum|bucket)\{([^}]*)\} (\S+)$/gm,
  )) {
    const kind = /kind="([^"]+)"/.exec(labels!)?.[1] ?? '?';
    if (name === 'count') entry(kind).count = Number(value);
    else if (name === 'sum') entry(kind).seconds = Number(value);
    else if (/le="0.01"/.test(labels!)) entry(kind).over10ms -= Number(value);
  }
  for (const totalsOfKind of totals.values()) totalsOfKind.over10ms += totalsOfKind.count;
  return totals;
}

const gcDelta = (before: GcTotals, after: GcTotals, into: GcTotals) => {
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, seconds: 0, over10ms: 0 };
    const sum = into.get(kind) ?? { count: 0, seconds: 0, over10ms: 0 };
    into.set(kind, { count: sum.count + a.count - b.count, seconds: sum.seconds + a.seconds - b.seconds, over10ms: sum.over10ms + a.over10ms - b.over10ms });
  }
};

async function subgraphFetches(stack: Stack): Promise<{ total: number; shared: number }> {
  let total = 0;
  let shared = 0;
  for (const match of (await metricsOf(stack)).matchAll(/^sightline_gateway_subgraph_fetches_total\{[^}]*shared="(yes|no)"[^}]*\} (\d+)$/gm)) {
    total += Number(match[2]);
    if (match[1] === 'yes') shared += Number(match[2]);
  }
  return { total, shared };
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
  await seedCameras(stack, 20);
  const hive = await startHive(stack);
  try {
    // Every request alike: both gateways may share identical subgraph calls in flight (Hive any of
    // them; ours only one that left after the joining request arrived, for read-your-writes).
    await compareGateways(stack, hive.url, hive.child.pid, 'identical', () => 10);
    // Each of the 16 requests in flight asks for a different page size (1-20 of the 20 cameras), so
    // neither gateway can share a subgraph call: the added latency is each gateway's own work.
    let next = 0;
    await compareGateways(stack, hive.url, hive.child.pid, 'distinct', () => 1 + (next++ % 20));
  } finally {
    hive.child.kill('SIGKILL');
  }
}

async function compareGateways(stack: Stack, hiveUrl: string, hivePid: number | undefined, kind: string, first: () => number): Promise<void> {
  const federated = 'query Bench($first: Int!) { cameras(first: $first) { edges { node { id name site liveStream { status } } } } }';
  const local = 'query Bench($first: Int!) { cameras(first: $first) { edges { node { id name site } } } }';
  const token = `Bearer ${stack.token('viewer', 'bench')}`;
  const header = internalHeader();
  const rounds = Math.max(1, Number(values.rounds));
  const concurrency = Number(values.concurrency);
  const queryUrl = `http://127.0.0.1:${stack.ports.query}/graphql`;
  const targets: Array<[string, () => Promise<{ ok: boolean }>]> = [
    ['query subgraph directly*', () => post(queryUrl, local, { [INTERNAL_HEADER]: header() }, { first: first() })],
    ['Sightline gateway', () => post(stack.gatewayUrl, federated, { authorization: token }, { first: first() })],
    ['Hive Gateway', () => post(hiveUrl, federated, { [INTERNAL_HEADER]: header() }, { first: first() })],
  ];
  console.log('');
  console.log(
    `query, ${kind} requests: ${federated}  (concurrency ${concurrency}, ${seconds} s per target in ${rounds} interleaved rounds, 2 s warm-up each first)`,
  );
  // Interleaved rounds: a change in the machine's load during the run hits every target alike.
  const perTarget = targets.map(() => [] as LoadResult[]);
  let gatewayBusy = 0;
  let hiveBusy = 0;
  const gc: GcTotals = new Map();
  const fetchesBefore = await subgraphFetches(stack);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [label, request]] of targets.entries()) {
      const before = i === 1 ? await gatewayCpuSeconds(stack) : 0;
      const hiveBefore = i === 2 ? cpuSeconds(hivePid) : 0;
      const gcBefore = i === 1 ? await gatewayGc(stack) : undefined;
      perTarget[i]?.push(await closedLoop(label, request, { concurrency, seconds: seconds / rounds, warmupSeconds: round === 0 ? 2 : 0.5 }));
      if (i === 1) gatewayBusy += (await gatewayCpuSeconds(stack)) - before;
      if (i === 2) hiveBusy += cpuSeconds(hivePid) - hiveBefore;
      if (gcBefore) gcDelta(gcBefore, await gatewayGc(stack), gc);
    }
  }
  const results = perTarget.map(mergeLoads);
  for (const r of results) console.log(formatLoad(r));
  const [direct, ours, theirs] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
  console.log(
    `added p50 over direct: ours ${(ours.p50 - direct.p50).toFixed(2)} ms, Hive ${(theirs.p50 - direct.p50).toFixed(2)} ms; p99: ours ${(ours.p99 - direct.p99).toFixed(2)} ms, Hive ${(theirs.p99 - direct.p99).toFixed(2)} ms`,
  );
  console.log(`CPU per request: ours ${((gatewayBusy * 1000) / ours.sent).toFixed(2)} ms, Hive ${((hiveBusy * 1000) / theirs.sent).toFixed(2)} ms`);
  const fetches = await subgraphFetches(stack);
  console.log(
    `our gateway's subgraph fetches ${fetches.total - fetchesBefore.total}, ${fetches.shared - fetchesBefore.shared} of them answered by an identical query in flight`,
  );
  const gcLine = [...gc]
    .filter(([, g]) => g.count > 0)
    .map(([kind, g]) => `${kind} ${g.count}x, ${(g.seconds * 1000).toFixed(0)} ms in all, ${g.over10ms} over 10 ms`);
  console.log(`our gateway's GC pauses while loaded: ${gcLine.join('; ') || 'none'}`);
  console.log('* the query subgraph alone answers the cameras part; both gateways also fetch liveStream from media.');
}

async function main(): Promise<void> {
  console.log(hardwareLine());
  if (values.remove && values.namespace) {
    await removeNamespaceData(values.namespace);
    // removeNamespaceData knows the engines of ELASTICSEARCH_URL only.
    if (values['elasticsearch-url']) await fetch(`${values['elasticsearch-url']}/${encodeURIComponent(values.namespace)}-*`, { method: 'DELETE' });
    console.log(`removed ${values.namespace}`);
    return;
  }
  const stack = await startStack({
    label: 'benchgw',
    ...(values.namespace ? { namespace: values.namespace } : {}),
    env: {
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
      SUBSCRIBER_QUEUE_MAX: '1000',
      // 1,000 subscribers of one identity (the default cap is 500).
      SUBSCRIPTIONS_PER_IDENTITY_MAX: '100000',
      ...(values['elasticsearch-url'] ? { ELASTICSEARCH_URL: values['elasticsearch-url'] } : {}),
    },
  });
  console.log(`namespace ${stack.namespace}${values.namespace ? ' (kept)' : ''}, Elasticsearch ${stack.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200'}`);
  try {
    if (parts.includes('seed')) await seedEvents(stack, Number(values.events));
    if (parts.includes('query')) await queryBench(stack);
    for (const mode of ['replay', 'live'] as const) {
      if (!parts.includes(mode === 'live' ? 'fanout' : 'replay')) continue;
      await fanoutBench(stack, {
        mode,
        subscribers: Number(values.subscribers),
        connections: Math.min(Number(values.connections), Number(values.subscribers)),
        rate: Number(values.rate),
        seconds,
        clientProcesses: Number(values['client-processes']),
      });
    }
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
