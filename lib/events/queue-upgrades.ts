import type { ChannelModel } from 'amqplib';
import type { Logger } from '../logging/logger';
import { drainLegacyQueue, exists, type LegacyQueue } from './legacy-queue';
import { assertSharedTopology, queueArguments, type AmqpNames } from './topology';

/**
 * Brings a broker that earlier versions set up to today's topology; every service runs it first
 * on each connection (lib/events/service-amqp.ts). Earlier versions declared classic queues, and
 * a queue's type cannot change in place (a quorum declaration of a classic queue fails with
 * PRECONDITION_FAILED), so:
 *
 * - the ingest DLQ keeps its name (the contract names it): it is rebuilt in place, its messages
 *   moved to a holding queue and back (`rebuildAsQuorum`), before the topology is declared;
 * - the other queues got new names: once the topology is declared, what waits in the old ones is
 *   moved into the new ones and the old ones are deleted, in the background (drainLegacyQueue).
 */
export async function upgradeQueues(connection: ChannelModel, names: AmqpNames, logger: Logger): Promise<void> {
  await rebuildAsQuorum(connection, names.ingestDlq, names.legacy.ingestDlqHolding, queueArguments(names)[names.ingestDlq] ?? {}, logger);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await assertSharedTopology(channel, names);
  } finally {
    await channel.close().catch(() => undefined);
  }
  for (const queue of renamedQueues(names)) void drainLegacyQueue(connection, queue, logger);
}

/** The classic queues of earlier versions that quorum queues under new names replaced. */
export function renamedQueues(names: AmqpNames): LegacyQueue[] {
  const { legacy } = names;
  return [
    { legacy: legacy.projectorQueue, replacement: names.projectorQueue, binding: { exchange: names.eventsExchange, pattern: '#' } },
    { legacy: legacy.ingestQueue, replacement: names.ingestQueue, binding: { exchange: names.ingestExchange, pattern: '#' } },
    { legacy: legacy.mediaCamerasQueue, replacement: names.mediaCamerasQueue, binding: { exchange: names.eventsExchange, pattern: 'camera.*' } },
    { legacy: legacy.projectorDlq, replacement: names.projectorDlq },
  ];
}

/**
 * Makes `queue` a quorum queue with `args` without changing its name. A classic one is emptied
 * into `holding` (a quorum queue), deleted, declared again, and filled back; each move is
 * confirmed before it is acked, so a crash anywhere repeats a step and loses nothing (the next
 * run finds the holding queue and empties it). A classic queue still in use (a process of an
 * earlier version consumes it) is not deleted: this throws, and the connection's setup runs it
 * again at the next connect, until the earlier version is gone.
 */
export async function rebuildAsQuorum(connection: ChannelModel, queue: string, holding: string, args: Record<string, unknown>, logger: Logger): Promise<void> {
  if (!(await declares(connection, queue, args))) {
    logger.info({ queue, holding }, 'rebuilding a classic queue as a quorum queue');
    if (!(await declares(connection, holding, { 'x-queue-type': 'quorum' }))) throw new Error(`${holding} exists with other arguments`);
    await drainLegacyQueue(connection, { legacy: queue, replacement: holding }, logger);
    if (!(await declares(connection, queue, args))) {
      throw new Error(`${queue} is still a classic queue (consumed by a process of an earlier version?): it is rebuilt once nothing uses it`);
    }
  }
  // Messages of a rebuild that stopped half-way wait in the holding queue.
  if (await exists(connection, holding)) await drainLegacyQueue(connection, { legacy: holding, replacement: queue, quorum: true }, logger);
}

/** Declares the queue on a channel of its own: false when it exists with other arguments (406, which closes the channel). */
async function declares(connection: ChannelModel, queue: string, args: Record<string, unknown>): Promise<boolean> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await channel.assertQueue(queue, { durable: true, arguments: args });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 406) return false;
    throw error;
  } finally {
    await channel.close().catch(() => undefined);
  }
}
