import type http from 'node:http';
import type { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { FormattedExecutionResult } from 'graphql';
import { makeFormatError } from '../../lib/graphql/errors';
import type { Logger } from '../../lib/logging/logger';
import type { GatewayContext } from './context/gateway-context';
import type { GatewayExecutor } from './context/gateway-executor';
import type { GatewayMetrics } from './observability/metrics';
import { operationPlugin } from './observability/operation-plugin';
import { authorizationPlugin } from './protection/authorize-operation';
import type { OperationLimits } from './protection/operation-limits';

export interface GraphqlServerOptions {
  gateway: ApolloGateway;
  httpServer: http.Server;
  production: boolean;
  limits: OperationLimits;
  metrics: GatewayMetrics;
  logger: Logger;
}

/** Apollo Server over the supergraph: every operation it runs is authorized, measured and logged. */
export async function startGraphqlServer(options: GraphqlServerOptions): Promise<ApolloServer<GatewayContext>> {
  const server = new ApolloServer<GatewayContext>({
    gateway: options.gateway,
    introspection: !options.production,
    includeStacktraceInErrorResponses: !options.production,
    formatError: makeFormatError(options.production),
    // Batched (array) requests are refused: one operation per request keeps limits meaningful.
    allowBatchedHttpRequests: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }),
      authorizationPlugin(options.limits),
      operationPlugin(options.metrics, options.logger),
    ],
  });
  await server.start();
  return server;
}

/**
 * Subscription payloads and ws queries run through the gateway itself, with the subscriber's
 * identity. Their limits were checked when graphql-ws admitted the client's operation (onSubscribe):
 * a batched payload query is not the client's request and is not held to the per-request cost.
 */
export function gatewayExecutor(server: ApolloServer<GatewayContext>): GatewayExecutor {
  return async (query, variables, context, operationName) => {
    const response = await server.executeOperation(
      { query, variables, ...(operationName ? { operationName } : {}) },
      { contextValue: { ...context, internal: true, limitsChecked: true, receivedAt: performance.now() } },
    );
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not supported here');
    return response.body.singleResult as FormattedExecutionResult;
  };
}
