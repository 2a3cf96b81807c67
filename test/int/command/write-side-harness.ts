import type { Channel, ChannelModel } from 'amqplib';
import amqp from 'amqplib';
import { AmqpConnection } from '../../../lib/engines/amqp';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { createMongoEventStore, type MongoEventStore } from '../../../lib/event-store/mongo-event-store';
import { amqpNames, assertSharedTopology, deleteTopology, type AmqpNames } from '../../../lib/events/topology';
import { createLogger } from '../../../lib/logging/logger';
import { CommandService } from '../../../subgraphs/command/src/application/command-service';
import { testNamespace } from '../../support/namespace';
import { ENGINE_URLS } from '../../support/engine-urls';

export const MONGODB_URL = ENGINE_URLS.mongodb;
export const AMQP_URL = ENGINE_URLS.amqp;
export const logger = createLogger('test', process.env.LOG_LEVEL ?? 'warn');

/** Real engines in a namespace of their own, plus a plain AMQP channel for the test's own publishing and reading. */
export interface WriteSide {
  namespace: string;
  names: AmqpNames;
  mongo: MongoHandle;
  store: MongoEventStore;
  service: CommandService;
  amqp: AmqpConnection;
  raw: ChannelModel;
  channel: Channel;
  close(): Promise<void>;
}

export async function startWriteSide(label: string): Promise<WriteSide> {
  const namespace = testNamespace(label);
  const names = amqpNames(namespace);
  const mongo = await connectMongo({ url: MONGODB_URL, database: namespace });
  const store = createMongoEventStore(mongo.db, { recoveryTimeoutMs: 500 });
  const connection = new AmqpConnection(AMQP_URL, logger, `test-${namespace}`);
  const raw = await amqp.connect(AMQP_URL);
  const channel = await raw.createChannel();
  await assertSharedTopology(channel, names);
  return {
    namespace,
    names,
    mongo,
    store,
    service: new CommandService(store),
    amqp: connection,
    raw,
    channel,
    async close() {
      await connection.close();
      await deleteTopology(channel, names).catch(() => undefined);
      await raw.close().catch(() => undefined);
      await mongo.db.dropDatabase();
      await mongo.close();
    },
  };
}

export const context = { actor: 'tester', correlationId: 'corr-1', causationId: null };

export async function registerCamera(side: WriteSide, id: string): Promise<void> {
  await side.service.registerCamera({ kind: 'RegisterCamera', cameraId: id, name: id, site: null, rtspUrl: 'rtsp://127.0.0.1/x', tags: [] }, context);
}

/** Polls until `check` returns true, for at most `ms` (bounded; fails the test after). */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
