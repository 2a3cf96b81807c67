import amqp from 'amqplib';
import { AmqpConnection } from '../../lib/engines/amqp';
import type { CameraEvent } from '../../lib/events/domain-events';
import type { EventEnvelope } from '../../lib/events/envelope';
import { amqpNames, assertSharedTopology } from '../../lib/events/topology';
import { createLogger } from '../../lib/logging/logger';
import { amqpEventPublisher } from '../../subgraphs/command/src/relay/amqp-event-publisher';
import { cameraEnvelope } from '../unit/media/camera-envelope';
import { testNamespace } from '../support/namespace';
import { startOwnCluster, type OwnCluster } from '../support/own-cluster';

// A RabbitMQ cluster of three nodes of its own (never the shared broker): the node the client is
// connected to is killed with SIGKILL while it works.
const logger = createLogger('test', process.env.LOG_LEVEL ?? 'warn');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let cluster: OwnCluster;

async function eventually(check: () => Promise<boolean> | boolean, ms = 60000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

beforeAll(async () => {
  cluster = await startOwnCluster('amqp', ['rabbitmq']);
}, 400_000);
afterAll(async () => {
  await cluster?.remove();
}, 120_000);

const nodeUrl = (port: number) => `amqp://127.0.0.1:${port}`;

describe('an AMQP connection given every node of a cluster', () => {
  it('moves to another node when its node is killed, and runs its setups there again', async () => {
    await cluster.start();
    const names = amqpNames(testNamespace('failover'));
    const connection = new AmqpConnection(cluster.amqpUrl, logger, 'failover-test');
    const setupsOn: string[] = [];
    await connection.use(async (model) => {
      const channel = await model.createChannel();
      await assertSharedTopology(channel, names);
      await channel.close();
      setupsOn.push(connection.connectedNode ?? '?');
    });
    connection.start();
    try {
      await connection.waitConnected(30000);
      const first = cluster.amqpPorts[0] as number;
      expect(connection.connectedNode).toBe(nodeUrl(first));

      await cluster.kill(first);
      await eventually(() => connection.connectedNode !== undefined && connection.connectedNode !== nodeUrl(first));
      expect(setupsOn).toEqual([nodeUrl(first), connection.connectedNode]);
    } finally {
      await connection.close();
    }
  }, 400_000);

  it('publishes with confirms through the kill of its node: every confirmed event is in the quorum queue afterwards', async () => {
    await cluster.start();
    const names = amqpNames(testNamespace('confirms'));
    const connection = new AmqpConnection(cluster.amqpUrl, logger, 'confirms-test');
    const publisher = await amqpEventPublisher(connection, names);
    connection.start();
    const confirmed = new Set<string>();
    let failures = 0;
    try {
      await connection.waitConnected(30000);
      const first = cluster.amqpPorts[0] as number;
      expect(connection.connectedNode).toBe(nodeUrl(first));
      let killed: Promise<void> | undefined;
      for (let batch = 0; batch < 60; batch += 1) {
        const envelopes = Array.from({ length: 50 }, (_, i) =>
          cameraEnvelope('CameraRegistered', 1, { cameraId: `c-${batch}-${i}`, name: 'n', site: null, rtspUrl: 'rtsp://127.0.0.1/x', tags: [] }),
        ) as Array<EventEnvelope<CameraEvent>>;
        if (batch === 20) {
          logger.info({ port: first }, 'killing the node');
          killed = cluster.kill(first);
        }
        // As the relay does: a batch not confirmed is published again, the same events.
        for (;;) {
          try {
            await publisher.publish(envelopes, 0);
            break;
          } catch (error) {
            logger.info({ batch, err: (error as Error).message }, 'publish not confirmed; again');
            failures += 1;
            await sleep(200);
          }
        }
        for (const envelope of envelopes) confirmed.add(envelope.id);
      }
      await killed;
    } finally {
      await connection.close();
    }

    // Read on a surviving node.
    const reader = await amqp.connect(`amqp://guest:guest@127.0.0.1:${cluster.amqpPorts[1]}`);
    const received = new Set<string>();
    try {
      const channel = await reader.createChannel();
      for (
        let message = await channel.get(names.projectorQueue, { noAck: true });
        message;
        message = await channel.get(names.projectorQueue, { noAck: true })
      ) {
        received.add(String(message.properties.messageId));
      }
    } finally {
      await reader.close();
    }
    expect(confirmed.size).toBe(3000);
    expect([...confirmed].filter((id) => !received.has(id))).toEqual([]);
    logger.info({ failures, received: received.size }, 'publishes retried across the failover');
  }, 400_000);
});
