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
    ingestQueue: `${namespace}.ingest`,
    ingestDlq: `${namespace}.ingest.dlq`,
    /** A quorum queue (see assertSharedTopology). */
    projectorQueue: `${namespace}.projection`,
    /** The classic projector queue of earlier versions: drained into projectorQueue (legacy-queue.ts). */
    legacyProjectorQueue: `${namespace}.projector`,
    projectorDlq: `${namespace}.projector.dlq`,
    /** Camera events for the media subgraph's own camera store. */
    mediaCamerasQueue: `${namespace}.media.cameras`,
    /** Stream session status changes from media; routing key `stream.<cameraId>`. */
    streamStatusExchange: `${namespace}.streams`,
  } as const;
}
export type AmqpNames = ReturnType<typeof amqpNames>;

/**
 * Declares every shared exchange and durable queue with its bindings. Every process calls it at
 * start (it is idempotent), so a queue exists from the first start of any process and no event
 * published later is lost to a consumer that starts after the publisher. Queue arguments live only
 * here: RabbitMQ refuses a re-declaration with different arguments.
 */
export async function assertSharedTopology(channel: Channel, names: AmqpNames): Promise<void> {
  await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(names.ingestExchange, 'topic', { durable: true });
  await channel.assertExchange(names.streamStatusExchange, 'topic', { durable: true });

  await channel.assertQueue(names.ingestQueue, { durable: true });
  await channel.bindQueue(names.ingestQueue, names.ingestExchange, '#');
  await channel.assertQueue(names.ingestDlq, { durable: true });

  // Quorum: RabbitMQ delivers a backlog of it at about half the CPU of a classic queue, whose
  // messages it pages to disk as they are published and reads back (bench/read/README.md); and
  // it is the durable queue type RabbitMQ recommends.
  await channel.assertQueue(names.projectorQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(names.projectorQueue, names.eventsExchange, '#');
  await channel.assertQueue(names.projectorDlq, { durable: true });

  await channel.assertQueue(names.mediaCamerasQueue, { durable: true });
  await channel.bindQueue(names.mediaCamerasQueue, names.eventsExchange, 'camera.*');
}

/** Deletes a namespace's queues and exchanges (tests and benches; a queue's messages go with it). */
export async function deleteTopology(channel: Channel, names: AmqpNames): Promise<void> {
  for (const queue of [names.ingestQueue, names.ingestDlq, names.projectorQueue, names.legacyProjectorQueue, names.projectorDlq, names.mediaCamerasQueue]) {
    await channel.deleteQueue(queue);
  }
  for (const exchange of [names.eventsExchange, names.ingestExchange, names.streamStatusExchange]) await channel.deleteExchange(exchange);
}
