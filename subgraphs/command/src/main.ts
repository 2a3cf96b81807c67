import { loadConfig } from '../../../lib/config/config';
import { connectMongo } from '../../../lib/engines/mongo';
import { startSubgraphServer } from '../../../lib/graphql/subgraph-server';
import { createLogger } from '../../../lib/logging/logger';
import { runService } from '../../../lib/service/lifecycle';

const logger = createLogger('command');

runService('command', logger, async (onClose) => {
  const config = loadConfig();
  const mongo = await connectMongo(config.mongodb);
  onClose(() => mongo.close());
  const server = await startSubgraphServer({
    name: 'command',
    port: config.ports.command,
    config,
    logger,
    resolvers: {},
    readiness: async () => ({ mongodb: await mongo.ping() }),
  });
  onClose(() => server.stop());
});
