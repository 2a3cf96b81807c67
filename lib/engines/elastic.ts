import { Client } from '@elastic/elasticsearch';
import type { Config } from '../config/config';
import { nodeUrls } from './node-urls';

/**
 * Readiness uses `_cluster/health`: the local minimal distribution answers 405 to `GET /`, so the
 * client's own ping cannot be used.
 *
 * `config.url` may list a cluster's nodes (comma-separated): the client spreads requests over all
 * of them, takes a node that fails to connect out of the rotation (trying it again later), and
 * retries the request on another node. No sniffing: the listed addresses are the ones that are
 * reachable (nodes publish the addresses they bind, which a client outside may not reach).
 */
export function createElasticClient(config: Config['elasticsearch']): Client {
  const nodes = nodeUrls(config.url);
  return new Client({ nodes, requestTimeout: 30000, maxRetries: Math.max(2, nodes.length), sniffOnStart: false });
}

export async function elasticReady(client: Client): Promise<boolean> {
  try {
    const health = await client.cluster.health({ timeout: '2s' }, { requestTimeout: 3000, maxRetries: 0 });
    return health.status === 'green' || health.status === 'yellow';
  } catch {
    return false;
  }
}
