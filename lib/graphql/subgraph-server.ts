import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { buildSubgraphSchema, type GraphQLResolverMap } from '@apollo/subgraph';
import express from 'express';
import { parse } from 'graphql';
import type { RequestContext } from '../auth/identity';
import { CORRELATION_HEADER, INTERNAL_HEADER, verifyInternalToken } from '../auth/internal-token';
import type { Config } from '../config/config';
import { AppError } from '../errors/app-error';
import type { Logger } from '../logging/logger';
import { schemaDir } from '../paths';
import { makeFormatError, toGraphQLError } from './errors';
import { graphqlHandler } from './graphql-handler';
import { roleCheckPlugin } from './role-check-plugin';
import { scalarResolvers } from './scalars';

export interface SubgraphOptions {
  name: 'command' | 'query' | 'media';
  port: number;
  config: Config;
  logger: Logger;
  resolvers: GraphQLResolverMap<RequestContext>;
  /** Engine checks for /readyz: name -> answers. */
  readiness: () => Promise<Record<string, boolean>>;
  /** Extra HTTP routes (e.g. the media subgraph's HLS files), mounted before /graphql. */
  routes?: (app: express.Express) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const subgraphTypeDefs = (name: SubgraphOptions['name']) => parse(readFileSync(path.join(schemaDir, `${name}.graphql`), 'utf8'));

/** How long an idle keep-alive connection stays open (callers: the gateway's connection pool). */
export const KEEP_ALIVE_MS = 65_000;

/** One subgraph process's HTTP server: /graphql (gateway-only), /healthz, /readyz, plus extra routes. */
export async function startSubgraphServer(options: SubgraphOptions): Promise<RunningServer> {
  const { config, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  // The gateway's pooled connections stay open between bursts: with Node's default 5 s (undici then
  // drops an idle socket after 3 s) every burst opened new connections, and the request waiting on a
  // connect was the gateway's p99 on the write path (bench/write).
  httpServer.keepAliveTimeout = KEEP_ALIVE_MS;

  const schema = buildSubgraphSchema([
    {
      typeDefs: subgraphTypeDefs(options.name),
      // The module type is not generic over the context; resolvers are typed where they are written.
      resolvers: { ...scalarResolvers, ...options.resolvers } as GraphQLResolverMap<unknown>,
    },
  ]);
  const server = new ApolloServer<RequestContext>({
    schema,
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: makeFormatError(config.production),
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), roleCheckPlugin()],
  });
  await server.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: options.name });
  });
  app.get('/readyz', async (_req, res) => {
    const engines = await options.readiness();
    const ready = Object.values(engines).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', engines });
  });
  options.routes?.(app);
  app.use(
    '/graphql',
    express.json({ limit: '2mb' }),
    graphqlHandler(server, async (req) => {
      try {
        const header = req.headers[INTERNAL_HEADER];
        const verified = verifyInternalToken(config.auth.internalSecret, Array.isArray(header) ? header[0] : header);
        const correlation = req.headers[CORRELATION_HEADER];
        return { identity: verified.identity, correlationId: typeof correlation === 'string' ? correlation : verified.correlationId };
      } catch (error) {
        if (error instanceof AppError) throw toGraphQLError(error);
        throw error;
      }
    }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, config.host, () => resolve());
  });
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ port }, `${options.name} subgraph listening`);
  return {
    url: `http://${config.host}:${port}/graphql`,
    port,
    stop: async () => {
      await server.stop();
    },
  };
}
