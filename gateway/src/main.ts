import { loadConfig } from '../../lib/config/config';
import { createLogger } from '../../lib/logging/logger';
import { runService } from '../../lib/service/lifecycle';
import { waitForSubgraphs } from './readiness';
import { startGateway } from './server';

const logger = createLogger('gateway');

runService('gateway', logger, async (onClose) => {
  const config = loadConfig();
  await waitForSubgraphs(config.subgraphUrls, 60000);
  const gateway = await startGateway(config, logger);
  onClose(() => gateway.stop());
});
