import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../../../lib/logging/logger';
import type { GatewayContext } from '../context/gateway-context';
import type { GatewayMetrics } from './metrics';

/**
 * One structured log line and the Prometheus figures per HTTP operation, with the correlation id
 * that the subgraphs also log and that lands in event metadata.
 */
export function operationPlugin(metrics: GatewayMetrics, logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue, request }) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operation, operationName, errors, response }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const name = metrics.operationLabel(operationName ?? request.operationName);
          const type = operation?.operation ?? 'unknown';
          const codes = (errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL'));
          const outcome = codes.length === 0 ? 'ok' : (codes[0] ?? 'error');
          metrics.requests.inc({ operation: name, type, outcome });
          metrics.duration.observe({ operation: name, type }, seconds);
          (contextValue.internal ? logger.debug.bind(logger) : logger.info.bind(logger))(
            {
              correlationId: contextValue.correlationId,
              subject: contextValue.identity?.subject,
              operation: name,
              type,
              status: response.http.status ?? 200,
              ms: Math.round(seconds * 1e4) / 10,
              ...(codes.length > 0 ? { errors: codes } : {}),
            },
            'graphql request',
          );
        },
      };
    },
  };
}
