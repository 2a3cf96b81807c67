import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import type { ConfirmChannel } from 'amqplib';
import { loadConfig } from '../../../lib/config/config';
import { AmqpConnection } from '../../../lib/engines/amqp';
import { createElasticClient } from '../../../lib/engines/elastic';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import type { AppendCandidate } from '../../../lib/event-store/event-store';
import { createMongoEventStore, type MongoEventStore } from '../../../lib/event-store/mongo-event-store';
import type { DomainEvent } from '../../../lib/events/domain-events';
import { routingKeyOf, toWire, type EventEnvelope } from '../../../lib/events/envelope';
import { amqpNames, assertSharedTopology, deleteTopology, type AmqpNames } from '../../../lib/events/topology';
import { createLogger } from '../../../lib/logging/logger';
import { startProjection, type Projection } from '../../../subgraphs/query/src/projection/start-projection';
import { ElasticStatsStore } from '../../../subgraphs/query/src/read/elastic-stats-store';
import { ViewReader } from '../../../subgraphs/query/src/read/view-reader';
import { viewNames, type ViewNames } from '../../../subgraphs/query/src/views/names';
import { testNamespace } from '../../support/namespace';

const metadata = { correlationId: 'c', causationId: null, actor: 'test' };

/**
 * A read side against the real engines in its own namespace: the real event store (FerretDB),
 * RabbitMQ and Elasticsearch. `write` appends to the store and publishes like the relay does.
 */
export class ReadSideHarness {
  readonly namespace: string;
  readonly names: ViewNames;
  readonly amqpNames: AmqpNames;
  readonly logger = createLogger('query-test', process.env.LOG_LEVEL ?? 'warn');
  elastic!: Client;
  mongo!: MongoHandle;
  store!: MongoEventStore;
  amqp!: AmqpConnection;
  publisher!: ConfirmChannel;
  projections: Projection[] = [];
  reader!: ViewReader;
  readClient!: Client;
  stats!: ElasticStatsStore;

  constructor(label: string) {
    this.namespace = testNamespace(label);
    this.names = viewNames(this.namespace);
    this.amqpNames = amqpNames(this.namespace);
  }

  /** `rollupWorker: false`: no timed rollup worker; the test calls `rollups.recomputeDirty` when it wants. */
  async start(options: { projectors?: number; elasticUrl?: string; rollupWorker?: boolean; strandedMs?: number } = {}): Promise<void> {
    this.rollupWorker = options.rollupWorker ?? true;
    this.strandedMs = options.strandedMs;
    const config = loadConfig({ ...process.env, SIGHTLINE_NAMESPACE: this.namespace });
    this.elastic = createElasticClient({ url: options.elasticUrl ?? config.elasticsearch.url });
    this.mongo = await connectMongo(config.mongodb);
    this.store = createMongoEventStore(this.mongo.db);
    this.amqp = new AmqpConnection(config.amqp.url, this.logger, `${this.namespace}-test`);
    this.amqp.start();
    await this.amqp.waitConnected(10000);
    this.publisher = await this.amqp.current()!.createConfirmChannel();
    await assertSharedTopology(this.publisher, this.amqpNames);
    for (let i = 0; i < (options.projectors ?? 1); i += 1) await this.addProjector();
    const reads = createElasticClient({ url: config.elasticsearch.url });
    this.readClient = reads;
    this.reader = new ViewReader(reads, this.names);
    this.stats = new ElasticStatsStore(reads, this.names);
  }

  private rollupWorker = true;
  private strandedMs: number | undefined;

  async addProjector(elasticUrl?: string, options: { consume?: boolean; rebuildWaitMs?: number } = {}): Promise<Projection> {
    const elastic = elasticUrl ? createElasticClient({ url: elasticUrl }) : this.elastic;
    const projection = startProjection({
      ...options,
      elastic,
      store: this.store,
      amqp: this.amqp,
      amqpNames: this.amqpNames,
      names: this.names,
      logger: this.logger,
      ...(this.rollupWorker ? {} : { rollupWorkerMs: 0 }),
      ...(this.strandedMs === undefined ? {} : { strandedMs: this.strandedMs }),
    });
    this.projections.push(projection);
    await projection.started;
    return projection;
  }

  get projection(): Projection {
    return this.projections[0]!;
  }

  /** Appends one event per candidate (one commit each) and publishes them in position order. */
  async write(candidates: AppendCandidate[], publish = true): Promise<EventEnvelope[]> {
    const envelopes: EventEnvelope[] = [];
    for (let i = 0; i < candidates.length; i += 200) {
      const chunk = candidates.slice(i, i + 200);
      // One candidate per stream per append.
      const groups: AppendCandidate[][] = [];
      for (const candidate of chunk) {
        const group = groups.find((g) => !g.some((c) => c.streamId === candidate.streamId));
        if (group) group.push(candidate);
        else groups.push([candidate]);
      }
      for (const group of groups) {
        const result = await this.store.append(group);
        for (const outcome of result.outcomes) {
          if (outcome.status !== 'written') throw new Error('append conflict in test');
          envelopes.push(outcome.envelope);
        }
      }
    }
    envelopes.sort((a, b) => a.position - b.position);
    if (publish) await this.publish(envelopes);
    return envelopes;
  }

  async publish(envelopes: EventEnvelope[]): Promise<void> {
    for (const envelope of envelopes) {
      this.publisher.publish(this.amqpNames.eventsExchange, routingKeyOf(envelope.type), Buffer.from(JSON.stringify(toWire(envelope))), {
        persistent: true,
        messageId: envelope.id,
      });
    }
    await this.publisher.waitForConfirms();
  }

  /** Waits until the first projection's searchable position reaches `position`. */
  async caughtUp(position: number, timeoutMs = 30000): Promise<void> {
    await this.projection.runtime.freshness.waitFor(position, timeoutMs);
  }

  async stop(): Promise<void> {
    for (const projection of this.projections) await projection.stop();
    if (this.publisher) await deleteTopology(this.publisher, this.amqpNames).catch(() => undefined);
    await this.publisher?.close().catch(() => undefined);
    await this.amqp?.close();
    await this.elastic?.indices.delete({ index: `${this.namespace}-*` }).catch(() => undefined);
    await this.elastic?.close();
    await this.readClient?.close();
    await this.mongo?.db.dropDatabase().catch(() => undefined);
    await this.mongo?.close();
  }
}

export const camera = (
  cameraId: string,
  version: number,
  data: Partial<{ name: string; site: string | null; rtspUrl: string; tags: string[] }> = {},
): AppendCandidate => {
  const event: DomainEvent =
    version === 1
      ? {
          type: 'CameraRegistered',
          data: {
            cameraId,
            name: data.name ?? `cam ${cameraId}`,
            site: data.site ?? 'north',
            rtspUrl: data.rtspUrl ?? 'rtsp://user:secret@127.0.0.1:8554/cam',
            tags: data.tags ?? [],
            recording: { enabled: false, retentionHours: 24 },
          },
        }
      : { type: 'CameraUpdated', data: { cameraId, ...data } };
  return { streamId: `camera-${cameraId}`, version, id: randomUUID(), occurredAt: new Date().toISOString(), metadata, event };
};

export const recorded = (
  eventId: string,
  cameraId: string,
  options: { type?: string; severity?: 'INFO' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL'; occurredAt?: string; attributes?: Record<string, unknown> } = {},
): AppendCandidate => ({
  streamId: `event-${eventId}`,
  version: 1,
  id: randomUUID(),
  occurredAt: options.occurredAt ?? new Date().toISOString(),
  metadata,
  event: {
    type: 'EventRecorded',
    data: {
      eventId,
      cameraId,
      type: options.type ?? 'motion',
      severity: options.severity ?? 'LOW',
      occurredAt: options.occurredAt ?? new Date().toISOString(),
      source: 'test',
      attributes: options.attributes ?? null,
    },
  },
});

export const lifecycle = (eventId: string, cameraId: string, version: 2 | 3): AppendCandidate => ({
  streamId: `event-${eventId}`,
  version,
  id: randomUUID(),
  occurredAt: new Date().toISOString(),
  metadata,
  event:
    version === 2
      ? { type: 'EventAcknowledged', data: { eventId, cameraId, by: 'op', note: 'seen' } }
      : { type: 'EventResolved', data: { eventId, cameraId, by: 'op', note: null } },
});
