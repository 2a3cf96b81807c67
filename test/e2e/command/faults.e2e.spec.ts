import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { createMongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { fromWire, type EventEnvelope, type WireEnvelope } from '../../../lib/events/envelope';
import { amqpNames } from '../../../lib/events/topology';
import { startFaultProxyFor, type FaultProxy } from '../../support/fault-proxy';
import { startStack, type GraphQLResponse, type Stack } from '../../support/stack';
import { ENGINE_URLS } from '../../support/engine-urls';

const AMQP_URL = ENGINE_URLS.amqp;
const MONGODB_URL = ENGINE_URLS.mongodb;
const REGISTER = `mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id version position } }`;
const UPDATE = `mutation($input: UpdateCameraInput!) { updateCamera(input: $input) { id version position } }`;
const RECORD = `mutation($input: RecordEventInput!) { recordEvent(input: $input) { id version position } }`;
const RECORD_MANY = `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted duplicates position errors { index code } } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;
const idOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.id;

async function eventually(check: () => Promise<boolean> | boolean, ms = 45000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

async function stopProcess(stack: Stack, signal: NodeJS.Signals): Promise<void> {
  const child = stack.processes.get('command')!;
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Restarts the command process with some environment changed (e.g. an engine behind a fault proxy). */
async function restartCommand(stack: Stack, env: Record<string, string>): Promise<void> {
  await stopProcess(stack, 'SIGTERM');
  Object.assign(stack.env, env);
  await stack.startService('command');
}

describe('write side under faults', () => {
  let stack: Stack;
  let mongo: MongoHandle;
  let broker: ChannelModel;
  let channel: Channel;
  const received: EventEnvelope[] = [];
  const proxies: FaultProxy[] = [];

  beforeAll(async () => {
    stack = await startStack({
      label: 'cmdfault',
      // Short lease and recovery so a killed relay is replaced within seconds.
      env: { RELAY_LEASE_TTL_MS: '2000', EVENT_STORE_RECOVERY_TIMEOUT_MS: '1000', RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' },
    });
    mongo = await connectMongo({ url: MONGODB_URL, database: stack.namespace });
    broker = await amqp.connect(AMQP_URL);
    channel = await broker.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, amqpNames(stack.namespace).eventsExchange, '#');
    await channel.consume(queue, (m) => m && received.push(fromWire(JSON.parse(m.content.toString()) as WireEnvelope)), { noAck: true });
  });
  afterAll(async () => {
    if (process.env.DEBUG_FAULTS) console.log((stack?.logs.get('command') ?? []).slice(-60).join('\n'));
    for (const proxy of proxies) await proxy.close();
    await broker?.close().catch(() => undefined);
    await mongo?.db.dropDatabase();
    await mongo?.close();
    await stack?.stop();
  });

  /** Every stored event arrived, and per stream the first arrivals are in version order. */
  async function expectAllPublishedInOrder(): Promise<void> {
    const stored: EventEnvelope[] = [];
    for await (const batch of createMongoEventStore(mongo.db).readAll(0)) stored.push(...batch);
    await eventually(() => {
      const seen = new Set(received.map((e) => e.id));
      return stored.every((e) => seen.has(e.id));
    });
    const firstSeen = new Map<string, number[]>();
    const seen = new Set<string>();
    for (const envelope of received) {
      if (seen.has(envelope.id)) continue;
      seen.add(envelope.id);
      firstSeen.set(envelope.streamId, [...(firstSeen.get(envelope.streamId) ?? []), envelope.version]);
    }
    for (const versions of firstSeen.values()) expect(versions).toEqual([...versions].sort((a, b) => a - b));
  }

  const register = async () => {
    const result = await stack.graphql<{ registerCamera: { id: string } }>(REGISTER, { input: { name: 'F', rtspUrl: 'rtsp://127.0.0.1/f' } });
    expect(result.errors).toBeUndefined();
    return result.data!.registerCamera.id;
  };

  it('keeps accepting commands while RabbitMQ is cut, and delivers everything in order once it is back', async () => {
    const proxy = await startFaultProxyFor(AMQP_URL);
    proxies.push(proxy);
    await restartCommand(stack, { AMQP_URL: proxy.url(AMQP_URL) });
    const cameraId = await register();
    for (let i = 0; i < 60; i += 1) {
      if (i === 15) proxy.cut();
      const result = await stack.graphql(UPDATE, { input: { id: cameraId, name: `n${i}` } });
      expect(result.errors).toBeUndefined();
    }
    proxy.restore();
    await eventually(() => received.filter((e) => e.streamId === `camera-${cameraId}`).length >= 61);
    await expectAllPublishedInOrder();
  });

  it('resumes after the command process is SIGKILLed mid-batch: nothing stored stays unpublished', async () => {
    // RabbitMQ cut first, so the killed relay leaves a backlog of stored, unpublished events behind.
    const proxy = await startFaultProxyFor(AMQP_URL);
    proxies.push(proxy);
    await restartCommand(stack, { AMQP_URL: proxy.url(AMQP_URL) });
    const cameraId = await register();
    const batches = Array.from({ length: 12 }, (_, b) =>
      Array.from({ length: 200 }, (_, i) => ({ cameraId, type: 'motion', severity: 'LOW', occurredAt: '2026-11-25T10:00:00Z', attributes: { b, i } })),
    );
    const accepted: number[] = [];
    const sending = Promise.all(
      batches.map(async (inputs, b) => {
        if (b === 3) proxy.cut();
        const result = await stack.graphql<{ recordEvents: { accepted: number } }>(RECORD_MANY, { inputs }, 'operator').catch(() => undefined);
        if (result?.data) accepted.push(result.data.recordEvents.accepted);
      }),
    );
    await eventually(() => accepted.length >= 6);
    await stopProcess(stack, 'SIGKILL');
    await sending;
    proxy.restore();
    stack.env.AMQP_URL = AMQP_URL;
    await stack.startService('command');
    await expectAllPublishedInOrder();
    const stored = received.filter((e) => e.streamId.startsWith('event-') && (e.data as { cameraId: string }).cameraId === cameraId);
    expect(new Set(stored.map((e) => e.id)).size).toBeGreaterThanOrEqual(accepted.reduce((a, b) => a + b, 0));
  });

  it('answers UNAVAILABLE while MongoDB is cut and leaves no half-written command behind', async () => {
    const proxy = await startFaultProxyFor(MONGODB_URL);
    proxies.push(proxy);
    await restartCommand(stack, { MONGODB_URL: proxy.url(MONGODB_URL) });
    const cameraId = await register();
    proxy.cut();
    const during = await stack.graphql(UPDATE, { input: { id: cameraId, name: 'during' } });
    expect(codeOf(during)).toBe('UNAVAILABLE');
    const batch = await stack.graphql(
      RECORD_MANY,
      { inputs: [{ cameraId, type: 'x', severity: 'LOW', occurredAt: '2026-11-25T10:00:00Z', id: `ev-${randomUUID()}` }] },
      'operator',
    );
    expect(codeOf(batch)).toBe('UNAVAILABLE');
    proxy.restore();
    await eventually(async () => !(await stack.graphql(UPDATE, { input: { id: cameraId, name: 'after' } })).errors);
    // The log and the streams agree: every stored event is in the log (the shared head hint may
    // trail the writer's reply by a moment, hence the bounded wait).
    const store = createMongoEventStore(mongo.db, { recoveryTimeoutMs: 1000 });
    const stream = await store.readStream(`camera-${cameraId}`);
    expect(stream.map((e) => e.version)).toEqual(stream.map((_, i) => i + 1));
    await eventually(async () => {
      const logged = new Set<string>();
      for await (const b of store.readAll(0)) for (const e of b) logged.add(e.id);
      return stream.every((e) => logged.has(e.id));
    });
    await expectAllPublishedInOrder();
  });

  /** Whether an intent (commit document) holding `marker` reached the store. */
  async function intentStored(marker: string): Promise<boolean> {
    const collections = await mongo.db.listCollections({}, { nameOnly: true }).toArray();
    for (const { name } of collections.filter((c) => c.name.startsWith('commits_'))) {
      const commits = await mongo.db.collection<{ events?: string[] }>(name).find({}).toArray();
      if (commits.some((commit) => (commit.events ?? []).some((text) => text.includes(marker)))) return true;
    }
    return false;
  }

  it('answers UNAVAILABLE with the id it chose while MongoDB hangs, so the retry with it does not duplicate the event a reader completed', async () => {
    const proxy = await startFaultProxyFor(MONGODB_URL);
    proxies.push(proxy);
    await restartCommand(stack, { MONGODB_URL: proxy.url(MONGODB_URL) });
    const cameraId = await register();
    const nonce = randomUUID();
    const input = { cameraId, type: 'hang', severity: 'LOW', occurredAt: '2026-11-25T10:00:00Z', attributes: { nonce } };

    // Open idle connections first (parallel camera lookups): a connection opened while replies are
    // held never finishes its handshake, and the background writers and the relay hold some.
    const unknownCameras = Array.from({ length: 8 }, () => ({ ...input, cameraId: `ghost-${randomUUID()}` }));
    await Promise.all([1, 2, 3].map(() => stack.graphql(RECORD_MANY, { inputs: unknownCameras }, 'operator')));

    // The intent reaches the store, its answer never comes back: then the connection dies.
    proxy.hold();
    const pending = stack.graphql(RECORD, { input }, 'operator');
    await eventually(() => intentStored(nonce));
    proxy.cut();
    const first = await pending;
    expect(codeOf(first)).toBe('UNAVAILABLE');
    const id = idOf(first);
    expect(typeof id).toBe('string');
    proxy.restore();

    // The retry the contract prescribes: the same input with that id. Meanwhile the relay, as a
    // reader, may complete the landed intent: either way there is one event, under that id.
    let retry: GraphQLResponse<{ recordEvent: { id: string; version: number } }> | undefined;
    await eventually(async () => {
      retry = await stack.graphql<{ recordEvent: { id: string; version: number } }>(RECORD, { input: { ...input, id } }, 'operator');
      return !retry.errors;
    });
    expect(retry?.data?.recordEvent).toMatchObject({ id, version: 1 });
    const recorded: EventEnvelope[] = [];
    for await (const batch of createMongoEventStore(mongo.db, { recoveryTimeoutMs: 1000 }).readAll(0)) {
      recorded.push(...batch.filter((e) => e.type === 'EventRecorded' && JSON.stringify(e.data).includes(nonce)));
    }
    expect(recorded.map((e) => (e.data as { eventId: string }).eventId)).toEqual([id]);
  });

  it('answers UNAVAILABLE to registerCamera with the id it gave the camera; the retry with it registers it once', async () => {
    const proxy = await startFaultProxyFor(MONGODB_URL);
    proxies.push(proxy);
    await restartCommand(stack, { MONGODB_URL: proxy.url(MONGODB_URL) });
    await register();
    const input = { name: 'Retried', rtspUrl: 'rtsp://127.0.0.1/retried' };
    proxy.cut();
    const first = await stack.graphql(REGISTER, { input });
    expect(codeOf(first)).toBe('UNAVAILABLE');
    const id = idOf(first);
    expect(typeof id).toBe('string');
    proxy.restore();
    let retry: GraphQLResponse<{ registerCamera: { id: string } }> | undefined;
    await eventually(async () => {
      retry = await stack.graphql<{ registerCamera: { id: string } }>(REGISTER, { input: { ...input, id } });
      return !retry.errors;
    });
    expect(retry?.data?.registerCamera.id).toBe(id);
    expect(await createMongoEventStore(mongo.db).readStream(`camera-${String(id)}`)).toHaveLength(1);
  });
});
