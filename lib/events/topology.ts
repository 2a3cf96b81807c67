import type { Channel } from 'amqplib';

/**
 * AMQP names. With the default namespace `sightline` they are exactly the contract's
 * (`sightline.events`, `sightline.ingest`, `sightline.ingest.dlq`); tests use their own namespace.
 */
export function amqpNames(namespace: string) {
  return {
    eventsExchange: `${namespace}.events`,
    ingestExchange: `${namespace}.ingest`,
    ingestQueue: `${namespace}.ingest`,
    ingestDlq: `${namespace}.ingest.dlq`,
    projectorQueue: `${namespace}.projector`,
    projectorDlq: `${namespace}.projector.dlq`,
    mediaQueue: `${namespace}.media.cameras`,
    streamStatusExchange: `${namespace}.streams`,
  } as const;
}
export type AmqpNames = ReturnType<typeof amqpNames>;

/** Declares the shared exchanges; idempotent, so every process may call it at start. */
export async function assertSharedExchanges(channel: Channel, names: AmqpNames): Promise<void> {
  await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(names.ingestExchange, 'topic', { durable: true });
  await channel.assertExchange(names.streamStatusExchange, 'topic', { durable: true });
}
