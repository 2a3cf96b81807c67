import { createClient, type Client } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { startStack, TEST_JWT_SECRET, type Stack } from '../../support/stack';

// graphql-ws on the gateway's /graphql: authentication in connectionParams, the protocol's
// timeouts and keep-alive, validation and limits, and cleanup when a subscription completes.
const PROTOCOL = 'graphql-transport-ws';

describe('gateway over graphql-ws', () => {
  let stack: Stack;
  let wsUrl: string;
  const clients: Client[] = [];
  beforeAll(async () => {
    stack = await startStack({
      label: 'gwws',
      services: ['command', 'query', 'media', 'gateway'],
      env: {
        WS_CONNECTION_INIT_TIMEOUT_MS: '500',
        GRAPHQL_MAX_DEPTH: '8',
        // One heavy payload (cost 205) passes, two in one query would not.
        GRAPHQL_MAX_COST: '300',
        SUBSCRIPTIONS_PER_CONNECTION_MAX: '3',
        SUBSCRIPTIONS_PER_IDENTITY_MAX: '5',
        EVENT_STATS_GROUPS_MAX: '2',
      },
    });
    wsUrl = stack.gatewayUrl.replace(/^http/, 'ws');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await stack?.stop();
  });

  const client = (connectionParams: Record<string, unknown>, onClose?: (code: number, reason: string) => void): Client => {
    const created = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: false,
      // The close is what these tests look at (on.closed); the default handler would print it.
      onNonLazyError: () => undefined,
      on: { closed: (event) => onClose?.((event as { code: number }).code, String((event as { reason?: unknown }).reason ?? '')) },
    });
    clients.push(created);
    return created;
  };

  const closeCodeOf = (connectionParams: Record<string, unknown>) =>
    new Promise<{ code: number; reason: string }>((resolve) => {
      client(connectionParams, (code, reason) => resolve({ code, reason }));
    });

  /** Opens a raw socket and collects what the server sends, for the protocol-level checks. */
  const rawSocket = async () => {
    const socket = new WebSocket(wsUrl, PROTOCOL);
    const messages: Array<Record<string, unknown>> = [];
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const nextOf = async (type: string) => {
      for (let i = 0; i < 100; i++) {
        const found = messages.find((m) => m.type === type);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no ${type} message`);
    };
    return { socket, messages, closed, nextOf };
  };

  const subscribeOnce = (c: Client, query: string) =>
    new Promise<{ errors?: unknown; data?: unknown }>((resolve) => {
      const dispose = c.subscribe(
        { query },
        {
          next: (value) => {
            dispose();
            resolve(value as { data?: unknown });
          },
          error: (errors) => resolve({ errors }),
          complete: () => undefined,
        },
      );
    });

  const openSubscriptions = async (field: string) => {
    const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    const match = new RegExp(`sightline_gateway_subscriptions_open\\{field="${field}"\\} (\\d+)`).exec(text);
    return match ? Number(match[1]) : 0;
  };
  const waitForOpen = async (field: string, expected: number) => {
    let open = await openSubscriptions(field);
    for (let i = 0; i < 50 && open !== expected; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      open = await openSubscriptions(field);
    }
    return open;
  };

  const until = async <T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 300; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  /** A subscription's pushes: `values` (data), `errors` (pushed with a `next`), `refused` (an `error` message). */
  const collect = (c: Client, query: string) => {
    const values: Array<Record<string, unknown>> = [];
    const errors: unknown[] = [];
    const refused: unknown[] = [];
    const dispose = c.subscribe<Record<string, unknown>>(
      { query },
      { next: (value) => (value.data ? values.push(value.data) : errors.push(value.errors)), error: (error) => refused.push(error), complete: () => undefined },
    );
    return { values, errors, refused, dispose };
  };

  const registerCamera = async (name: string) => {
    const result = await stack.graphql<{ registerCamera: { id: string } }>(
      'mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id } }',
      { input: { name, rtspUrl: 'rtsp://127.0.0.1:8554/none' } },
      'admin',
    );
    expect(result.errors).toBeUndefined();
    return result.data!.registerCamera.id;
  };
  const recordEvents = async (cameraId: string, count: number) => {
    const inputs = Array.from({ length: count }, () => ({ cameraId, type: 'motion', severity: 'LOW', occurredAt: new Date().toISOString() }));
    const result = await stack.graphql<{ recordEvents: { accepted: number } }>(
      'mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted } }',
      { inputs },
      'operator',
    );
    expect(result.data?.recordEvents.accepted).toBe(count);
  };

  it('refuses a connection without a valid token with 4401, and a token without a role with 4403', async () => {
    expect((await closeCodeOf({})).code).toBe(4401);
    expect((await closeCodeOf({ authorization: 'Bearer not-a-jwt' })).code).toBe(4401);
    const roleless = jwt.sign({ roles: ['guest'] }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'nobody', expiresIn: 60 });
    expect((await closeCodeOf({ authorization: `Bearer ${roleless}` })).code).toBe(4403);
    // A token that never expires would hold its socket open for good.
    const eternal = jwt.sign({ roles: ['viewer'] }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'eternal' });
    expect((await closeCodeOf({ authorization: `Bearer ${eternal}` })).code).toBe(4401);
  });

  it('closes a socket that never sends connection_init with 4408', async () => {
    const { closed } = await rawSocket();
    expect(await closed).toBe(4408);
  });

  it('answers ping with pong, before and after connection_init', async () => {
    const raw = await rawSocket();
    raw.socket.send(JSON.stringify({ type: 'ping' }));
    await raw.nextOf('pong');
    raw.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${stack.token('viewer')}` } }));
    await raw.nextOf('connection_ack');
    raw.messages.length = 0;
    raw.socket.send(JSON.stringify({ type: 'ping', payload: { n: 1 } }));
    expect(await raw.nextOf('pong')).toMatchObject({ type: 'pong' });
    raw.socket.close(1000);
  });

  it('closes the connection when the token expires', async () => {
    const short = jwt.sign({ roles: ['viewer'] }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'brief', expiresIn: 2 });
    const closed = await closeCodeOf({ authorization: `Bearer ${short}` });
    expect(closed).toEqual({ code: 4401, reason: 'token expired' });
  });

  it('reports validation and depth-limit errors on the subscription', async () => {
    const c = client({ authorization: `Bearer ${stack.token('viewer')}` });
    const unknown = await subscribeOnce(c, 'subscription { eventRecorded { noSuchField } }');
    expect(JSON.stringify(unknown.errors)).toContain('noSuchField');
    const deep = await subscribeOnce(
      c,
      'subscription { streamStatusChanged { camera { liveStream { camera { liveStream { camera { liveStream { camera { liveStream { id } } } } } } } } } }',
    );
    expect(JSON.stringify(deep.errors)).toContain('LIMIT_EXCEEDED');
  });

  it('runs queries over the socket through the same gateway', async () => {
    const c = client({ authorization: `Bearer ${stack.token('viewer')}` });
    const result = await subscribeOnce(c, '{ __typename }');
    expect(result.data).toEqual({ __typename: 'Query' });
  });

  it('counts a subscription while open and cleans it up on complete and on disconnect', async () => {
    const before = await openSubscriptions('eventRecorded');
    const c = client({ authorization: `Bearer ${stack.token('viewer')}` });
    const dispose = c.subscribe(
      { query: 'subscription { eventRecorded(filter: { severities: [HIGH] }) { id } }' },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    expect(await waitForOpen('eventRecorded', before + 1)).toBe(before + 1);
    dispose();
    expect(await waitForOpen('eventRecorded', before)).toBe(before);

    const other = client({ authorization: `Bearer ${stack.token('viewer')}` });
    other.subscribe(
      { query: 'subscription { streamStatusChanged { id status } }' },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    expect(await waitForOpen('streamStatusChanged', 1)).toBe(1);
    await other.dispose();
    expect(await waitForOpen('streamStatusChanged', 0)).toBe(0);
  });

  it('caps subscriptions per connection and per identity: one more gets an error message, the others keep working', async () => {
    const cameraId = await registerCamera('Capped');
    const query = `subscription { eventRecorded(filter: { cameraIds: ["${cameraId}"] }) { id } }`;
    const before = await openSubscriptions('eventRecorded');
    const first = client({ authorization: `Bearer ${stack.token('viewer', 'capped')}` });
    const onFirst = [1, 2, 3].map(() => collect(first, query));
    expect(await waitForOpen('eventRecorded', before + 3)).toBe(before + 3);
    const overConnection = collect(first, query);
    expect(await until('the refusal', () => overConnection.refused[0])).toMatchObject([
      { extensions: { code: 'LIMIT_EXCEEDED', scope: 'connection', maxSubscriptions: 3 } },
    ]);

    // The same identity on another connection: 5 in all.
    const second = client({ authorization: `Bearer ${stack.token('viewer', 'capped')}` });
    const onSecond = [1, 2].map(() => collect(second, query));
    expect(await waitForOpen('eventRecorded', before + 5)).toBe(before + 5);
    const overIdentity = collect(second, query);
    expect(await until('the refusal', () => overIdentity.refused[0])).toMatchObject([
      { extensions: { code: 'LIMIT_EXCEEDED', scope: 'identity', maxSubscriptions: 5 } },
    ]);
    const other = client({ authorization: `Bearer ${stack.token('viewer', 'not-capped')}` });
    const onOther = collect(other, query);
    expect(await waitForOpen('eventRecorded', before + 6)).toBe(before + 6);

    // Every admitted subscription still delivers.
    await recordEvents(cameraId, 1);
    const admitted = [...onFirst, ...onSecond, onOther];
    await until('every push', () => (admitted.every((s) => s.values.length >= 1) ? true : undefined));
    for (const subscription of admitted) {
      expect(subscription.values).toHaveLength(1);
      expect(subscription.refused).toEqual([]);
    }

    // A completed subscription frees its place; so does a closed connection.
    onFirst[0]?.dispose();
    expect(await waitForOpen('eventRecorded', before + 5)).toBe(before + 5);
    const again = collect(first, query);
    expect(await waitForOpen('eventRecorded', before + 6)).toBe(before + 6);
    await first.dispose();
    expect(await waitForOpen('eventRecorded', before + 3)).toBe(before + 3);
    const afterClose = collect(second, query);
    expect(await waitForOpen('eventRecorded', before + 4)).toBe(before + 4);
    expect([again.refused, afterClose.refused]).toEqual([[], []]);
    await Promise.all([second.dispose(), other.dispose()]);
    expect(await waitForOpen('eventRecorded', before)).toBe(before);
  });

  it('caps the distinct eventStatsUpdated groups', async () => {
    const c = client({ authorization: `Bearer ${stack.token('viewer', 'stats')}` });
    const statsOf = (type: string) => collect(c, `subscription { eventStatsUpdated(interval: HOUR, filter: { types: ["${type}"] }) { total } }`);
    const [a, b] = [statsOf('a'), statsOf('b')];
    await until('the current answers', () => (a.values.length > 0 && b.values.length > 0 ? true : undefined));
    const third = statsOf('c');
    const refusal = await until('the refusal', () => third.errors[0] ?? third.refused[0]);
    expect(JSON.stringify(refusal)).toContain('LIMIT_EXCEEDED');
    expect(third.values).toEqual([]);
    await c.dispose();
    expect(await waitForOpen('eventStatsUpdated', 0)).toBe(0);
  });

  it('delivers a selection accepted at subscribe time for every event, however many one payload query resolves', async () => {
    const cameraId = await registerCamera('Heavy');
    const c = client({ authorization: `Bearer ${stack.token('viewer', 'heavy')}` });
    const before = await openSubscriptions('eventRecorded');
    const heavy = collect(
      c,
      `subscription { eventRecorded(filter: { cameraIds: ["${cameraId}"] }) { id camera { stats { topCameras(limit: 100) { key count } } } } }`,
    );
    expect(await waitForOpen('eventRecorded', before + 1)).toBe(before + 1);
    expect(heavy.refused).toEqual([]);
    // Recorded in one command, the events reach the gateway together and are resolved several per query.
    await recordEvents(cameraId, 30);
    await until('30 pushes', () => (heavy.values.length + heavy.errors.length >= 30 ? true : undefined));
    expect(heavy.errors).toEqual([]);
    expect(heavy.values).toHaveLength(30);
    for (const value of heavy.values) expect(value).toMatchObject({ eventRecorded: { camera: { stats: { topCameras: expect.any(Array) as unknown } } } });
    await c.dispose();
  });
});
