import { randomUUID } from 'node:crypto';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { createMongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { startStack, type GraphQLResponse, type Stack } from '../../support/stack';
import { ENGINE_URLS } from '../../support/engine-urls';

const REGISTER = `mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id version position } }`;
const UPDATE = `mutation($input: UpdateCameraInput!) { updateCamera(input: $input) { id version position } }`;
const DECOMMISSION = `mutation($id: ID!, $v: Int) { decommissionCamera(id: $id, expectedVersion: $v) { id version position } }`;
const RECORD = `mutation($input: RecordEventInput!) { recordEvent(input: $input) { id version position } }`;
const RECORD_MANY = `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted duplicates position errors { index code message } } }`;
const ACK = `mutation($id: ID!, $v: Int, $note: String) { acknowledgeEvent(id: $id, expectedVersion: $v, note: $note) { id version position } }`;
const RESOLVE = `mutation($id: ID!, $v: Int, $note: String) { resolveEvent(id: $id, expectedVersion: $v, note: $note) { id version position } }`;

interface Result {
  id: string;
  version: number;
  position: string;
}
const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;

describe('command subgraph through the gateway', () => {
  let stack: Stack;
  let mongo: MongoHandle;
  let cameraId: string;

  beforeAll(async () => {
    // The race test sends 1,000 requests at once: lift the gateway's per-identity rate limit.
    stack = await startStack({
      services: ['command', 'query', 'media', 'gateway'],
      label: 'cmd',
      env: { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' },
    });
    mongo = await connectMongo({ url: ENGINE_URLS.mongodb, database: stack.namespace });
    const registered = await stack.graphql<{ registerCamera: Result }>(REGISTER, {
      input: { name: 'Dock', rtspUrl: 'rtsp://u:p@127.0.0.1:8554/dock', tags: ['a'] },
    });
    expect(registered.errors).toBeUndefined();
    cameraId = registered.data!.registerCamera.id;
  });
  afterAll(async () => {
    await mongo?.db.dropDatabase();
    await mongo?.close();
    await stack?.stop();
  });

  const event = (extra: Record<string, unknown> = {}) => ({ cameraId, type: 'motion', severity: 'HIGH', occurredAt: '2026-11-25T10:00:00Z', ...extra });

  it('registers idempotently by client id and refuses the id with other content', async () => {
    const id = `cam-${randomUUID()}`;
    const input = { id, name: 'Gate', site: 'hq', rtspUrl: 'rtsp://127.0.0.1:8554/gate', tags: ['x'] };
    const first = await stack.graphql<{ registerCamera: Result }>(REGISTER, { input });
    const again = await stack.graphql<{ registerCamera: Result }>(REGISTER, { input });
    expect(again.data?.registerCamera).toEqual(first.data?.registerCamera);
    expect(first.data?.registerCamera).toMatchObject({ id, version: 1 });
    const other = await stack.graphql(REGISTER, { input: { ...input, name: 'Other' } });
    expect(codeOf(other)).toBe('DUPLICATE_ID');
    const store = createMongoEventStore(mongo.db);
    expect(await store.readStream(`camera-${id}`)).toHaveLength(1);
  });

  it('validates input with BAD_USER_INPUT and writes nothing', async () => {
    const badUrl = await stack.graphql(REGISTER, { input: { name: 'x', rtspUrl: 'http://127.0.0.1/x' } });
    expect(codeOf(badUrl)).toBe('BAD_USER_INPUT');
    const emptyName = await stack.graphql(REGISTER, { input: { name: '  ', rtspUrl: 'rtsp://127.0.0.1/x' } });
    expect(codeOf(emptyName)).toBe('BAD_USER_INPUT');
    const bigAttributes = await stack.graphql(RECORD, { input: event({ attributes: { blob: 'x'.repeat(20000) } }) }, 'operator');
    expect(codeOf(bigAttributes)).toBe('BAD_USER_INPUT');
    // One event dated 1900 would stretch every unbounded statistic over a century of buckets.
    const ancient = await stack.graphql(RECORD, { input: event({ occurredAt: '1900-01-01T00:00:00Z' }) }, 'operator');
    expect(codeOf(ancient)).toBe('BAD_USER_INPUT');
    expect(ancient.errors?.[0]?.extensions?.field).toBe('occurredAt');
    const future = await stack.graphql(RECORD_MANY, { inputs: [event({ occurredAt: new Date(Date.now() + 3 * 86400_000).toISOString() })] }, 'operator');
    expect(future.data?.recordEvents).toMatchObject({ accepted: 0, errors: [{ index: 0, code: 'BAD_USER_INPUT' }] });
  });

  it('updates with expectedVersion and reports the actual version on a mismatch', async () => {
    const ok = await stack.graphql<{ updateCamera: Result }>(UPDATE, { input: { id: cameraId, expectedVersion: 1, name: 'Dock 2' } });
    expect(ok.data?.updateCamera.version).toBe(2);
    const stale = await stack.graphql(UPDATE, { input: { id: cameraId, expectedVersion: 1, name: 'Dock 3' } });
    expect(codeOf(stale)).toBe('CONCURRENCY_CONFLICT');
    expect(stale.errors?.[0]?.extensions?.actualVersion).toBe(2);
    const missing = await stack.graphql(UPDATE, { input: { id: 'nope', name: 'x' } });
    expect(codeOf(missing)).toBe('NOT_FOUND');
  });

  it('records, acknowledges and resolves an event with the actor in metadata', async () => {
    const recorded = await stack.graphql<{ recordEvent: Result }>(RECORD, { input: event({ attributes: { zone: 3 } }) }, 'operator');
    expect(recorded.errors).toBeUndefined();
    const { id } = recorded.data!.recordEvent;
    expect(recorded.data!.recordEvent.version).toBe(1);
    const resolvedEarly = await stack.graphql(ACK, { id, v: 1, note: 'seen' }, 'operator');
    expect(resolvedEarly.errors).toBeUndefined();
    const ackAgain = await stack.graphql(ACK, { id }, 'operator');
    expect(codeOf(ackAgain)).toBe('BAD_USER_INPUT');
    const resolved = await stack.graphql<{ resolveEvent: Result }>(RESOLVE, { id, v: 2, note: 'done' }, 'operator');
    expect(resolved.data?.resolveEvent.version).toBe(3);
    const resolveAgain = await stack.graphql(RESOLVE, { id }, 'operator');
    expect(codeOf(resolveAgain)).toBe('BAD_USER_INPUT');
    const stream = await createMongoEventStore(mongo.db).readStream(`event-${id}`);
    expect(stream.map((e) => e.type)).toEqual(['EventRecorded', 'EventAcknowledged', 'EventResolved']);
    expect(stream[0]!.metadata.actor).toBe('test-operator');
    expect(stream[0]!.metadata.correlationId).toEqual(expect.any(String));
    expect(stream[0]!.data).toMatchObject({ source: 'graphql', attributes: { zone: 3 } });
    expect(stream[1]!.data).toMatchObject({ by: 'test-operator', note: 'seen' });
  });

  it('refuses roles below the matrix', async () => {
    expect(codeOf(await stack.graphql(RECORD, { input: event() }, 'viewer'))).toBe('FORBIDDEN');
    expect(codeOf(await stack.graphql(REGISTER, { input: { name: 'x', rtspUrl: 'rtsp://127.0.0.1/x' } }, 'operator'))).toBe('FORBIDDEN');
  });

  it('recordEvent with a client id returns the original result on repeat and DUPLICATE_ID on other content', async () => {
    const id = `ev-${randomUUID()}`;
    const first = await stack.graphql<{ recordEvent: Result }>(RECORD, { input: event({ id }) }, 'operator');
    const again = await stack.graphql<{ recordEvent: Result }>(RECORD, { input: event({ id }) }, 'operator');
    expect(again.data?.recordEvent).toEqual(first.data?.recordEvent);
    expect(codeOf(await stack.graphql(RECORD, { input: event({ id, severity: 'LOW' }) }, 'operator'))).toBe('DUPLICATE_ID');
  });

  it('recordEvents accepts a batch with per-item errors, duplicates counted', async () => {
    const dupId = `ev-${randomUUID()}`;
    await stack.graphql(RECORD, { input: event({ id: dupId }) }, 'operator');
    const inputs = [
      ...Array.from({ length: 997 }, (_, i) => event({ attributes: { i } })),
      event({ id: dupId }),
      event({ cameraId: 'unknown-camera' }),
      event({ type: '' }),
    ];
    const batch = await stack.graphql<{
      recordEvents: { accepted: number; duplicates: number; position: string; errors: Array<{ index: number; code: string }> };
    }>(RECORD_MANY, { inputs }, 'operator');
    expect(batch.errors).toBeUndefined();
    expect(batch.data!.recordEvents).toMatchObject({ accepted: 997, duplicates: 1 });
    expect(batch.data!.recordEvents.errors.map((e) => [e.index, e.code])).toEqual([
      [998, 'NOT_FOUND'],
      [999, 'BAD_USER_INPUT'],
    ]);
    expect(Number(batch.data!.recordEvents.position)).toBeGreaterThan(0);
    const tooMany = await stack.graphql(RECORD_MANY, { inputs: Array.from({ length: 1001 }, () => event()) }, 'operator');
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
  });

  it('refuses events for a decommissioned camera', async () => {
    const cam = await stack.graphql<{ registerCamera: Result }>(REGISTER, { input: { name: 'Old', rtspUrl: 'rtsp://127.0.0.1/old' } });
    const id = cam.data!.registerCamera.id;
    const done = await stack.graphql<{ decommissionCamera: Result }>(DECOMMISSION, { id, v: 1 });
    expect(done.data?.decommissionCamera.version).toBe(2);
    expect(codeOf(await stack.graphql(RECORD, { input: event({ cameraId: id }) }, 'operator'))).toBe('BAD_USER_INPUT');
  });

  it('lets exactly one of 1,000 concurrent commands win a version', async () => {
    const cam = await stack.graphql<{ registerCamera: Result }>(REGISTER, { input: { name: 'Race', rtspUrl: 'rtsp://127.0.0.1/race' } });
    const id = cam.data!.registerCamera.id;
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => stack.graphql<{ updateCamera: Result }>(UPDATE, { input: { id, expectedVersion: 1, name: `n${i}` } })),
    );
    const winners = results.filter((r) => r.data?.updateCamera);
    expect(winners).toHaveLength(1);
    const others = results.filter((r) => !r.data?.updateCamera);
    expect(others.map(codeOf).filter((code) => code !== 'CONCURRENCY_CONFLICT')).toEqual([]);
    const stream = await createMongoEventStore(mongo.db).readStream(`camera-${id}`);
    expect(stream.map((e) => e.version)).toEqual([1, 2]);
  });
});
