import { createClient } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { startStack, TEST_JWT_SECRET, type Stack } from '../../support/stack';

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
        // Production requires both; stack.token() puts them in its tokens.
        JWT_ISSUER: 'https://issuer.sightline.test/',
        JWT_AUDIENCE: 'sightline-gateway-production-test',
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

  it('accepts only tokens of its issuer and audience that expire', async () => {
    const { JWT_ISSUER: issuer, JWT_AUDIENCE: audience } = stack.env;
    const statusWith = async (options: jwt.SignOptions) => {
      const token = jwt.sign({ roles: ['viewer'] }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'prod-check', ...options });
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      return response.status;
    };
    expect(await statusWith({ issuer, audience, expiresIn: 60 })).toBe(200);
    expect(await statusWith({ issuer: 'https://another-issuer.test/', audience, expiresIn: 60 })).toBe(401);
    expect(await statusWith({ issuer, audience: 'another-application', expiresIn: 60 })).toBe(401);
    expect(await statusWith({ audience, expiresIn: 60 })).toBe(401);
    expect(await statusWith({ issuer, audience })).toBe(401);
  });
});
