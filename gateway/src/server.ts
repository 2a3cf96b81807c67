import type http from 'node:http';
import type { Config } from '../../lib/config/config';
import type { Logger } from '../../lib/logging/logger';
import { createTokenVerifier } from './auth/user-token';
import { gatewayExecutor, startGraphqlServer } from './graphql-server';
import { createHttpServer, listen } from './http/http-server';
import { httpRequestContext } from './http/request-context';
import { mountRoutes } from './http-routes';
import { GatewayMetrics } from './observability/metrics';
import { watchProjectionLag } from './observability/projection-lag';
import { requestAdmission } from './protection/authorize-operation';
import { RateLimiter } from './protection/rate-limiter';
import { SubscriptionCaps } from './protection/subscription-caps';
import { startSubscriptionFeeds } from './subscription-feeds';
import { createSupergraph } from './supergraph';
import { startWsServer } from './ws/ws-server';

export interface GatewayServer {
  url: string;
  port: number;
  httpServer: http.Server;
  metrics: GatewayMetrics;
  stop(): Promise<void>;
}

/**
 * The gateway process: one HTTP server carrying GraphQL over HTTP and graphql-ws, both checked
 * the same way (a verified token, the rate limit at the door, then authorizeOperation), the
 * subscription feeds from the broker, and the health, metrics, HLS and dashboard routes.
 */
export async function startGateway(config: Config, logger: Logger): Promise<GatewayServer> {
  const { app, httpServer } = createHttpServer();
  const metrics = new GatewayMetrics();
  const limits = { maxDepth: config.gateway.maxDepth, maxCost: config.gateway.maxCost };
  const verifyToken = createTokenVerifier(config.auth);
  const admit = requestAdmission(new RateLimiter(config.gateway.rateLimitPerSecond, config.gateway.rateLimitBurst), () => metrics.rateLimited.inc());

  const supergraph = createSupergraph(config, metrics, logger);
  const server = await startGraphqlServer({ gateway: supergraph.gateway, httpServer, production: config.production, limits, metrics, logger });
  const executor = gatewayExecutor(server);
  const feeds = await startSubscriptionFeeds(config, executor, metrics, logger);
  const ws = startWsServer({
    httpServer,
    path: '/graphql',
    schema: supergraph.subscriptionSchema,
    verifyToken,
    kinds: feeds.kinds,
    executor,
    limits,
    admit,
    subscriptionCaps: new SubscriptionCaps({
      perConnection: config.gateway.subscriptionsPerConnectionMax,
      perIdentity: config.gateway.subscriptionsPerIdentityMax,
    }),
    production: config.production,
    connectionInitTimeoutMs: config.gateway.wsConnectionInitTimeoutMs,
    maxPayloadBytes: config.gateway.maxBodyBytes,
    logger,
  });
  const stopLagWatch = watchProjectionLag(executor, metrics, logger);
  mountRoutes(app, {
    config,
    server,
    context: httpRequestContext(verifyToken, admit),
    metrics,
    readiness: () => ({ amqp: feeds.connected(), supergraph: supergraph.subscriptionSchema() !== undefined }),
  });

  const port = await listen(httpServer, config.ports.gateway, config.host);
  logger.info({ port }, 'gateway listening');
  return {
    url: `http://${config.host}:${port}/graphql`,
    port,
    httpServer,
    metrics,
    stop: async () => {
      stopLagWatch();
      feeds.stopTimers();
      await ws.close();
      await server.stop();
      await feeds.close();
    },
  };
}
