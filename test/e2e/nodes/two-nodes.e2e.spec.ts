import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { createClient, type Client } from 'graphql-ws';
import { MongoClient } from 'mongodb';
import WebSocket from 'ws';
import { probeHls, waitFor } from '../../int/media/media-harness';
import { ENGINE_URLS } from '../../support/engine-urls';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { startStack, type ServiceName, type Stack } from '../../support/stack';

interface Session {
  id: string;
  status: string;
  hlsUrl: string;
  restarts: number;
}
const SESSION_FIELDS = 'id status hlsUrl restarts';

/**
 * Two nodes (two sets of the four services) on the same engines and namespace, as
 * `npm run node -- start 1` runs them beside `npm start`: sessions spread over both media services,
 * a media service SIGKILLed has its sessions taken over with their links still playing, and the
 * command service holding the relay lease plus a query service SIGKILLed under four writers lose
 * and double nothing. Subscriptions on one node see writes through the other.
 */
describe('two nodes on the same engines', () => {
  let a: Stack;
  let b: Stack;
  let camera: RtspCamera;
  let mongo: MongoClient;
  let ws: Client | undefined;

  beforeAll(async () => {
    [a, camera] = await Promise.all([startStack({ label: 'nodes' }), startRtspCamera()]);
    b = await startStack({ nodeOf: a });
    mongo = await MongoClient.connect(ENGINE_URLS.mongodb);
  }, 120000);
  afterAll(async () => {
    await ws?.dispose();
    await b?.stop();
    await a?.stop();
    await camera?.stop();
    await mongo?.close();
  });

  const nodeIdOf = (stack: Stack) => `${os.hostname()}:${stack.ports.media}`;
  const owners = async () => {
    const slots = await mongo.db(a.namespace).collection<{ _id: string; sessionId: string; owner: string | null }>('media_active').find({}).toArray();
    return new Map(slots.map((slot) => [slot.sessionId, slot.owner]));
  };
  const register = async (name: string) => {
    const result = await a.graphql<{ registerCamera: { id: string } }>(
      'mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id } }',
      { input: { name, rtspUrl: camera.url(name) } },
      'admin',
    );
    expect(result.errors).toBeUndefined();
    return result.data!.registerCamera.id;
  };
  /** Media services learn a camera from its event a moment after the command answered. */
  const startThrough = (stack: Stack, cameraId: string) =>
    waitFor('camera known to media', async () => {
      const result = await stack.graphql<{ startStream: Session }>(
        `mutation($id: ID!) { startStream(cameraId: $id) { ${SESSION_FIELDS} } }`,
        { id: cameraId },
        'operator',
      );
      if (result.errors?.[0]?.extensions?.code === 'NOT_FOUND') return undefined;
      expect(result.errors).toBeUndefined();
      return result.data!.startStream;
    });
  const sessionThrough = async (stack: Stack, id: string) =>
    (await stack.graphql<{ streamSession: Session | null }>(`query($id: ID!) { streamSession(id: $id) { ${SESSION_FIELDS} } }`, { id }, 'viewer')).data
      ?.streamSession ?? null;
  const live = (stack: Stack, id: string, timeoutMs = 30000) =>
    waitFor(
      `session ${id} LIVE`,
      async () => {
        const session = await sessionThrough(stack, id);
        return session?.status === 'LIVE' ? session : undefined;
      },
      timeoutMs,
    );

  it('spreads sessions, gives concurrent starts one session, and takes a killed media service’s sessions over with their links', async () => {
    const cameraIds = await Promise.all(['n1', 'n2', 'n3', 'n4', 'n5'].map(register));
    // Alternating gateways: each new session goes to the less loaded media service.
    const sessions: Session[] = [];
    for (const [i, cameraId] of cameraIds.slice(0, 4).entries()) sessions.push(await startThrough(i % 2 ? b : a, cameraId));
    const [fromA, fromB] = await Promise.all([startThrough(a, cameraIds[4]!), startThrough(b, cameraIds[4]!)]);
    expect(fromA.id).toBe(fromB.id);
    sessions.push(fromA);
    await Promise.all(sessions.map((session) => live(a, session.id)));

    const before = await owners();
    const perNode = (node: string) => sessions.filter((s) => before.get(s.id) === node);
    expect(perNode(nodeIdOf(a)).length + perNode(nodeIdOf(b)).length).toBe(5);
    expect(perNode(nodeIdOf(a)).length).toBeGreaterThanOrEqual(2);
    expect(perNode(nodeIdOf(b)).length).toBeGreaterThanOrEqual(2);

    // Any link plays through either gateway: each relays to the media service that owns the session.
    const onB = perNode(nodeIdOf(b));
    const linkViaA = (session: Session) => session.hlsUrl.replace(session.hlsUrl.slice(0, session.hlsUrl.indexOf('/hls/')), a.baseUrl);
    const linkViaB = (session: Session) => session.hlsUrl.replace(session.hlsUrl.slice(0, session.hlsUrl.indexOf('/hls/')), b.baseUrl);
    expect((await probeHls(linkViaA(onB[0]!))).frames).toBeGreaterThan(0);
    expect((await probeHls(linkViaB(perNode(nodeIdOf(a))[0]!))).frames).toBeGreaterThan(0);
    // Gateway B hears of the other media services every few seconds (its fallback when its own is gone).
    await new Promise((resolve) => setTimeout(resolve, 6000));

    b.processes.get('media')!.kill('SIGKILL');
    const taken = await Promise.all(
      onB.map((session) =>
        waitFor(
          `session ${session.id} taken over`,
          async () => {
            const now = await sessionThrough(a, session.id);
            return now?.status === 'LIVE' && now.restarts >= session.restarts + 1 ? now : undefined;
          },
          60000,
        ),
      ),
    );
    expect(taken.map((s) => s.id)).toEqual(onB.map((s) => s.id));
    const after = await owners();
    for (const session of onB) expect(after.get(session.id)).toBe(nodeIdOf(a));
    // Links handed out before the takeover still play, through either gateway (B's media is dead).
    for (const session of onB) {
      expect((await probeHls(linkViaA(session))).frames).toBeGreaterThan(0);
      expect((await probeHls(linkViaB(session))).frames).toBeGreaterThan(0);
    }
    await b.startService('media');
  }, 240000);

  it('counts every acknowledged write once with the relay lease holder and a query service killed under four writers, and pushes across nodes', async () => {
    const cameraId = await register('writers');
    // A subscriber on node A sees an event written through node B.
    ws = createClient({
      url: a.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${a.token('viewer')}` },
      retryAttempts: 0,
    });
    const pushed: string[] = [];
    await new Promise<void>((resolve) => {
      ws!.subscribe<{ eventRecorded: { id: string } }>(
        { query: 'subscription($f: EventFilter) { eventRecorded(filter: $f) { id } }', variables: { f: { cameraIds: [cameraId] } } },
        { next: (value) => void pushed.push(value.data!.eventRecorded.id), error: () => undefined, complete: () => undefined },
      );
      setTimeout(resolve, 500);
    });
    const probeId = randomUUID();
    const probe = await b.graphql(
      'mutation($input: RecordEventInput!) { recordEvent(input: $input) { id } }',
      { input: { id: probeId, cameraId, type: 'probe', severity: 'LOW', occurredAt: new Date().toISOString() } },
      'operator',
    );
    expect(probe.errors).toBeUndefined();
    await waitFor('push on node A of a write through node B', () => pushed.includes(probeId));

    const acknowledged = new Set<string>([probeId]);
    let highest = 0n;
    let running = true;
    /** A client behind a load balancer: a batch that fails is sent again, same ids, through the other gateway. */
    const writer = async (first: Stack, second: Stack) => {
      let through = first;
      while (running) {
        const inputs = Array.from({ length: 50 }, () => ({
          id: randomUUID(),
          cameraId,
          type: 'motion',
          severity: 'LOW',
          occurredAt: new Date().toISOString(),
        }));
        for (;;) {
          const result = await through
            .graphql<{ recordEvents: { accepted: number; duplicates: number; position: string | null; errors: unknown[] } }>(
              'mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted duplicates position errors { index } } }',
              { inputs },
              'operator',
            )
            .catch(() => ({ data: undefined, errors: [{ message: 'gateway unreachable' }] }));
          const batch = result.data?.recordEvents;
          if (!result.errors && batch && batch.errors.length === 0) {
            for (const input of inputs) acknowledged.add(input.id);
            if (batch.position && BigInt(batch.position) > highest) highest = BigInt(batch.position);
            break;
          }
          through = through === first ? second : first;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    };
    const writers = [writer(a, b), writer(a, b), writer(b, a), writer(b, a)];
    await new Promise((resolve) => setTimeout(resolve, 4000));

    const relay = await mongo.db(a.namespace).collection<{ _id: string; owner: string }>('relay').findOne({ _id: 'relay' });
    const holderPid = Number(relay?.owner.split('/')[1]);
    const holder = [a, b].find((stack) => stack.processes.get('command')?.pid === holderPid);
    expect(holder).toBeDefined();
    const other = holder === a ? b : a;
    holder!.processes.get('command')!.kill('SIGKILL');
    other.processes.get('query')!.kill('SIGKILL');
    // Past the relay lease (15 s): the other command service must have taken the relay over.
    await new Promise((resolve) => setTimeout(resolve, 22000));
    running = false;
    await Promise.all(writers);

    const total = await waitFor(
      'statistics at the highest acknowledged position',
      async () => {
        const response = await holder!.graphql<{ eventStats: { total: number } }>(
          'query($min: String, $f: EventFilter) { eventStats(interval: HOUR, minPosition: $min, filter: $f) { total } }',
          { min: highest.toString(), f: { cameraIds: [cameraId] } },
          'viewer',
        );
        return response.data?.eventStats ? response.data.eventStats.total : undefined;
      },
      60000,
    );
    expect(total).toBe(acknowledged.size);
    for (const name of ['command', 'query'] as ServiceName[]) await (name === 'command' ? holder! : other).startService(name);
  }, 240000);
});
