import { auditServer } from 'graphql-http';
import jwt from 'jsonwebtoken';
import { signDevelopmentToken } from '../../../lib/auth/development-token';
import { INTERNAL_HEADER, signInternalToken } from '../../../lib/auth/internal-token';
import { REQUIRED_ROLE, ROLES, hasRole, type Role } from '../../../lib/auth/roles';
import { startStack, TEST_JWT_SECRET, type Stack } from '../../support/stack';

// The gateway over HTTP: the GraphQL-over-HTTP audit suite, the role matrix on every mutation,
// protection limits, operations endpoints, and subgraphs refusing anything but the gateway.
const MUTATIONS: Record<string, string> = {
  'Mutation.registerCamera': 'mutation { registerCamera(input: { name: "m", rtspUrl: "rtsp://127.0.0.1:8554/none" }) { id } }',
  'Mutation.updateCamera': 'mutation { updateCamera(input: { id: "missing-camera", name: "n" }) { id } }',
  'Mutation.decommissionCamera': 'mutation { decommissionCamera(id: "missing-camera") { id } }',
  'Mutation.rebuildProjection': 'mutation { rebuildProjection(name: "no-such-projection") { name } }',
  'Mutation.recordEvent':
    'mutation { recordEvent(input: { cameraId: "missing-camera", type: "motion", severity: INFO, occurredAt: "2026-11-25T00:00:00Z" }) { id } }',
  'Mutation.recordEvents': 'mutation { recordEvents(inputs: []) { accepted } }',
  'Mutation.acknowledgeEvent': 'mutation { acknowledgeEvent(id: "missing-event") { id } }',
  'Mutation.resolveEvent': 'mutation { resolveEvent(id: "missing-event") { id } }',
  'Mutation.startStream': 'mutation { startStream(cameraId: "missing-camera") { id } }',
  'Mutation.stopStream': 'mutation { stopStream(cameraId: "missing-camera") { id } }',
};

const codesOf = (body: { errors?: Array<{ extensions?: { code?: unknown } }> }) => (body.errors ?? []).map((e) => e.extensions?.code);

describe('gateway over HTTP', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      label: 'gwhttp',
      env: { RATE_LIMIT_PER_SECOND: '10', RATE_LIMIT_BURST: '200', GRAPHQL_MAX_DEPTH: '8', GRAPHQL_MAX_BODY_BYTES: '65536' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const post = (body: unknown, headers: Record<string, string> = {}, role: Role | null = 'viewer') =>
    fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(role ? { authorization: `Bearer ${stack.token(role)}` } : {}), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('keeps idle keep-alive connections open 65 s, on the gateway and on the subgraphs it pools connections to', async () => {
    // Node's default (5 s) made connection pools reconnect after every lull (bench/write tail).
    const gateway = await post({ query: '{ __typename }' });
    await gateway.text();
    expect(gateway.headers.get('keep-alive')).toBe('timeout=65');
    for (const port of [stack.ports.command, stack.ports.query, stack.ports.media]) {
      const subgraph = await fetch(`http://127.0.0.1:${port}/healthz`);
      await subgraph.text();
      expect(subgraph.headers.get('keep-alive')).toBe('timeout=65');
    }
  });

  it('passes every MUST of the graphql-http server audits', async () => {
    const token = stack.token('viewer', 'audit');
    const results = await auditServer({
      url: stack.gatewayUrl,
      fetchFn: (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${token}`);
        return fetch(input, { ...init, headers });
      },
    });
    const mustFailures = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok').map((r) => `${r.name}: ${r.status === 'ok' ? '' : r.reason}`);
    expect(mustFailures).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });

  it.each(Object.keys(REQUIRED_ROLE).flatMap((field) => ROLES.map((role) => [field, role] as const)))('role matrix: %s as %s', async (field, role) => {
    const query = MUTATIONS[field];
    expect(query).toBeDefined();
    const response = await post({ query }, {}, role);
    const codes = codesOf((await response.json()) as Parameters<typeof codesOf>[0]);
    if (hasRole(role, REQUIRED_ROLE[field] as Role)) {
      expect(codes).not.toContain('FORBIDDEN');
      expect(codes).not.toContain('UNAUTHENTICATED');
    } else {
      expect(response.status).toBe(403);
      expect(codes).toEqual(['FORBIDDEN']);
    }
  });

  it('every mutation of the supergraph is in the role matrix test', async () => {
    const response = await post({ query: '{ __schema { mutationType { fields { name } } } }' });
    const body = (await response.json()) as { data: { __schema: { mutationType: { fields: Array<{ name: string }> } } } };
    const fields = body.data.__schema.mutationType.fields.map((f) => `Mutation.${f.name}`);
    for (const field of fields) expect(Object.keys(MUTATIONS)).toContain(field);
  });

  it('lets every role query and refuses a missing, forged or expired token with 401', async () => {
    for (const role of ROLES) {
      const response = await post({ query: '{ __typename projections { name } }' }, {}, role);
      const codes = codesOf((await response.json()) as Parameters<typeof codesOf>[0]);
      expect(codes).not.toContain('FORBIDDEN');
      expect(codes).not.toContain('UNAUTHENTICATED');
    }
    const missing = await post({ query: '{ __typename }' }, {}, null);
    expect(missing.status).toBe(401);
    expect(codesOf((await missing.json()) as Parameters<typeof codesOf>[0])).toEqual(['UNAUTHENTICATED']);
    const forged = signDevelopmentToken('some-other-secret-entirely', { subject: 'mallory', role: 'admin', expiresInSeconds: 60 });
    expect((await post({ query: '{ __typename }' }, { authorization: `Bearer ${forged}` }, null)).status).toBe(401);
    const expired = jwt.sign({ roles: ['admin'], exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'late' });
    const expiredResponse = await post({ query: '{ __typename }' }, { authorization: `Bearer ${expired}` }, null);
    expect(expiredResponse.status).toBe(401);
    expect(((await expiredResponse.json()) as { errors: Array<{ message: string }> }).errors[0]?.message).toMatch(/expired/);
    const eternal = jwt.sign({ roles: ['admin'] }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'eternal' });
    const eternalResponse = await post({ query: '{ __typename }' }, { authorization: `Bearer ${eternal}` }, null);
    expect(eternalResponse.status).toBe(401);
    expect(codesOf((await eternalResponse.json()) as Parameters<typeof codesOf>[0])).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses direct calls to a subgraph without, or with a forged, internal header', async () => {
    for (const service of ['command', 'query', 'media'] as const) {
      const url = `http://127.0.0.1:${stack.ports[service]}/graphql`;
      const call = (headers: Record<string, string>) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ __typename }' }) });
      const bare = await call({ authorization: `Bearer ${stack.token('admin')}` });
      expect(bare.status).toBe(401);
      expect(codesOf((await bare.json()) as Parameters<typeof codesOf>[0])).toEqual(['UNAUTHENTICATED']);
      const forged = signInternalToken('not-the-internal-secret-at-all', { subject: 'mallory', role: 'admin' }, 'forged');
      const forgedResponse = await call({ [INTERNAL_HEADER]: forged });
      expect(forgedResponse.status).toBe(401);
    }
  });

  it('refuses too deep, too costly, too large and batched requests with clear errors', async () => {
    const deep = await post({
      query: '{ streamSessions { camera { liveStream { camera { liveStream { camera { liveStream { camera { liveStream { id } } } } } } } } } }',
    });
    expect(deep.status).toBe(400);
    const deepBody = (await deep.json()) as { errors: Array<{ extensions: Record<string, unknown> }> };
    expect(deepBody.errors[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', maxDepth: 8 });

    const costly = await post({ query: '{ cameras(first: 100000) { edges { node { id name tags } } } }' });
    expect(costly.status).toBe(400);
    expect(((await costly.json()) as { errors: Array<{ extensions: Record<string, unknown> }> }).errors[0]?.extensions.code).toBe('LIMIT_EXCEEDED');
    // The same size as a literal, a variable, or a variable's default costs the same, and is refused the same.
    const selection = '{ edges { node { camera { stats { total byType { key count } } } } } }';
    const statsCosts: unknown[] = [];
    for (const body of [
      { query: `{ events(first: 500) ${selection} }` },
      { query: `query($n: Int) { events(first: $n) ${selection} }`, variables: { n: 500 } },
      { query: `query($n: Int = 500) { events(first: $n) ${selection} }` },
    ]) {
      const response = await post(body);
      expect(response.status).toBe(400);
      const error = ((await response.json()) as { errors: Array<{ extensions: Record<string, unknown> }> }).errors[0];
      expect(error?.extensions.code).toBe('LIMIT_EXCEEDED');
      statsCosts.push(error?.extensions.cost);
    }
    expect(new Set(statsCosts).size).toBe(1);

    const large = await post({ query: `{ __typename }`, variables: { padding: 'x'.repeat(100000) } });
    expect(large.status).toBe(413);
    expect(codesOf((await large.json()) as Parameters<typeof codesOf>[0])).toEqual(['LIMIT_EXCEEDED']);

    const batch = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(batch.status).toBe(400);
  });

  it('prevents CSRF: a simple GET without a preflight header is refused, a non-simple one passes', async () => {
    const url = `${stack.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`;
    const auth = { authorization: `Bearer ${stack.token('viewer')}` };
    expect((await fetch(url, { headers: auth })).status).toBe(400);
    expect((await fetch(url, { headers: { ...auth, 'apollo-require-preflight': 'true' } })).status).toBe(200);
  });

  it('rate-limits per identity with 429, RATE_LIMITED and retryAfter, without touching other identities', async () => {
    const token = stack.token('viewer', 'flood');
    const responses = await Promise.all(Array.from({ length: 300 }, () => post({ query: '{ __typename }' }, { authorization: `Bearer ${token}` }, null)));
    const limited = responses.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(50);
    const body = (await limited[0]?.json()) as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
    expect(body.errors[0]?.extensions.code).toBe('RATE_LIMITED');
    expect(body.errors[0]?.extensions.retryAfter).toBeGreaterThanOrEqual(1);
    expect(limited[0]?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await post({ query: '{ __typename }' }, {}, 'viewer')).status).toBe(200);
  });

  it('serves /healthz, /readyz and Prometheus /metrics with per-operation figures', async () => {
    expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.baseUrl}/readyz`)).status).toBe(200);
    await post({ query: 'query MetricsProbe { __typename }' });
    const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(text).toMatch(/sightline_gateway_requests_total\{operation="MetricsProbe",type="query",outcome="ok"\} \d+/);
    expect(text).toContain('sightline_gateway_request_duration_seconds_bucket{le=');
    expect(text).toContain('sightline_gateway_subscriptions_open');
    expect(text).toContain('sightline_projection_lag');
    expect(text).toContain('sightline_projection_dead_lettered');
  });

  it('logs each request as a structured line with the correlation id the caller sent', async () => {
    await post({ query: 'query Correlated { __typename }' }, { 'x-correlation-id': 'corr-gateway-e2e-1' });
    const find = () =>
      (stack.logs.get('gateway') ?? [])
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        })
        .find((l) => l.correlationId === 'corr-gateway-e2e-1');
    // The child's stdout reaches this process a moment after the response.
    for (let i = 0; i < 50 && !find(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(find()).toMatchObject({ operation: 'Correlated', msg: 'graphql request' });
  });
});
