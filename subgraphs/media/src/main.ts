import { loadConfig } from '../../../lib/config/config';
import { startSubgraphServer } from '../../../lib/graphql/subgraph-server';
import { createLogger } from '../../../lib/logging/logger';
import { runService } from '../../../lib/service/lifecycle';

const logger = createLogger('media');

runService('media', logger, async (onClose) => {
  const config = loadConfig();
  const server = await startSubgraphServer({
    name: 'media',
    port: config.ports.media,
    config,
    logger,
    resolvers: {},
    readiness: async () => ({}),
  });
  onClose(() => server.stop());
});
