import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../../lib/config/config';
import type { Logger } from '../../lib/logging/logger';
import type { GatewayMetrics } from './observability/metrics';
import { SessionFloors } from './session-floors';
import { SignedSubgraphDataSource } from './subgraph-data-source';
import { subscriptionSchemaOf } from './subscriptions/subscription-schema';

export interface Supergraph {
  gateway: ApolloGateway;
  /** The current subscription schema (API schema + Subscription); undefined until the supergraph loaded. */
  subscriptionSchema(): GraphQLSchema | undefined;
}

/** Apollo Gateway over the three subgraphs, called with signed headers, and the subscription schema kept in step with it. */
export function createSupergraph(config: Config, metrics: GatewayMetrics, logger: Logger): Supergraph {
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
  return { gateway, subscriptionSchema: () => subscriptionSchema };
}
