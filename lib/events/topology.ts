import type { Channel } from 'amqplib';

/**
 * AMQP names. With the default namespace `sightline` they are exactly the contract's
 * (`sightline.events`, `sightline.ingest`, `sightline.ingest.dlq`); tests use their own namespace.
 */
export function amqpNames(namespace: string) {
  return {
    /** Every stored domain event; routing key `<aggregate>.<EventType>`. */
    eventsExchange: `${namespace}.events`,
    /** Raw events from external systems; routing key `<system>.<type>`. */
    ingestExchange: `${namespace}.ingest`,
    ingestQueue: `${namespace}.ingest.pending`,
    /** Rebuilt as a quorum queue under the same name (the contract names it): queue-upgrades.ts. */
    ingestDlq: `${namespace}.ingest.dlq`,
    projectorQueue: `${namespace}.projection`,
    projectorDlq: `${namespace}.projection.dlq`,
    /** Camera events for the media subgraph's own camera store. */
    mediaCamerasQueue: `${namespace}.media.camera-events`,
    /**
     * Classic queues of earlier versions (a queue's type cannot change in place, so each quorum
     * queue that replaced one has a new name): drained into their replacements, then deleted.
     */
    legacy: {
      projectorQueue: `${namespace}.projector`,
      ingestQueue: `${namespace}.ingest`,
      projectorDlq: `${namespace}.projector.dlq`,
      mediaCamerasQueue: `${namespace}.media.cameras`,
      /** Where the classic ingest DLQ's messages wait while it is rebuilt as a quorum queue. */
      ingestDlqHolding: `${namespace}.ingest.dlq.rebuild`,
    },
    /** Stream session status changes from media; routing key `stream.<cameraId>`. */
    streamStatusExchange: `${namespace}.streams`,
  } as const;
}
export type AmqpNames = ReturnType<typeof amqpNames>;

/**
 * Deliveries of one ingest message before RabbitMQ dead-letters it into the DLQ itself. The
 * consumer never requeues (it republishes what it retries), so only deliveries lost with a channel
 * count: a consumer that died holding it (a node failover, a crash, a message that crashes the
 * process every time). Set explicitly: RabbitMQ 4 would otherwise apply 20 and drop, not
 * dead-letter, what passes it.
 */
export const INGEST_DELIVERY_LIMIT = 20;

/** Quorum queue: replicated on every node of a cluster, so it survives the loss of a minority of them. */
const QUORUM = { 'x-queue-type': 'quorum' } as const;

/** The arguments of each durable queue (RabbitMQ refuses a re-declaration with different ones). */
export function queueArguments(names: AmqpNames): Record<string, Record<string, unknown>> {
  return {
    [names.ingestQueue]: {
      ...QUORUM,
      'x-delivery-limit': INGEST_DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': names.ingestDlq,
      // Confirmed hand-over to the DLQ (the default, at-most-once, may lose a dead letter at a
      // failover); RabbitMQ requires reject-publish overflow for it.
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
    [names.ingestDlq]: QUORUM,
    // Quorum also because RabbitMQ delivers a backlog of it at about half the CPU of a classic
    // queue, whose messages it pages to disk as they are published and reads back (bench/read/README.md).
    [names.projectorQueue]: QUORUM,
    [names.projectorDlq]: QUORUM,
    [names.mediaCamerasQueue]: QUORUM,
  };
}

/**
 * Declares every shared exchange and durable queue with its bindings. Every process calls it at
 * start (it is idempotent), so a queue exists from the first start of any process and no event
 * published later is lost to a consumer that starts after the publisher. Every durable queue is a
 * quorum queue, so a cluster keeps serving it with one node down, and a re-declaration on any
 * node succeeds (a classic queue whose node is down cannot be declared: NOT_FOUND).
 */
export async function assertSharedTopology(channel: Channel, names: AmqpNames): Promise<void> {
  await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(names.ingestExchange, 'topic', { durable: true });
  await channel.assertExchange(names.streamStatusExchange, 'topic', { durable: true });

  for (const [queue, args] of Object.entries(queueArguments(names))) await channel.assertQueue(queue, { durable: true, arguments: args });
  await channel.bindQueue(names.ingestQueue, names.ingestExchange, '#');
  await channel.bindQueue(names.projectorQueue, names.eventsExchange, '#');
  await channel.bindQueue(names.mediaCamerasQueue, names.eventsExchange, 'camera.*');
}

/** Deletes a namespace's queues and exchanges (tests and benches; a queue's messages go with it). */
export async function deleteTopology(channel: Channel, names: AmqpNames): Promise<void> {
  for (const queue of [names.ingestQueue, names.ingestDlq, names.projectorQueue, names.projectorDlq, names.mediaCamerasQueue, ...Object.values(names.legacy)]) {
    await channel.deleteQueue(queue);
  }
  for (const exchange of [names.eventsExchange, names.ingestExchange, names.streamStatusExchange]) await channel.deleteExchange(exchange);
}
