import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { RequestContext } from '../../lib/auth/identity';
import { CORRELATION_HEADER } from '../../lib/auth/internal-token';
import type { Config } from '../../lib/config/config';
import { AppError } from '../../lib/errors/app-error';
import { makeFormatError, toGraphQLError } from '../../lib/graphql/errors';
import { roleCheckPlugin } from '../../lib/graphql/role-check-plugin';
import type { Logger } from '../../lib/logging/logger';
import { createTokenVerifier } from './auth/user-token';
import { checkReadiness } from './readiness';
import { SignedSubgraphDataSource } from './subgraph-data-source';

export interface GatewayServer {
  url: string;
  port: number;
  httpServer: http.Server;
  stop(): Promise<void>;
}

const SUPERGRAPH_POLL_MS = 10000;

export function correlationIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  // Accept a caller's id only when it is a sane token, so logs cannot be forged with newlines.
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : randomUUID();
}

export async function startGateway(config: Config, logger: Logger): Promise<GatewayServer> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const verifyToken = createTokenVerifier(config.auth);

  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({
      subgraphs: Object.entries(config.subgraphUrls).map(([name, url]) => ({ name, url })),
      // Re-composes when a subgraph's schema changes: no gateway restart needed.
      pollIntervalInMs: SUPERGRAPH_POLL_MS,
    }),
    buildService: ({ url }) => new SignedSubgraphDataSource(url ?? '', config.auth.internalSecret),
    logger,
  });

  const server = new ApolloServer<RequestContext>({
    gateway,
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: makeFormatError(config.production),
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), roleCheckPlugin()],
  });
  await server.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(config.subgraphUrls);
    res.status(report.ready ? 200 : 503).json(report);
  });
  app.use(
    '/graphql',
    express.json({ limit: '2mb' }),
    expressMiddleware(server, {
      context: async ({ req }) => {
        const correlationId = correlationIdOf(req.headers[CORRELATION_HEADER]);
        try {
          const identity = await verifyToken(req.headers.authorization);
          return { identity, correlationId };
        } catch (error) {
          if (error instanceof AppError) throw toGraphQLError(error);
          throw error;
        }
      },
    }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.ports.gateway, config.host, () => resolve());
  });
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.ports.gateway;
  logger.info({ port }, 'gateway listening');
  return {
    url: `http://${config.host}:${port}/graphql`,
    port,
    httpServer,
    stop: async () => {
      await server.stop();
    },
  };
}
