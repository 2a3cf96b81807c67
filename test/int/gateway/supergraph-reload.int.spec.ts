import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startGateway, type GatewayServer } from '../../../gateway/src/server';
import { signDevelopmentToken } from '../../../lib/auth/development-token';
import { loadConfig } from '../../../lib/config/config';
import { createLogger } from '../../../lib/logging/logger';
import { schemaDir } from '../../../lib/paths';
import { testNamespace } from '../../support/namespace';
import { freePort } from '../../support/ports';
import { removeNamespaceData } from '../../support/stack';
import { ENGINE_URLS } from '../../support/engine-urls';

// The supergraph follows a subgraph whose schema changes, without a gateway restart: the media
// subgraph comes back with a new query field and the gateway serves it, over HTTP and graphql-ws.
const PROBE = 'extend type Query { sightlineReloadProbe: String }';

async function startSubgraph(name: string, port: number, extra = ''): Promise<ApolloServer> {
  const sdl = readFileSync(path.join(schemaDir, `${name}.graphql`), 'utf8') + extra;
  const server = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: extra ? { Query: { sightlineReloadProbe: () => 'reloaded' } } : {} }]),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
  return server;
}

describe('supergraph reload', () => {
  const ports = { command: 0, query: 0, media: 0 };
  const subgraphs: Record<string, ApolloServer> = {};
  let gateway: GatewayServer;
  const namespace = testNamespace('gwreload');
  const config = () =>
    loadConfig({
      SIGHTLINE_NAMESPACE: namespace,
      GATEWAY_PORT: '0',
      COMMAND_URL: `http://127.0.0.1:${ports.command}/`,
      QUERY_URL: `http://127.0.0.1:${ports.query}/`,
      MEDIA_URL: `http://127.0.0.1:${ports.media}/`,
      SUPERGRAPH_POLL_MS: '200',
      AMQP_URL: ENGINE_URLS.amqp,
    });

  beforeAll(async () => {
    for (const name of ['command', 'query', 'media'] as const) {
      ports[name] = await freePort();
      subgraphs[name] = await startSubgraph(name, ports[name]);
    }
    gateway = await startGateway(config(), createLogger('gateway', 'warn'));
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(Object.values(subgraphs).map((s) => s.stop()));
    await removeNamespaceData(namespace);
  });

  it('serves a field a subgraph added after the gateway started', async () => {
    const token = signDevelopmentToken(config().auth.jwtSecret, { subject: 'reload', role: 'viewer', expiresInSeconds: 300 });
    const ask = async () => {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ sightlineReloadProbe }' }),
      });
      return (await response.json()) as { data?: { sightlineReloadProbe?: string }; errors?: unknown[] };
    };
    expect((await ask()).errors?.length).toBeGreaterThan(0);

    await subgraphs.media?.stop();
    subgraphs.media = await startSubgraph('media', ports.media, PROBE);
    let answer = await ask();
    for (let i = 0; i < 100 && answer.data?.sightlineReloadProbe !== 'reloaded'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await ask();
    }
    expect(answer.data?.sightlineReloadProbe).toBe('reloaded');

    // graphql-ws validates against the rebuilt schema too.
    const client = createClient({
      url: gateway.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const overWs = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: '{ sightlineReloadProbe }' }, { next: resolve, error: resolve, complete: () => undefined });
    });
    await client.dispose();
    expect(overWs).toEqual({ data: { sightlineReloadProbe: 'reloaded' } });
  });
});
