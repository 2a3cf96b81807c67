import { loadConfig } from '../../../lib/config/config';
import { serviceAmqp } from '../../../lib/events/service-amqp';
import { createElasticClient, elasticReady } from '../../../lib/engines/elastic';
import { connectMongo } from '../../../lib/engines/mongo';
import { createMongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { amqpNames } from '../../../lib/events/topology';
import { startSubgraphServer } from '../../../lib/graphql/subgraph-server';
import { createLogger } from '../../../lib/logging/logger';
import { runService } from '../../../lib/service/lifecycle';
import { queryResolvers } from './graphql/resolvers';
import { ReadMetrics } from './observability/read-metrics';
import { startProjection } from './projection/start-projection';
import { ElasticStatsStore } from './read/elastic-stats-store';
import { ViewReader } from './read/view-reader';
import { viewNames } from './views/names';

const logger = createLogger('query');

runService('query', logger, async (onClose) => {
  const config = loadConfig();
  const elastic = createElasticClient(config.elasticsearch);
  onClose(() => elastic.close());
  // The event store is only read here: rebuild replays and the checkpoint's view of positions.
  const mongo = await connectMongo(config.mongodb);
  onClose(() => mongo.close());
  const store = createMongoEventStore(mongo.db);
  // For the checkpoint's reads of slots the relay already published: their outcome document may
  // still be on its way from the writer; re-deriving it after 300 ms (not 5 s) bounds freshness.
  const decidedStore = createMongoEventStore(mongo.db, { recoveryTimeoutMs: 300 });
  const amqp = serviceAmqp(config, logger, 'sightline-query');
  amqp.start();
  onClose(() => amqp.close());

  const names = viewNames(config.namespace);
  const projection = startProjection({ elastic, store, decidedStore, amqp, amqpNames: amqpNames(config.namespace), names, logger });
  onClose(() => projection.stop());
  // Not ready until the views exist and the projector consumes: before that a read-your-writes
  // query could only time out (on fresh engines, creating the first indices takes seconds).
  let projecting = false;
  void projection.started.then(() => {
    projecting = true;
  });

  const metrics = new ReadMetrics();
  const server = await startSubgraphServer({
    name: 'query',
    port: config.ports.query,
    config,
    logger,
    resolvers: queryResolvers({
      reader: new ViewReader(elastic, names, (view, seconds) => metrics.viewRead.observe({ view }, seconds)),
      stats: new ElasticStatsStore(elastic, names),
      freshness: projection.runtime.freshness,
      readYourWritesTimeoutMs: config.readYourWritesTimeoutMs,
      status: projection.status,
      rebuilder: projection.rebuilder,
      onWait: (field, seconds) => metrics.readModelWait.observe({ field }, seconds),
    }),
    routes: (app) => metrics.mount(app),
    readiness: async () => ({ elasticsearch: await elasticReady(elastic), rabbitmq: amqp.connected, mongodb: await mongo.ping(), projection: projecting }),
  });
  onClose(() => server.stop());
});
