import type { Logger } from '../../../lib/logging/logger';
import { GATEWAY_IDENTITY } from '../context/gateway-context';
import type { GatewayExecutor } from '../context/gateway-executor';
import type { GatewayMetrics } from './metrics';

const QUERY = 'query SightlineProjectionLag { projections { name lag deadLettered } }';

/** Keeps the projection lag and dead-letter gauges current by asking the query subgraph through the gateway. */
export function watchProjectionLag(executor: GatewayExecutor, metrics: GatewayMetrics, logger: Logger, everyMs = 5000): () => void {
  const scrape = async (): Promise<void> => {
    try {
      const result = await executor(QUERY, {}, { identity: GATEWAY_IDENTITY, correlationId: 'projection-lag' });
      const projections = (result.data?.projections ?? []) as Array<{ name: string; lag: number; deadLettered: number }>;
      for (const { name, lag, deadLettered } of projections) {
        metrics.projectionLag.set({ projection: name }, lag);
        metrics.projectionDeadLettered.set({ projection: name }, deadLettered);
      }
    } catch (error) {
      logger.debug({ err: (error as Error).message }, 'projection lag scrape failed');
    }
  };
  const timer = setInterval(() => void scrape(), everyMs);
  timer.unref();
  void scrape();
  return () => clearInterval(timer);
}
