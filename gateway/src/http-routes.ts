import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import express from 'express';
import type { Config } from '../../lib/config/config';
import type { GatewayContext } from './context/gateway-context';
import { dashboard } from './dashboard';
import { mediaBaseUrlOf, mediaRelay } from './hls-proxy';
import { graphqlHandler } from '../../lib/graphql/graphql-handler';
import type { GatewayMetrics } from './observability/metrics';
import { bodyErrorHandler } from './protection/http-errors';
import { checkReadiness } from './readiness';

export interface RouteOptions {
  config: Config;
  server: ApolloServer<GatewayContext>;
  /** Builds a GraphQL request's context (http/request-context). */
  context: (req: http.IncomingMessage) => Promise<GatewayContext>;
  metrics: GatewayMetrics;
  /** The gateway's own readiness checks, beside the subgraphs' (broker connected, supergraph loaded). */
  readiness: () => Record<string, boolean>;
}

/** What the gateway serves over HTTP: health, readiness, metrics, HLS, GraphQL and the dashboard. */
export function mountRoutes(app: express.Express, { config, server, context, metrics, readiness }: RouteOptions): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await checkReadiness(config.subgraphUrls, readiness());
    res.status(report.ready ? 200 : 503).json(report);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  const relay = mediaRelay(mediaBaseUrlOf(config.subgraphUrls.media));
  app.use('/hls', relay.hls);
  app.use('/clips', relay.clips);
  app.use('/graphql', express.json({ limit: config.gateway.maxBodyBytes }), bodyErrorHandler, graphqlHandler(server, context));
  app.use(dashboard());
}
