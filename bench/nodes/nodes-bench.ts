/**
 * Two nodes on this machine's engines (bench/nodes/README.md):
 * - takeover: SIGKILL the media service that runs the sessions, time until every one of them is
 *   LIVE again on the other (same id, restarts + 1), over --kills kills; sessions per media service
 *   before and after each;
 * - throughput: `recordEvents` (batches of 500, 4 clients) for --seconds through one node, then
 *   through two, with the CPU of every process per 1,000 events.
 * Usage: bash bench/nodes/run.sh [--kills 20] [--sessions 6] [--seconds 15] [--only takeover|throughput]
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { sleep } from '../../lib/async/sleep';
import { ENGINE_URLS } from '../../test/support/engine-urls';
import { startRtspCamera } from '../../test/support/rtsp-camera';
import { startStack, type Stack } from '../../test/support/stack';
import { hardwareLine, percentile } from '../hardware';
import { cpuSeconds, pidListening } from '../process-cpu';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '20' },
    sessions: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '15' },
    only: { type: 'string', default: 'all' },
  },
});
const KILLS = Number(values.kills);
const SESSIONS = Number(values.sessions);
const SECONDS = Number(values.seconds);
const ONLY = values.only;

const nodeIdOf = (stack: Stack) => `${os.hostname()}:${stack.ports.media}`;
const ms = (value: number) => `${(value / 1000).toFixed(1)} s`;

async function takeover(): Promise<void> {
  // One shared encode for every camera: the machine's CPU goes to the services, not the test camera.
  const camera = await startRtspCamera({ shared: true });
  // Nobody plays the streams here: they must not idle out during the kills.
  const env = { LOG_LEVEL: 'warn', MEDIA_IDLE_TIMEOUT_SECONDS: '86400' };
  const a = await startStack({ label: 'benchnodes', env });
  const b = await startStack({ nodeOf: a, env });
  const mongo = await MongoClient.connect(ENGINE_URLS.mongodb);
  try {
    const owners = async () => {
      const slots = await mongo.db(a.namespace).collection<{ sessionId: string; owner: string | null }>('media_active').find({}).toArray();
      return new Map(slots.map((slot) => [slot.sessionId, slot.owner]));
    };
    const perNode = (map: Map<string, string | null>) =>
      [a, b].map((stack) => `${stack === a ? 'A' : 'B'} ${[...map.values()].filter((owner) => owner === nodeIdOf(stack)).length}`).join(', ');
    const sessions: Array<{ id: string }> = [];
    for (let i = 0; i < SESSIONS; i += 1) {
      const registered = await a.graphql<{ registerCamera: { id: string } }>(
        'mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id } }',
        { input: { name: `bench-${i}`, rtspUrl: camera.url('bench') } },
      );
      const cameraId = registered.data!.registerCamera.id;
      for (;;) {
        const started = await (i % 2 ? b : a).graphql<{ startStream: { id: string } }>(
          'mutation($id: ID!) { startStream(cameraId: $id) { id } }',
          { id: cameraId },
          'operator',
        );
        if (started.data?.startStream) {
          sessions.push(started.data.startStream);
          break;
        }
        await sleep(200);
      }
    }
    const statusOf = async (through: Stack, id: string) =>
      (
        await through.graphql<{ streamSession: { status: string; restarts: number } | null }>(
          'query($id: ID!) { streamSession(id: $id) { status restarts } }',
          { id },
          'viewer',
        )
      ).data?.streamSession ?? null;
    const allLive = async (through: Stack, minRestarts: Map<string, number>) => {
      const states = await Promise.all(sessions.map((s) => statusOf(through, s.id)));
      return states.every((state, i) => state?.status === 'LIVE' && state.restarts >= (minRestarts.get(sessions[i]!.id) ?? 0));
    };
    while (!(await allLive(a, new Map()))) await sleep(200);
    console.log(`sessions per media service at start: ${perNode(await owners())}`);

    const times: number[] = [];
    const claims: number[] = [];
    for (let kill = 1; kill <= KILLS; kill += 1) {
      const before = await owners();
      // The node whose media service runs the most sessions loses it.
      const victim = [...before.values()].filter((o) => o === nodeIdOf(a)).length >= [...before.values()].filter((o) => o === nodeIdOf(b)).length ? a : b;
      const survivor = victim === a ? b : a;
      const restarts = new Map<string, number>();
      for (const s of sessions) restarts.set(s.id, ((await statusOf(survivor, s.id))?.restarts ?? 0) + (before.get(s.id) === nodeIdOf(victim) ? 1 : 0));
      const started = performance.now();
      victim.processes.get('media')!.kill('SIGKILL');
      // Two stages: the survivor claims the sessions (membership expiry + a reconcile), then ffmpeg gets them LIVE.
      let claimed = Number.NaN;
      while (!(await allLive(survivor, restarts))) {
        if (performance.now() - started > 120000) throw new Error('takeover did not complete in 120 s');
        if (Number.isNaN(claimed)) {
          const now = await owners();
          if (sessions.every((s) => now.get(s.id) !== nodeIdOf(victim))) claimed = performance.now() - started;
        }
        await sleep(100);
      }
      const took = performance.now() - started;
      times.push(took);
      claims.push(claimed);
      const after = await owners();
      console.log(
        `kill ${kill}: media ${victim === a ? 'A' : 'B'} (${perNode(before)}) -> claimed after ${ms(claimed)}, every session LIVE again after ${ms(took)} (${perNode(after)}), load ${os.loadavg()[0]!.toFixed(1)}`,
      );
      await victim.startService('media');
    }
    const sorted = [...times].sort((x, y) => x - y);
    const claimedSorted = claims.filter(Number.isFinite).sort((x, y) => x - y);
    console.log(`claimed (owner moved) p50 ${ms(percentile(claimedSorted, 50))}, p99 ${ms(percentile(claimedSorted, 99))}`);
    console.log(
      `takeover over ${times.length} kills, ${SESSIONS} sessions: p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}, min ${ms(sorted[0]!)}, max ${ms(sorted.at(-1)!)} (MEDIA_MEMBER_TTL_SECONDS ${process.env.MEDIA_MEMBER_TTL_SECONDS ?? 'default 6'})`,
    );
  } finally {
    await mongo.close();
    await b.stop();
    await a.stop();
    await camera.stop();
  }
}

async function throughput(): Promise<void> {
  const a = await startStack({ label: 'benchnodesrate', env: { LOG_LEVEL: 'warn' } });
  let b: Stack | undefined;
  try {
    const registered = await a.graphql<{ registerCamera: { id: string } }>('mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id } }', {
      input: { name: 'rate', rtspUrl: 'rtsp://127.0.0.1:8554/rate' },
    });
    const cameraId = registered.data!.registerCamera.id;
    const phase = async (label: string, gateways: Stack[]) => {
      const stacks = b ? [a, b] : [a];
      const pids = stacks.flatMap((stack) =>
        (['gateway', 'command', 'query', 'media'] as const).map((name) => ({
          name: `${stack === a ? 'A' : 'B'} ${name}`,
          pid: stack.processes.get(name)?.pid,
        })),
      );
      const engines = [
        { name: 'rabbitmq', pid: pidListening(5672) },
        { name: 'ferretdb', pid: pidListening(27017) },
        { name: 'elasticsearch', pid: pidListening(9200) },
      ];
      const cpuBefore = [...pids, ...engines].map((p) => cpuSeconds(p.pid, { children: true }));
      const clientBefore = process.cpuUsage();
      let accepted = 0;
      let failed = 0;
      const deadline = performance.now() + SECONDS * 1000;
      const client = async (through: Stack) => {
        while (performance.now() < deadline) {
          const inputs = Array.from({ length: 500 }, () => ({
            id: randomUUID(),
            cameraId,
            type: 'motion',
            severity: 'LOW',
            occurredAt: new Date().toISOString(),
          }));
          const result = await through.graphql<{ recordEvents: { accepted: number } }>(
            'mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted } }',
            { inputs },
            'operator',
          );
          if (result.data?.recordEvents) accepted += result.data.recordEvents.accepted;
          else failed += 1;
        }
      };
      const started = performance.now();
      await Promise.all([0, 1, 2, 3].map((i) => client(gateways[i % gateways.length]!)));
      const seconds = (performance.now() - started) / 1000;
      const client_ = process.cpuUsage(clientBefore);
      const cpu = [...pids, ...engines].map((p, i) => ({ name: p.name, seconds: cpuSeconds(p.pid, { children: true }) - cpuBefore[i]! }));
      const per1k = (s: number) => ((s * 1000) / Math.max(1, accepted)).toFixed(2);
      console.log(`${label}: ${(accepted / seconds).toFixed(0)} events/s (${accepted} in ${seconds.toFixed(1)} s, ${failed} failed calls)`);
      console.log(
        `  CPU s per 1,000 events: ${cpu
          .filter((c) => Number.isFinite(c.seconds))
          .map((c) => `${c.name} ${per1k(c.seconds)}`)
          .join(', ')}; bench client ${per1k((client_.user + client_.system) / 1e6)}`,
      );
    };
    await phase('one node (A), 4 clients through gateway A', [a]);
    b = await startStack({ nodeOf: a, env: { LOG_LEVEL: 'warn' } });
    await sleep(3000);
    await phase('two nodes (A, B), 2 clients through each gateway', [a, b]);
  } finally {
    await b?.stop();
    await a.stop();
  }
}

async function main(): Promise<void> {
  console.log(hardwareLine());
  if (ONLY === 'all' || ONLY === 'takeover') await takeover();
  if (ONLY === 'all' || ONLY === 'throughput') await throughput();
  console.log(
    `load after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
