import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { sleep } from '../async/sleep';
import type { Logger } from '../logging/logger';

export interface LegacyQueue {
  /** The queue an earlier version declared. */
  legacy: string;
  /** The queue that replaced it. */
  replacement: string;
  /** The binding that fed the legacy queue: removed first, so that it stops filling (none for a dead-letter queue). */
  binding?: { exchange: string; pattern: string };
  /**
   * The legacy queue is a quorum queue (a holding queue of queue-upgrades.ts). RabbitMQ refuses
   * `if-unused` deletes of those with a connection error, so it is deleted once a check finds it
   * empty and unconsumed (a drain of another process consumes it while it moves messages).
   */
  quorum?: boolean;
}

/** Messages republished per confirm and ack. */
const CHUNK = 500;

/**
 * Moves what waits in a queue of an earlier layout into the queue that replaced it, then deletes
 * it. A queue's type (classic, quorum) cannot change in place, so a new type means a new queue, and
 * without this the messages left in the old one at an upgrade would never be consumed.
 *
 * Each chunk is republished to the replacement and confirmed before it is acked: a crash in between
 * repeats the chunk, never loses it, and the replacement's consumers are idempotent. The queue is
 * deleted only when empty and without consumers, so an old-version process still consuming it keeps
 * it (and its unacknowledged messages); the next start tries again. Returns how many were moved;
 * never throws (it runs beside a consumer, whose process a rejection must not end).
 */
export async function drainLegacyQueue(connection: ChannelModel, queue: LegacyQueue, logger: Logger): Promise<number> {
  const moved = { count: 0 };
  try {
    if (!(await exists(connection, queue.legacy))) return 0;
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    try {
      if (queue.binding) await channel.unbindQueue(queue.legacy, queue.binding.exchange, queue.binding.pattern);
      await moveAll(channel, queue, moved);
      if (!queue.quorum) await channel.deleteQueue(queue.legacy, { ifEmpty: true, ifUnused: true });
      else await deleteIfIdle(channel, queue.legacy);
    } finally {
      await channel.close().catch(() => undefined);
    }
    logger.info({ queue: queue.legacy, replacement: queue.replacement, moved: moved.count }, 'legacy queue drained and deleted');
  } catch (error) {
    logger.warn(
      { err: (error as Error).message, queue: queue.legacy, replacement: queue.replacement, moved: moved.count },
      'legacy queue not deleted (still in use?); the next start tries again',
    );
  }
  return moved.count;
}

/** A check of a missing queue closes its channel (404): a channel of its own. */
export async function exists(connection: ChannelModel, queue: string): Promise<boolean> {
  const probe = await connection.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.checkQueue(queue);
    return true;
  } catch {
    return false;
  } finally {
    await probe.close().catch(() => undefined);
  }
}

async function deleteIfIdle(channel: ConfirmChannel, queue: string): Promise<void> {
  const { messageCount, consumerCount } = await channel.checkQueue(queue);
  if (messageCount > 0 || consumerCount > 0) throw new Error(`${queue} is not idle (${messageCount} messages, ${consumerCount} consumers)`);
  await channel.deleteQueue(queue);
}

/** Republishes until the queue has no ready message left; acks each chunk once it is confirmed. */
async function moveAll(channel: ConfirmChannel, queue: LegacyQueue, moved: { count: number }): Promise<void> {
  let unconfirmed: ConsumeMessage[] = [];
  let chain = Promise.resolve();
  const settle = () => {
    const chunk = unconfirmed;
    unconfirmed = [];
    const last = chunk[chunk.length - 1];
    if (!last) return chain;
    chain = chain.then(async () => {
      await channel.waitForConfirms();
      channel.ack(last, true);
      moved.count += chunk.length;
    });
    return chain;
  };
  await channel.prefetch(CHUNK * 2);
  const { consumerTag } = await channel.consume(queue.legacy, (message) => {
    if (!message) return;
    channel.sendToQueue(queue.replacement, message.content, publishOptionsOf(message));
    unconfirmed.push(message);
    // A failed confirm surfaces at the loop's next settle, which awaits the same chain.
    if (unconfirmed.length >= CHUNK) settle().catch(() => undefined);
  });
  // Unbound, the queue only shrinks: done once it has no ready message and all we took is acked.
  for (;;) {
    await sleep(100);
    await settle();
    if ((await channel.checkQueue(queue.legacy)).messageCount === 0 && unconfirmed.length === 0) break;
  }
  await channel.cancel(consumerTag);
  await settle();
}

/** The message's properties as publish options: headers, message id, persistence and the rest. */
function publishOptionsOf(message: ConsumeMessage): Options.Publish {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message.properties)) {
    if (value !== undefined && value !== null && key !== 'clusterId') options[key] = value;
  }
  return options as Options.Publish;
}
