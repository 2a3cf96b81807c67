import { randomBytes, randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import type { ConfirmChannel } from 'amqplib';
import { loadConfig } from '../../lib/config/config';
import { AmqpConnection } from '../../lib/engines/amqp';
import { createElasticClient } from '../../lib/engines/elastic';
import { connectMongo, type MongoHandle } from '../../lib/engines/mongo';
import type { AppendCandidate } from '../../lib/event-store/event-store';
import { createMongoEventStore, type MongoEventStore } from '../../lib/event-store/mongo-event-store';
import type { Severity } from '../../lib/events/domain-events';
import { PREVIOUS_POSITION_HEADER, routingKeyOf, toWire, type EventEnvelope } from '../../lib/events/envelope';
import { amqpNames, assertSharedTopology, deleteTopology, type AmqpNames } from '../../lib/events/topology';
import { createLogger, type Logger } from '../../lib/logging/logger';
import { viewNames, type ViewNames } from '../../subgraphs/query/src/views/names';

export const SEVERITY_LIST: Severity[] = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
export const TYPES = ['motion', 'person', 'vehicle', 'intrusion', 'tamper'];

/** The engines of one benchmark run, in a namespace of its own (dropped at the end). */
export interface BenchContext {
  namespace: string;
  names: ViewNames;
  amqpNames: AmqpNames;
  elastic: Client;
  mongo: MongoHandle;
  store: MongoEventStore;
  amqp: AmqpConnection;
  publisher: ConfirmChannel;
  logger: Logger;
  close(): Promise<void>;
}

export async function benchContext(label: string): Promise<BenchContext> {
  const namespace = `b${label}${randomBytes(3).toString('hex')}`;
  const config = loadConfig({ ...process.env, SIGHTLINE_NAMESPACE: namespace });
  const logger = createLogger('read-bench', process.env.LOG_LEVEL ?? 'warn');
  const elastic = createElasticClient(config.elasticsearch);
  const mongo = await connectMongo(config.mongodb);
  const store = createMongoEventStore(mongo.db);
  const amqp = new AmqpConnection(config.amqp.url, logger, `${namespace}-bench`);
  amqp.start();
  await amqp.waitConnected(10000);
  const publisher = await amqp.current()!.createConfirmChannel();
  const names = amqpNames(namespace);
  await assertSharedTopology(publisher, names);
  return {
    namespace,
    names: viewNames(namespace),
    amqpNames: names,
    elastic,
    mongo,
    store,
    amqp,
    publisher,
    logger,
    async close() {
      await deleteTopology(publisher, names).catch(() => undefined);
      await publisher.close().catch(() => undefined);
      await amqp.close();
      await elastic.indices.delete({ index: `${namespace}-*` }).catch(() => undefined);
      await elastic.close();
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
    },
  };
}

const metadata = { correlationId: 'bench', causationId: null, actor: 'bench' };

export const recordCandidate = (i: number, cameras: number, occurredAt: string): AppendCandidate => {
  const eventId = randomUUID();
  return {
    streamId: `event-${eventId}`,
    version: 1,
    id: randomUUID(),
    occurredAt,
    metadata,
    event: {
      type: 'EventRecorded',
      data: {
        eventId,
        cameraId: `cam-${i % cameras}`,
        type: TYPES[i % TYPES.length]!,
        severity: SEVERITY_LIST[i % 5]!,
        occurredAt,
        source: 'bench',
        attributes: { n: i },
      },
    },
  };
};

/** Appends candidates (distinct streams) in commits of `chunk`, returning the stored envelopes. */
export async function appendAll(store: MongoEventStore, candidates: AppendCandidate[], chunk = 500): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for (let i = 0; i < candidates.length; i += chunk) {
    const result = await store.append(candidates.slice(i, i + chunk));
    for (const outcome of result.outcomes) if (outcome.status === 'written') out.push(outcome.envelope);
  }
  return out.sort((a, b) => a.position - b.position);
}

/** As the relay publishes them: in position order, each naming the stored event before it. */
export async function publishAll(ctx: BenchContext, envelopes: EventEnvelope[]): Promise<void> {
  const ordered = [...envelopes].sort((a, b) => a.position - b.position);
  for (let i = 0; i < ordered.length; i += 1) {
    const envelope = ordered[i]!;
    const headers = { [PREVIOUS_POSITION_HEADER]: String(i > 0 ? ordered[i - 1]!.position : 0) };
    ctx.publisher.publish(ctx.amqpNames.eventsExchange, routingKeyOf(envelope.type), Buffer.from(JSON.stringify(toWire(envelope))), {
      persistent: true,
      headers,
    });
    if (i % 5000 === 4999) await ctx.publisher.waitForConfirms();
  }
  await ctx.publisher.waitForConfirms();
}

export const ms = (n: number): string => `${n.toFixed(1)} ms`;
export const rate = (count: number, millis: number): string => `${Math.round((count / millis) * 1000).toLocaleString('en-US')} events/s`;
