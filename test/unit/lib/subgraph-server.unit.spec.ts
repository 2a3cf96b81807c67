import url from 'node:url';
import { INTERNAL_HEADER, signInternalIdentityToken } from '../../../lib/auth/internal-token';
import { loadConfig } from '../../../lib/config/config';
import { startSubgraphServer, type RunningServer } from '../../../lib/graphql/subgraph-server';
import { createLogger } from '../../../lib/logging/logger';

/** A subgraph's HTTP server with no engines behind it (no resolver runs for `__typename`). */
describe('subgraph HTTP server', () => {
  const config = loadConfig({ SIGHTLINE_HOST: '127.0.0.1' });
  let server: RunningServer;

  beforeAll(async () => {
    server = await startSubgraphServer({ name: 'command', port: 0, config, logger: createLogger('test'), resolvers: {}, readiness: async () => ({}) });
  });
  afterAll(async () => {
    await server.stop();
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers a request from the gateway without the legacy url.parse per request (~4 % of its CPU under load)', async () => {
    const parse = jest.spyOn(url, 'parse');
    const response = await fetch(`${server.url}?trace=1`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [INTERNAL_HEADER]: signInternalIdentityToken(config.auth.internalSecret, { subject: 'test', role: 'viewer' }),
      },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
    expect(parse).not.toHaveBeenCalled();
  });

  it('still refuses a request without the internal header', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
