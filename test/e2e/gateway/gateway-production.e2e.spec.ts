import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startStack, type Stack } from '../../support/stack';

// NODE_ENV=production: no introspection (HTTP or graphql-ws) and no stack traces in errors.
describe('gateway in production mode', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      label: 'gwprod',
      env: {
        NODE_ENV: 'production',
        INTERNAL_SECRET: 'gateway-production-test-internal-secret',
        HLS_LINK_SECRET: 'gateway-production-test-hls-link-secret',
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses introspection and hides stack traces over HTTP', async () => {
    const introspection = await stack.graphql('{ __schema { types { name } } }', undefined, 'viewer');
    expect(introspection.data ?? null).toBeNull();
    expect(JSON.stringify(introspection.errors)).toMatch(/introspection/i);
    const invalid = await stack.graphql('{ noSuchField }', undefined, 'viewer');
    expect(invalid.errors?.length).toBeGreaterThan(0);
    for (const error of [...(invalid.errors ?? []), ...(introspection.errors ?? [])]) expect(error.extensions?.stacktrace).toBeUndefined();
  });

  it('refuses introspection over graphql-ws too', async () => {
    const client = createClient({
      url: stack.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${stack.token('viewer')}` },
      retryAttempts: 0,
    });
    const errors = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: '{ __schema { types { name } } }' }, { next: () => resolve(undefined), error: resolve, complete: () => undefined });
    });
    await client.dispose();
    expect(JSON.stringify(errors)).toMatch(/introspection/i);
  });
});
