import amqp from 'amqplib';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { amqpNames } from '../../../lib/events/topology';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { startStack, type Stack } from '../../support/stack';
import { ENGINE_URLS } from '../../support/engine-urls';

interface Pushed {
  id: string;
  type: string;
  severity: string;
  camera: { name: string; site: string | null; liveStream: { status: string; hlsUrl: string } | null };
}

const waitFor = async <T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

// Subscriptions end to end: a recorded event reaches subscribers as the federated Event, with
// fields from the query subgraph (camera name) and the media subgraph (its live stream); filters
// apply on the server; stats push on change; the actor and correlation id land in event metadata.
describe('federated subscriptions through the gateway', () => {
  let stack: Stack;
  let camera: RtspCamera;
  let connection: amqp.ChannelModel | undefined;
  const clients: Client[] = [];
  beforeAll(async () => {
    [stack, camera] = await Promise.all([startStack({ label: 'gwsubs' }), startRtspCamera()]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await connection?.close();
    await stack?.stop();
    await camera?.stop();
  });

  const wsClient = () => {
    const client = createClient({
      url: stack.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${stack.token('viewer')}` },
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  };
  const collect = <T>(client: Client, query: string, variables: Record<string, unknown>, field: string) => {
    const values: T[] = [];
    const errors: unknown[] = [];
    client.subscribe<Record<string, T>>(
      { query, variables },
      {
        next: (value) => (value.data ? values.push(value.data[field] as T) : errors.push(value.errors)),
        error: (e) => errors.push(e),
        complete: () => undefined,
      },
    );
    return { values, errors };
  };
  const register = async (name: string, site: string) => {
    const result = await stack.graphql<{ registerCamera: { id: string } }>(
      'mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id } }',
      { input: { name, site, rtspUrl: camera.url(name.toLowerCase()) } },
      'admin',
    );
    expect(result.errors).toBeUndefined();
    return result.data!.registerCamera.id;
  };
  const record = async (cameraId: string, severity: string, correlationId: string) => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token('operator', 'alice')}`, 'x-correlation-id': correlationId },
      body: JSON.stringify({
        query: 'mutation($input: RecordEventInput!) { recordEvent(input: $input) { id position } }',
        variables: { input: { cameraId, type: 'person', severity, occurredAt: new Date().toISOString(), attributes: { zone: 'gate' } } },
      }),
    });
    const body = (await response.json()) as { data?: { recordEvent: { id: string } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data!.recordEvent.id;
  };

  it("shows a camera's new name in the payloads of events recorded after the change (camera reads kept between batches)", async () => {
    const cameraId = await register('Renamed', 'west');
    const client = wsClient();
    const pushed = collect<{ id: string; camera: { name: string } }>(
      client,
      `subscription($f: EventFilter) { eventRecorded(filter: $f) { id camera { name } } }`,
      { f: { cameraIds: [cameraId] } },
      'eventRecorded',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const first = await record(cameraId, 'LOW', 'rename-1');
    const second = await record(cameraId, 'LOW', 'rename-2');
    await waitFor('two payloads', () => (pushed.values.length >= 2 ? true : undefined));
    const renamed = await stack.graphql(`mutation { updateCamera(input: { id: "${cameraId}", name: "Renamed later" }) { position } }`, undefined, 'admin');
    expect(renamed.errors).toBeUndefined();
    const third = await record(cameraId, 'LOW', 'rename-3');
    await waitFor('the third payload', () => (pushed.values.length >= 3 ? true : undefined));
    expect(pushed.errors).toEqual([]);
    expect(pushed.values).toEqual([
      { id: first, camera: { name: 'Renamed' } },
      { id: second, camera: { name: 'Renamed' } },
      { id: third, camera: { name: 'Renamed later' } },
    ]);
    await client.dispose();
  });

  it('pushes the federated Event with fields from two subgraphs, filtered on the server', async () => {
    const gate = await register('Gate', 'north');
    const yard = await register('Yard', 'south');
    // A live stream on Gate, so `liveStream` comes from the media subgraph.
    await waitFor('stream started', async () => {
      const result = await stack.graphql<{ startStream: { id: string } }>('mutation($id: ID!) { startStream(cameraId: $id) { id } }', { id: gate }, 'operator');
      return result.data?.startStream ?? undefined;
    });

    // The actor and correlation id as the event store relays them.
    connection = await amqp.connect(stack.env.AMQP_URL ?? ENGINE_URLS.amqp);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, amqpNames(stack.namespace).eventsExchange, 'event.EventRecorded');
    const envelopes: Array<{ data: { eventId: string }; metadata: { actor: string; correlationId: string } }> = [];
    await channel.consume(queue, (message) => message && envelopes.push(JSON.parse(message.content.toString()) as (typeof envelopes)[number]), { noAck: true });

    const selection = 'id type severity camera { name site liveStream { status hlsUrl } }';
    const client = wsClient();
    const all = collect<Pushed>(client, `subscription { eventRecorded { ${selection} } }`, {}, 'eventRecorded');
    const critical = collect<Pushed>(
      client,
      `subscription($f: EventFilter) { eventRecorded(filter: $f) { ${selection} } }`,
      { f: { severities: ['CRITICAL'] } },
      'eventRecorded',
    );
    const north = collect<Pushed>(client, `subscription { eventRecorded(filter: { sites: ["north"] }) { id camera { name } } }`, {}, 'eventRecorded');
    const stats = collect<{ total: number }>(client, 'subscription { eventStatsUpdated(interval: HOUR) { total } }', {}, 'eventStatsUpdated');
    // Immutable fields only: answered from the envelope, which must equal what the query answers.
    const immutable = '__typename id type severity occurredAt recordedAt source attributes';
    const fromEnvelope = collect<Record<string, unknown>>(client, `subscription { eventRecorded { ${immutable} } }`, {}, 'eventRecorded');
    await waitFor('subscriptions open', async () => {
      const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
      return /subscriptions_open\{field="eventRecorded"\} 4/.test(metrics) ? true : undefined;
    });

    const first = await record(gate, 'CRITICAL', 'corr-subs-1');
    const second = await record(yard, 'LOW', 'corr-subs-2');

    await waitFor('both events pushed', () => (all.values.length >= 2 ? true : undefined));
    const pushedFirst = all.values.find((v) => v.id === first);
    expect(pushedFirst).toMatchObject({ id: first, type: 'person', severity: 'CRITICAL', camera: { name: 'Gate', site: 'north' } });
    expect(pushedFirst?.camera.liveStream?.status).toMatch(/STARTING|LIVE|RECONNECTING/);
    expect(pushedFirst?.camera.liveStream?.hlsUrl).toContain('/hls/');
    expect(all.values.find((v) => v.id === second)).toMatchObject({ camera: { name: 'Yard', liveStream: null } });
    // Immutable fields and the camera: composed from the envelope and a camera read, which must
    // equal what event(id) answers (Yard has no stream, so nothing in it changes meanwhile).
    const queriedSecond = await stack.graphql<{ event: Pushed | null }>(`query($id: ID!) { event(id: $id) { ${selection} } }`, { id: second }, 'viewer');
    expect(all.values.find((v) => v.id === second)).toEqual(queriedSecond.data?.event);

    await waitFor('filtered pushes', () => (critical.values.length >= 1 && north.values.length >= 1 ? true : undefined));
    expect(critical.values.map((v) => v.id)).toEqual([first]);
    expect(north.values).toEqual([{ id: first, camera: { name: 'Gate' } }]);
    expect(all.errors).toEqual([]);

    await waitFor('envelope answers', () => (fromEnvelope.values.length >= 2 ? true : undefined));
    for (const pushed of fromEnvelope.values) {
      const queried = await waitFor('event projected', async () => {
        const result = await stack.graphql<{ event: Record<string, unknown> | null }>(
          `query($id: ID!) { event(id: $id) { ${immutable} } }`,
          { id: pushed.id },
          'viewer',
        );
        return result.data?.event ?? undefined;
      });
      expect(pushed).toEqual(queried);
    }

    await waitFor('stats pushed with both events', () => (stats.values.some((s) => s.total >= 2) ? true : undefined));
    // Only on change: no two consecutive pushes carry the same answer.
    for (let i = 1; i < stats.values.length; i++) expect(stats.values[i]).not.toEqual(stats.values[i - 1]);

    const envelope = await waitFor('envelope relayed', () => envelopes.find((e) => e.data.eventId === first));
    expect(envelope.metadata).toMatchObject({ actor: 'alice', correlationId: 'corr-subs-1' });

    // Where the payloads' time went, for the bench and operators: the gateway's stages per payload,
    // the query subgraph's read-model wait and Elasticsearch reads, and its own CPU.
    const count = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const gateway = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    for (const stage of ['batching', 'query', 'delivery'])
      expect(count(gateway, `sightline_gateway_subscription_stage_seconds_count{field="eventRecorded",stage="${stage}"}`)).toBeGreaterThanOrEqual(2);
    const query = await (await fetch(`http://127.0.0.1:${stack.ports.query}/metrics`)).text();
    expect(count(query, 'sightline_query_read_model_wait_seconds_count{field="event"}')).toBeGreaterThanOrEqual(2);
    // `all` and `critical` read the cameras, not the events (the site filter of `north` still reads its events).
    expect(count(query, 'sightline_query_read_model_wait_seconds_count{field="camera"}')).toBeGreaterThanOrEqual(1);
    expect(count(query, 'sightline_query_view_read_seconds_count{view="events"}')).toBeGreaterThanOrEqual(1);
    expect(count(query, 'sightline_query_request_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(count(query, 'sightline_query_process_cpu_seconds_total')).toBeGreaterThan(0);
  });
});
