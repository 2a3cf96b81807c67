import pino from 'pino';
import { loadConfig } from '../../../lib/config/config';
import { ENGINE_URLS } from '../../support/engine-urls';
import { AmqpConnection } from '../../../lib/engines/amqp';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { routingKeyOf, toWire } from '../../../lib/events/envelope';
import { amqpNames, assertSharedTopology, deleteTopology } from '../../../lib/events/topology';
import { consumeCameraEvents } from '../../../subgraphs/media/src/adapters/amqp-camera-consumer';
import { MongoCameraRepository } from '../../../subgraphs/media/src/adapters/mongo-camera-repository';
import { CameraStore } from '../../../subgraphs/media/src/cameras/camera-store';
import { testNamespace } from '../../support/namespace';
import { cameraEnvelope } from '../../unit/media/camera-envelope';
import { waitFor } from './media-harness';

/** The media camera store learns cameras from `camera.*` events on the events exchange, into its own collection. */
describe('media camera store fed by camera events', () => {
  const config = loadConfig({ ...process.env });
  const namespace = testNamespace('mediacams');
  const names = amqpNames(namespace);
  const logger = pino({ level: 'silent' });
  let mongo: MongoHandle;
  let consumer: AmqpConnection;
  let producer: AmqpConnection;
  let store: CameraStore;

  const publish = async (envelope: ReturnType<typeof cameraEnvelope>) => {
    const channel = await producer.current()!.createConfirmChannel();
    channel.publish(names.eventsExchange, routingKeyOf(envelope.type), Buffer.from(JSON.stringify(toWire(envelope))), { persistent: true });
    await channel.waitForConfirms();
    await channel.close();
  };

  beforeAll(async () => {
    mongo = await connectMongo({ url: config.mongodb.url, database: namespace });
    producer = new AmqpConnection(config.amqp.url, logger, 'media-cams-producer');
    await producer.use(async (connection) => {
      const channel = await connection.createChannel();
      await assertSharedTopology(channel, names);
      await channel.close();
    });
    producer.start();
    await producer.waitConnected(15000);
  });
  afterAll(async () => {
    await consumer?.close();
    await producer?.close();
    const channel = await (await import('amqplib')).connect(ENGINE_URLS.amqp);
    const ch = await channel.createChannel();
    await deleteTopology(ch, names);
    await channel.close();
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
  });

  it('applies events published before it started, in order, once, and persists them', async () => {
    // Published while no media process runs: the durable queue keeps them.
    await publish(cameraEnvelope('CameraRegistered', 1, { cameraId: 'c1', name: 'Gate', site: 's', rtspUrl: 'rtsp://u:p@127.0.0.1:8554/gate', tags: [] }));
    await publish(cameraEnvelope('CameraUpdated', 2, { cameraId: 'c1', rtspUrl: 'rtsp://127.0.0.1:8554/gate2' }));
    await publish(cameraEnvelope('CameraRegistered', 1, { cameraId: 'c2', name: 'Dock', site: null, rtspUrl: 'rtsp://127.0.0.1:8554/dock', tags: [] }));
    await publish(cameraEnvelope('CameraDecommissioned', 2, { cameraId: 'c2' }));
    // A repeat of an old version, and a body that is no event at all: neither may change or block anything.
    await publish(cameraEnvelope('CameraRegistered', 1, { cameraId: 'c1', name: 'Gate', site: 's', rtspUrl: 'rtsp://127.0.0.1:8554/old', tags: [] }));
    const channel = await producer.current()!.createConfirmChannel();
    channel.publish(names.eventsExchange, 'camera.CameraRegistered', Buffer.from('not json'));
    await channel.waitForConfirms();
    await channel.close();
    await publish(cameraEnvelope('CameraRegistered', 1, { cameraId: 'c3', name: 'Last', site: null, rtspUrl: 'rtsp://127.0.0.1:8554/last', tags: [] }));

    store = new CameraStore(new MongoCameraRepository(mongo.db));
    await store.load();
    consumer = new AmqpConnection(config.amqp.url, logger, 'media-cams-consumer');
    await consumeCameraEvents(consumer, namespace, store, logger);
    consumer.start();

    await waitFor('c3 known', () => store.get('c3'));
    expect(store.get('c1')).toEqual({
      id: 'c1',
      rtspUrl: 'rtsp://127.0.0.1:8554/gate2',
      status: 'ACTIVE',
      recording: { enabled: false, retentionHours: 24 },
      version: 2,
    });
    expect(store.get('c2')).toMatchObject({ status: 'DECOMMISSIONED', version: 2 });

    const reloaded = new CameraStore(new MongoCameraRepository(mongo.db));
    await reloaded.load();
    expect(reloaded.get('c1')?.rtspUrl).toBe('rtsp://127.0.0.1:8554/gate2');
    expect(reloaded.get('c2')?.status).toBe('DECOMMISSIONED');
  });
});
