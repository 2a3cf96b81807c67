import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { fromWire, PREVIOUS_POSITION_HEADER, type EventEnvelope, type WireEnvelope } from '../../../lib/events/envelope';
import { amqpEventPublisher } from '../../../subgraphs/command/src/relay/amqp-event-publisher';
import { mongoRelayCheckpoint } from '../../../subgraphs/command/src/relay/mongo-relay-checkpoint';
import { Relay } from '../../../subgraphs/command/src/relay/relay';
import { context, eventually, logger, registerCamera, startWriteSide, type WriteSide } from './write-side-harness';

let side: WriteSide;
const received: Array<{ envelope: EventEnvelope; message: ConsumeMessage }> = [];
const relays: Relay[] = [];

beforeAll(async () => {
  side = await startWriteSide('relay');
  const { queue } = await side.channel.assertQueue('', { exclusive: true });
  await side.channel.bindQueue(queue, side.names.eventsExchange, '#');
  await side.channel.consume(
    queue,
    (message) => {
      if (message) received.push({ envelope: fromWire(JSON.parse(message.content.toString()) as WireEnvelope), message });
    },
    { noAck: true },
  );
  const publisher = await amqpEventPublisher(side.amqp, side.names);
  // Two relays on one store: only the lease holder publishes.
  for (let i = 0; i < 2; i += 1) {
    relays.push(new Relay(side.store, mongoRelayCheckpoint(side.mongo.db), publisher, logger, { batchSize: 50, pollMs: 50, leaseTtlMs: 1500 }));
  }
  side.store.onAppended(() => relays.forEach((r) => r.nudge()));
  side.amqp.start();
  await side.amqp.waitConnected(10000);
  relays.forEach((r) => r.start());
});
afterAll(async () => {
  for (const relay of relays) await relay.stop();
  await side.close();
});

/** Every message names the stored event published right before it: the next lower position received. */
function expectPreviousPositionChain(): void {
  const positions = [...new Set(received.map((r) => r.envelope.position))].sort((a, b) => a - b);
  for (const { envelope, message } of received) {
    const index = positions.indexOf(envelope.position);
    expect(message.properties.headers?.[PREVIOUS_POSITION_HEADER]).toBe(String(index > 0 ? positions[index - 1] : 0));
  }
}

const positionsOf = (streamId: string) => received.filter((r) => r.envelope.streamId === streamId).map((r) => r.envelope.version);

describe('outbox relay', () => {
  it('publishes every stored event once, in order, with the envelope shape and message properties', async () => {
    const cameras = Array.from({ length: 5 }, () => randomUUID());
    for (const id of cameras) await registerCamera(side, id);
    for (let round = 0; round < 10; round += 1) {
      await Promise.all(cameras.map((id) => side.service.changeCamera({ kind: 'UpdateCamera', cameraId: id, name: `r${round}` }, undefined, context)));
    }
    await eventually(() => cameras.every((id) => positionsOf(`camera-${id}`).length >= 11));
    for (const id of cameras) expect(positionsOf(`camera-${id}`)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const sample = received.find((r) => r.envelope.type === 'CameraUpdated')!;
    expect(sample.message.fields.routingKey).toBe('camera.CameraUpdated');
    expect(sample.message.properties).toMatchObject({ messageId: sample.envelope.id, contentType: 'application/json', deliveryMode: 2 });
    expect(Object.keys(JSON.parse(sample.message.content.toString())).sort()).toEqual([
      'data',
      'eventId',
      'metadata',
      'occurredAt',
      'position',
      'recordedAt',
      'schemaVersion',
      'streamId',
      'type',
      'version',
    ]);
    const all = received.map((r) => r.envelope.position);
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expectPreviousPositionChain();
    expect(relays.filter((r) => r.status.holding)).toHaveLength(1);
  });

  it('hands over to the standby relay when the active one stops, losing nothing', async () => {
    const active = relays.find((r) => r.status.holding)!;
    await active.stop();
    const id = randomUUID();
    await registerCamera(side, id);
    await side.service.changeCamera({ kind: 'UpdateCamera', cameraId: id, name: 'after' }, undefined, context);
    await eventually(() => positionsOf(`camera-${id}`).length >= 2);
    expect(positionsOf(`camera-${id}`)).toEqual([1, 2]);
    expect(relays.find((r) => r !== active)!.status.holding).toBe(true);
    // The standby resumed from the saved checkpoint: its first message names the last one published before.
    expectPreviousPositionChain();
  });
});
