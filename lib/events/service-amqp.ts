import type { Config } from '../config/config';
import { AmqpConnection } from '../engines/amqp';
import type { Logger } from '../logging/logger';
import { upgradeQueues } from './queue-upgrades';
import { amqpNames } from './topology';

/**
 * The RabbitMQ connection of a Sightline service: every node of `AMQP_URL`, and on each connect,
 * before the service's own setups, the upgrade of queues earlier versions declared and the
 * declaration of the shared topology (queue-upgrades.ts).
 */
export function serviceAmqp(config: Config, logger: Logger, clientName: string): AmqpConnection {
  const amqp = new AmqpConnection(config.amqp.url, logger, clientName);
  const names = amqpNames(config.namespace);
  void amqp.use((connection) => upgradeQueues(connection, names, logger));
  return amqp;
}
