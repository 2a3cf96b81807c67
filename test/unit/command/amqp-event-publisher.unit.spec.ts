import type { AmqpConnection } from '../../../lib/engines/amqp';
import { amqpNames } from '../../../lib/events/topology';
import { amqpEventPublisher } from '../../../subgraphs/command/src/relay/amqp-event-publisher';
import { cameraEnvelope } from '../media/camera-envelope';

/**
 * A confirm channel at the amqplib boundary whose confirms never come and whose close is never
 * answered (seen once in a RabbitMQ failover): the relay's publish must still fail, so that the
 * relay publishes the batch again, on a new channel.
 */
function stuckBroker(waitForConfirms: () => Promise<void> = () => new Promise<void>(() => undefined)) {
  const opened: number[] = [];
  const never = () => new Promise<void>(() => undefined);
  const channel = (n: number) => ({
    n,
    on: () => undefined,
    assertExchange: async () => undefined,
    assertQueue: async () => undefined,
    bindQueue: async () => undefined,
    publish: () => true,
    waitForConfirms,
    close: never,
  });
  const model = {
    createConfirmChannel: async () => {
      opened.push(opened.length + 1);
      return channel(opened.length);
    },
  };
  const connection = { use: async (setup: (m: unknown) => Promise<void>) => setup(model), current: () => model } as unknown as AmqpConnection;
  return { connection, opened };
}

describe('amqpEventPublisher', () => {
  it('fails a batch whose confirms do not come in time, even when the channel cannot be closed, and publishes the next on a new channel', async () => {
    const broker = stuckBroker();
    const publisher = await amqpEventPublisher(broker.connection, amqpNames('t'), { confirmTimeoutMs: 50 });
    const batch = [cameraEnvelope('CameraDecommissioned', 2, { cameraId: 'c1' })];

    await expect(publisher.publish(batch, 0)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(broker.opened).toEqual([1]);
    await expect(publisher.publish(batch, 0)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(broker.opened).toEqual([1, 2]);
  });

  it('publishes the batch after a nacked one on a new channel', async () => {
    const broker = stuckBroker(() => Promise.reject(new Error('message nacked')));
    const publisher = await amqpEventPublisher(broker.connection, amqpNames('t'));
    const batch = [cameraEnvelope('CameraDecommissioned', 2, { cameraId: 'c1' })];

    await expect(publisher.publish(batch, 0)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(publisher.publish(batch, 0)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(broker.opened).toEqual([1, 2]);
  });
});
