import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';

/**
 * Which Elasticsearch node processes hold the views right now: every node gets a new
 * `ephemeral_id` each time it starts, so a different answer means some node restarted (or was
 * replaced) since the last look, and writes acknowledged before that can no longer be taken on
 * trust.
 */
export async function elasticNodeIdentity(client: Client): Promise<string> {
  const state = await client.cluster.state(
    { metric: 'nodes', filter_path: 'nodes.*.ephemeral_id' },
    // A quick answer or none: this runs on a timer and right after a failure.
    { requestTimeout: 3000, maxRetries: 0 },
  );
  const nodes = (state as { nodes?: Record<string, { ephemeral_id?: string }> }).nodes ?? {};
  return Object.values(nodes)
    .map((node) => node.ephemeral_id ?? '')
    .sort()
    .join(',');
}

const UNREACHABLE = [errors.ConnectionError, errors.NoLivingConnectionsError, errors.TimeoutError];

/**
 * Calls `listener` whenever any request of this client fails to reach Elasticsearch (connection
 * refused or reset, timeout), whoever made it: a reader, the projector or a timer. Returns the
 * unsubscribe function.
 */
export function onElasticUnreachable(client: Client, listener: () => void): () => void {
  const handler = (error: unknown) => {
    if (error && UNREACHABLE.some((kind) => error instanceof kind)) listener();
  };
  client.diagnostic.on('response', handler);
  return () => client.diagnostic.off('response', handler);
}
