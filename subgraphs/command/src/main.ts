import { loadConfig } from '../../../lib/config/config';
import { serviceAmqp } from '../../../lib/events/service-amqp';
import { connectMongo } from '../../../lib/engines/mongo';
import { createMongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { amqpNames } from '../../../lib/events/topology';
import { startSubgraphServer } from '../../../lib/graphql/subgraph-server';
import { createLogger } from '../../../lib/logging/logger';
import { runService } from '../../../lib/service/lifecycle';
import { CommandService } from './application/command-service';
import { commandResolvers } from './graphql/resolvers';
import { startIngestConsumer } from './ingest/amqp-ingest-consumer';
import { IngestHandler } from './ingest/ingest-handler';
import { amqpEventPublisher } from './relay/amqp-event-publisher';
import { mongoRelayCheckpoint } from './relay/mongo-relay-checkpoint';
import { Relay } from './relay/relay';

const logger = createLogger('command');

runService('command', logger, async (onClose) => {
  const config = loadConfig();
  const names = amqpNames(config.namespace);
  const mongo = await connectMongo(config.mongodb);
  onClose(() => mongo.close());
  const store = createMongoEventStore(mongo.db, { recoveryTimeoutMs: config.writeSide.recoveryTimeoutMs });
  // Runs just before the connection closes: the outcomes and head hint still queued go out.
  onClose(() => store.flush());
  const service = new CommandService(store, { occurredAtWindow: config.writeSide.occurredAt });

  // RabbitMQ may be down at start: commands still work, the relay catches up once it connects.
  const amqp = serviceAmqp(config, logger, `sightline-command-${process.pid}`);
  const publisher = await amqpEventPublisher(amqp, names);
  const relay = new Relay(store, mongoRelayCheckpoint(mongo.db), publisher, logger, {
    batchSize: 500,
    pollMs: 250,
    leaseTtlMs: config.writeSide.relayLeaseTtlMs,
  });
  store.onAppended(() => relay.nudge());
  const handler = new IngestHandler(service, logger, {
    maxMessageBytes: config.writeSide.ingestMaxMessageBytes,
    maxUnavailableAttempts: config.writeSide.ingestMaxAttempts,
    storeAnswers: () => mongo.ping(),
  });
  const ingest = await startIngestConsumer(amqp, names, handler, logger, {
    prefetch: config.writeSide.ingestPrefetch,
    retryDelayMs: 1000,
  });
  amqp.start();
  relay.start();
  onClose(() => amqp.close());
  onClose(() => relay.stop());
  onClose(() => ingest.stop());

  const server = await startSubgraphServer({
    name: 'command',
    port: config.ports.command,
    config,
    logger,
    resolvers: commandResolvers(service, config.cameraAllowedHosts),
    readiness: async () => ({ mongodb: await mongo.ping(), rabbitmq: amqp.connected }),
  });
  onClose(() => server.stop());
});
