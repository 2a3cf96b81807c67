import http from 'node:http';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express from 'express';
import type { FormattedExecutionResult, GraphQLSchema } from 'graphql';
import type { RequestContext } from '../../lib/auth/identity';
import { CORRELATION_HEADER } from '../../lib/auth/internal-token';
import type { Config } from '../../lib/config/config';
import { AmqpConnection } from '../../lib/engines/amqp';
import { AppError } from '../../lib/errors/app-error';
import { makeFormatError, toGraphQLError } from '../../lib/graphql/errors';
import type { Logger } from '../../lib/logging/logger';
import { createTokenVerifier } from './auth/user-token';
import { dashboard } from './dashboard';
import { hlsProxy, mediaBaseUrlOf } from './hls-proxy';
import { graphqlHandler } from './http/graphql-handler';
import { GatewayMetrics } from './observability/metrics';
import { operationPlugin } from './observability/operation-plugin';
import { watchProjectionLag } from './observability/projection-lag';
import { bodyErrorHandler } from './protection/http-errors';
import { authorizationPlugin, requestAdmission } from './protection/authorize-operation';
import { RateLimiter } from './protection/rate-limiter';
import { SubscriptionCaps } from './protection/subscription-caps';
import { checkReadiness } from './readiness';
import { SessionFloors } from './session-floors';
import { SignedSubgraphDataSource } from './subgraph-data-source';
import { AmqpFeed } from './subscriptions/amqp-feed';
import { EventRecordedSubscriptions } from './subscriptions/event-recorded';
import { EventStatsSubscriptions } from './subscriptions/event-stats';
import type { GatewayExecutor } from './context/gateway-executor';
import { correlationIdOf, type GatewayContext } from './context/gateway-context';
import { StreamStatusSubscriptions } from './subscriptions/stream-status';
import type { SubscriptionHooks } from './subscriptions/subscription-kind';
import { subscriptionSchemaOf } from './subscriptions/subscription-schema';
import { startWsServer } from './subscriptions/ws-server';

export interface GatewayServer {
  url: string;
  port: number;
  httpServer: http.Server;
  metrics: GatewayMetrics;
  stop(): Promise<void>;
}

/** Idle keep-alive of client connections (a common load-balancer idle timeout is 60 s: stay above it). */
const CLIENT_KEEP_ALIVE_MS = 65_000;

export async function startGateway(config: Config, logger: Logger): Promise<GatewayServer> {
  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are POST bodies no client revalidates: hashing each one for an ETag is wasted work.
  app.set('etag', false);
  const httpServer = http.createServer(app);
  // Clients' idle keep-alive connections stay open between bursts (Node's default 5 s made a client
  // pool open new connections after every lull; a request waiting on a connect lands in the tail).
  httpServer.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
  const verifyToken = createTokenVerifier(config.auth);
  const metrics = new GatewayMetrics();
  const limits = { maxDepth: config.gateway.maxDepth, maxCost: config.gateway.maxCost };
  const admit = requestAdmission(new RateLimiter(config.gateway.rateLimitPerSecond, config.gateway.rateLimitBurst), () => metrics.rateLimited.inc());

  const sessions = new SessionFloors();
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({
      subgraphs: Object.entries(config.subgraphUrls).map(([name, url]) => ({ name, url })),
      // Re-composes when a subgraph's schema changes: no gateway restart needed.
      pollIntervalInMs: config.gateway.supergraphPollMs,
    }),
    buildService: ({ name, url }) =>
      new SignedSubgraphDataSource(url ?? '', config.auth.internalSecret, name, {
        onFetch: (shared) => metrics.subgraphCalls.inc({ subgraph: name, shared: shared ? 'yes' : 'no' }),
        sessions,
        // The read model states its own freshness (minPosition); the others answer live state.
        shareScope: name === 'query' ? 'session' : 'request',
      }),
    logger,
  });
  let subscriptionSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    try {
      subscriptionSchema = subscriptionSchemaOf(apiSchema);
      logger.info('supergraph loaded; subscription schema rebuilt');
    } catch (error) {
      // A supergraph that lost a type Subscription needs: keep serving subscriptions on the last good one.
      logger.error({ err: (error as Error).message }, 'subscription schema not rebuilt');
    }
  });

  const server = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: makeFormatError(config.production),
    // Batched (array) requests are refused: one operation per request keeps limits meaningful.
    allowBatchedHttpRequests: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), authorizationPlugin(limits), operationPlugin(metrics, logger)],
  });
  await server.start();

  // Subscription payloads and ws queries run through the gateway itself, with the subscriber's
  // identity. Their limits were checked when graphql-ws admitted the client's operation (onSubscribe):
  // a batched payload query is not the client's request and is not held to the per-request cost.
  const executor: GatewayExecutor = async (query, variables, context, operationName) => {
    const response = await server.executeOperation(
      { query, variables, ...(operationName ? { operationName } : {}) },
      { contextValue: { ...context, internal: true, limitsChecked: true, receivedAt: performance.now() } },
    );
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not supported here');
    return response.body.singleResult as FormattedExecutionResult;
  };

  const amqp = new AmqpConnection(config.amqp.url, logger, 'sightline-gateway');
  const feed = new AmqpFeed(amqp, config.namespace, logger);
  const hooks: SubscriptionHooks = {
    onOpen: (field, delta) => metrics.subscriptionsOpen.inc({ field }, delta),
    onPush: (field, pushed, dropped) => {
      metrics.subscriptionPushes.inc({ field }, pushed);
      if (dropped > 0) metrics.subscriptionDrops.inc({ field }, dropped);
    },
  };
  const queueMax = config.gateway.subscriberQueueMax;
  const eventRecorded = new EventRecordedSubscriptions(executor, feed, hooks, queueMax);
  const eventStats = new EventStatsSubscriptions(executor, feed, hooks, queueMax, Date.now, config.gateway.eventStatsGroupsMax);
  const streamStatus = new StreamStatusSubscriptions(executor, feed, hooks, queueMax);
  feed.on('events', async (message) => {
    await Promise.all([eventRecorded.handle(message), eventStats.handle(message)]);
  });
  feed.on('streams', (message) => streamStatus.handle(message));
  await feed.start();
  amqp.start();

  const ws = startWsServer({
    httpServer,
    path: '/graphql',
    schema: () => subscriptionSchema,
    verifyToken,
    kinds: { eventRecorded, eventStatsUpdated: eventStats, streamStatusChanged: streamStatus },
    executor,
    limits,
    admit,
    subscriptionCaps: new SubscriptionCaps({ perConnection: config.gateway.subscriptionsPerConnectionMax, perIdentity: config.gateway.subscriptionsPerIdentityMax }),
    production: config.production,
    connectionInitTimeoutMs: config.gateway.wsConnectionInitTimeoutMs,
    maxPayloadBytes: config.gateway.maxBodyBytes,
    logger,
  });
  const stopLagWatch = watchProjectionLag(executor, metrics, logger);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(config.subgraphUrls, { amqp: amqp.connected, supergraph: subscriptionSchema !== undefined });
    res.status(report.ready ? 200 : 503).json(report);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use('/hls', hlsProxy(mediaBaseUrlOf(config.subgraphUrls.media)));
  app.use(
    '/graphql',
    express.json({ limit: config.gateway.maxBodyBytes }),
    bodyErrorHandler,
    graphqlHandler(server, async (req) => {
      const receivedAt = performance.now();
      const correlationId = correlationIdOf(req.headers[CORRELATION_HEADER]);
      let identity: RequestContext['identity'];
      try {
        ({ identity } = await verifyToken(req.headers.authorization));
      } catch (error) {
        if (error instanceof AppError) throw toGraphQLError(error);
        throw error;
      }
      const overRate = admit(identity.subject, 'http');
      if (overRate) throw overRate;
      return { identity, correlationId, receivedAt };
    }),
  );
  app.use(dashboard());

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
    metrics,
    stop: async () => {
      stopLagWatch();
      eventStats.close();
      await ws.close();
      await server.stop();
      await amqp.close();
    },
  };
}
