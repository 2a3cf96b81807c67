import { Client } from '@elastic/elasticsearch';
import type { Config } from '../config/config';

/**
 * Readiness uses `_cluster/health`: the local minimal distribution answers 405 to `GET /`, so the
 * client's own ping cannot be used.
 */
export function createElasticClient(config: Config['elasticsearch']): Client {
  return new Client({ node: config.url, requestTimeout: 30000, maxRetries: 2, sniffOnStart: false });
}

export async function elasticReady(client: Client): Promise<boolean> {
  try {
    const health = await client.cluster.health({ timeout: '2s' }, { requestTimeout: 3000, maxRetries: 0 });
    return health.status === 'green' || health.status === 'yellow';
  } catch {
    return false;
  }
}
