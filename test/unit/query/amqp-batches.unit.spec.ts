import type { ConsumeMessage } from 'amqplib';
import type { AmqpConnection } from '../../../lib/engines/amqp';
import { amqpNames } from '../../../lib/events/topology';
import { createLogger } from '../../../lib/logging/logger';
import { AmqpBatches, type Batch } from '../../../subgraphs/query/src/projection/amqp-batches';

/** A fake channel at the amqplib boundary: deliveries are pushed by the test, acks recorded. */
function fakeBroker() {
  let deliver: ((message: ConsumeMessage | null) => void) | undefined;
  const acks: Array<{ tag: number; multiple: boolean }> = [];
  const channel = {
    on: () => undefined,
    prefetch: async () => undefined,
    assertExchange: async () => undefined,
    assertQueue: async () => undefined,
    bindQueue: async () => undefined,
    consume: async (_queue: string, onMessage: (message: ConsumeMessage | null) => void) => {
      deliver = onMessage;
    },
    ack: (message: ConsumeMessage, multiple: boolean) => acks.push({ tag: message.fields.deliveryTag, multiple }),
  };
  const connection = {
    createConfirmChannel: async () => channel,
    // The legacy queue check finds none.
    createChannel: async () => ({ on: () => undefined, checkQueue: async () => Promise.reject(new Error('404')), close: async () => undefined }),
  };
  let setupOf: ((c: unknown) => Promise<void>) | undefined;
  const amqp = {
    use: async (setup: (c: unknown) => Promise<void>) => {
      setupOf = setup;
      return setup(connection);
    },
  } as unknown as AmqpConnection;
  /** The connection is lost and a new one set up: deliveries now come on a new channel. */
  const reconnect = () => setupOf!(connection);
  let tag = 0;
  const send = (count: number) => {
    for (let i = 0; i < count; i += 1) {
      tag += 1;
      deliver?.({ content: Buffer.from(String(tag)), fields: { deliveryTag: tag }, properties: { headers: {} } } as unknown as ConsumeMessage);
    }
  };
  return { amqp, send, acks, reconnect };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AmqpBatches', () => {
  it("keeps a new channel's counts when a batch of the lost channel ends after the reconnect", async () => {
    const broker = fakeBroker();
    const batches = new AmqpBatches(broker.amqp, amqpNames('t'), createLogger('test'), { maxBatch: 8, lingerMs: 5, prefetch: 100, maxInFlight: 1 });
    const finish: Array<() => void> = [];
    await batches.start(async () => {
      await new Promise<void>((resolve) => finish.push(resolve));
    });
    broker.send(5);
    await sleep(20);
    await broker.reconnect();
    broker.send(3);
    await sleep(20);
    expect(finish).toHaveLength(2);
    expect(batches.waiting).toBe(3);
    finish[0]!();
    await sleep(5);
    // The lost channel's batch of 5 is not this channel's: 3 are still in hand here.
    expect(batches.waiting).toBe(3);
    finish[1]!();
    await sleep(5);
    expect(batches.waiting).toBe(0);
  });

  it('starts a second batch beside one in hand only when a full batch waits, and acks in delivery order', async () => {
    const broker = fakeBroker();
    const batches = new AmqpBatches(broker.amqp, amqpNames('t'), createLogger('test'), { maxBatch: 8, lingerMs: 5, prefetch: 100, maxInFlight: 2 });
    const started: number[] = [];
    const finish: Array<() => void> = [];
    await batches.start(async (batch: Batch) => {
      started.push(batch.bodies.length);
      await new Promise<void>((resolve) => finish.push(resolve));
    });

    broker.send(3);
    await sleep(20);
    expect(started).toEqual([3]); // alone: taken after the linger

    broker.send(5);
    await sleep(20);
    expect(started).toEqual([3]); // not full: waits for the batch in hand

    broker.send(3);
    expect(started).toEqual([3, 8]); // full: starts beside it

    broker.send(4);
    await sleep(20);
    finish[1]!(); // the later batch ends first: its ack waits for the earlier one
    await sleep(5);
    expect(broker.acks).toEqual([]);
    expect(started).toEqual([3, 8]); // one batch still in hand, 4 waiting: not full

    finish[0]!();
    await sleep(5);
    expect(broker.acks).toEqual([
      { tag: 3, multiple: true },
      { tag: 11, multiple: true },
    ]);
    expect(started).toEqual([3, 8, 4]); // nothing in hand: the rest goes at once
    expect(batches.waiting).toBe(4);
    finish[2]!();
    await sleep(5);
    expect(broker.acks.at(-1)).toEqual({ tag: 15, multiple: true });
    expect(batches.waiting).toBe(0);
  });
});
