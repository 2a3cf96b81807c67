import { loadConfig } from '../../../lib/config/config';
import { createElasticClient, elasticReady } from '../../../lib/engines/elastic';
import { startSubgraphServer } from '../../../lib/graphql/subgraph-server';
import { createLogger } from '../../../lib/logging/logger';
import { runService } from '../../../lib/service/lifecycle';

const logger = createLogger('query');

runService('query', logger, async (onClose) => {
  const config = loadConfig();
  const elastic = createElasticClient(config.elasticsearch);
  onClose(() => elastic.close());
  const server = await startSubgraphServer({
    name: 'query',
    port: config.ports.query,
    config,
    logger,
    resolvers: {},
    readiness: async () => ({ elasticsearch: await elasticReady(elastic) }),
  });
  onClose(() => server.stop());
});
