import path from 'node:path';
import { loadConfig } from '../../../lib/config/config';
import { serviceAmqp } from '../../../lib/events/service-amqp';
import { connectMongo } from '../../../lib/engines/mongo';
import { startSubgraphServer } from '../../../lib/graphql/subgraph-server';
import { createLogger } from '../../../lib/logging/logger';
import { runService } from '../../../lib/service/lifecycle';
import { consumeCameraEvents, type RecordedEventFeed } from './adapters/amqp-camera-consumer';
import { AmqpStatusPublisher } from './adapters/amqp-status-publisher';
import { MongoCameraRepository } from './adapters/mongo-camera-repository';
import { AmqpHealthPublisher } from './adapters/amqp-health-publisher';
import { MongoMemberRegistry } from './adapters/mongo-member-registry';
import { MongoRecordingStore } from './adapters/mongo-recording-store';
import { MongoSessionRepository } from './adapters/mongo-session-repository';
import { CameraStore } from './cameras/camera-store';
import { Membership } from './cluster/membership';
import { configureFfmpeg, ffmpegReady, remuxToMp4, spawnHlsFfmpeg } from './ffmpeg/ffmpeg-process';
import { killOrphanFfmpeg } from './ffmpeg/orphan-reaper';
import { mediaResolvers } from './graphql/resolvers';
import { clipRouter } from './hls/clip-routes';
import { hlsRouter } from './hls/hls-routes';
import { LinkSigner } from './hls/link-signer';
import { ClipMaker } from './recording/clip-maker';
import { RecorderManager } from './recording/recorder-manager';
import { recordingReads } from './recording/recording-reads';
import { reactToCameraChanges } from './sessions/camera-reactions';
import { SessionManager } from './sessions/session-manager';

const logger = createLogger('media');

runService('media', logger, async (onClose) => {
  const config = loadConfig();
  const hlsDir = path.resolve(config.media.hlsDir);
  configureFfmpeg(config.media.ffmpegPath);

  logger.info({ nodeId: config.media.nodeId, advertisedUrl: config.media.advertisedUrl }, 'media service');
  // Live sessions' and recorders' ffmpeg left by a previous process of this service (each writes under one of these).
  const orphans = [...killOrphanFfmpeg(hlsDir), ...killOrphanFfmpeg(path.resolve(config.media.recordingsDir))];
  if (orphans.length > 0) logger.warn({ pids: orphans }, 'killed ffmpeg left over by a previous media process');

  const mongo = await connectMongo(config.mongodb);
  onClose(() => mongo.close());
  const amqp = serviceAmqp(config, logger, 'sightline-media');
  onClose(() => amqp.close());

  logger.info({ cameraAllowedHosts: config.cameraAllowedHosts.describe() }, 'camera URLs may point at');
  const cameras = new CameraStore(new MongoCameraRepository(mongo.db));
  await cameras.load();
  const publisher = new AmqpStatusPublisher(amqp, config.namespace, logger);
  await publisher.init();
  const recordingStore = new MongoRecordingStore(mongo.db);
  // Set once the consumer runs; recorders start later, so their first report finds it.
  const recordedEvents: { feed?: RecordedEventFeed } = {};
  const recorders = new RecorderManager({
    dir: path.resolve(config.media.recordingsDir),
    me: config.media.nodeId,
    maxBytes: config.media.recordingMaxBytes,
    offlineMs: config.media.cameraOfflineSeconds * 1000,
    rtspTimeoutSeconds: config.media.rtspTimeoutSeconds,
    cameras,
    cameraHosts: config.cameraAllowedHosts,
    store: recordingStore,
    health: new AmqpHealthPublisher(amqp, config.namespace),
    spawn: spawnHlsFfmpeg,
    onRecording: (recordsAny) => void recordedEvents.feed?.follow(recordsAny),
    logger,
  });
  const clips = new ClipMaker({
    dir: path.resolve(config.media.clipsDir),
    me: config.media.nodeId,
    preMs: config.media.clipPreSeconds * 1000,
    postMs: config.media.clipPostSeconds * 1000,
    retentionMs: config.media.clipRetentionDays * 86_400_000,
    recorders,
    store: recordingStore,
    remux: remuxToMp4,
    logger,
  });
  recordedEvents.feed = await consumeCameraEvents(amqp, config.namespace, cameras, logger, (eventId, cameraId, occurredAt) =>
    clips.onEventRecorded(eventId, cameraId, occurredAt),
  );
  amqp.start();

  const membership = new Membership({
    registry: new MongoMemberRegistry(mongo.db),
    id: config.media.nodeId,
    url: config.media.advertisedUrl,
    capacity: config.media.maxSessions,
    ttlMs: config.media.memberTtlSeconds * 1000,
    logger,
  });
  const sessions = new SessionManager({
    hlsDir,
    maxSessions: config.media.maxSessions,
    idleTimeoutMs: config.media.idleTimeoutSeconds * 1000,
    rtspTimeoutSeconds: config.media.rtspTimeoutSeconds,
    maxFailures: config.media.maxReconnectAttempts,
    cameras,
    cameraHosts: config.cameraAllowedHosts,
    repository: new MongoSessionRepository(mongo.db),
    publisher,
    spawn: spawnHlsFfmpeg,
    // A live session of a camera recorded here serves the recorder's segments (one RTSP connection).
    recordings: recorders,
    membership,
    logger,
  });
  reactToCameraChanges(cameras, sessions);
  cameras.onChange((camera, previous) => {
    if (camera.status === 'ACTIVE' && previous && previous.rtspUrl !== camera.rtspUrl) recorders.cameraUrlChanged(camera.id);
  });
  await sessions.resume();
  sessions.runIdleSweep();
  onClose(() => sessions.shutdown());
  await recorders.reconcile(await membership.live());
  recorders.run(membership);
  clips.start();
  const clipRetention = setInterval(() => void clips.sweepRetention().catch(() => undefined), 3_600_000);
  clipRetention.unref();
  onClose(async () => {
    clearInterval(clipRetention);
    clips.stop();
    await recorders.shutdown();
  });
  const recordings = recordingReads({ cameras, recorders, clips, store: recordingStore, membership });

  const signer = new LinkSigner(config.media.linkSecret, config.media.linkTtlSeconds);
  const server = await startSubgraphServer({
    name: 'media',
    port: config.ports.media,
    config,
    logger,
    resolvers: mediaResolvers({ sessions, signer, publicBaseUrl: config.media.publicBaseUrl, recordings }),
    readiness: async () => ({ mongodb: await mongo.ping(), rabbitmq: amqp.connected, ffmpeg: await ffmpegReady() }),
    routes: (app) => {
      // The live media services' URLs: where a gateway relays links when this service is down.
      app.get('/hls-peers', (_req, res) => {
        void membership.live().then(
          (members) => res.json({ urls: members.map((member) => member.url) }),
          () => res.status(503).json({ urls: [] }),
        );
      });
      app.use('/clips', clipRouter({ clipsDir: path.resolve(config.media.clipsDir), signer, locate: (id) => recordings.locateClip(id), logger }));
      app.use('/hls', hlsRouter({ hlsDir, signer, onPlaylistRequest: (id) => sessions.touch(id), locate: (id) => sessions.locate(id), logger }));
    },
  });
  onClose(() => server.stop());
});
