import path from 'node:path';
import { loadConfig } from '../../../lib/config/config';
import { serviceAmqp } from '../../../lib/events/service-amqp';
import { connectMongo } from '../../../lib/engines/mongo';
import { startSubgraphServer } from '../../../lib/graphql/subgraph-server';
import { createLogger } from '../../../lib/logging/logger';
import { runService } from '../../../lib/service/lifecycle';
import { consumeCameraEvents } from './adapters/amqp-camera-consumer';
import { AmqpStatusPublisher } from './adapters/amqp-status-publisher';
import { MongoCameraRepository } from './adapters/mongo-camera-repository';
import { MongoSessionRepository } from './adapters/mongo-session-repository';
import { CameraStore } from './cameras/camera-store';
import { configureFfmpeg, ffmpegReady, spawnHlsFfmpeg } from './ffmpeg/ffmpeg-process';
import { killOrphanFfmpeg } from './ffmpeg/orphan-reaper';
import { mediaResolvers } from './graphql/resolvers';
import { hlsRouter } from './hls/hls-routes';
import { LinkSigner } from './hls/link-signer';
import { reactToCameraChanges } from './sessions/camera-reactions';
import { SessionManager } from './sessions/session-manager';

const logger = createLogger('media');

runService('media', logger, async (onClose) => {
  const config = loadConfig();
  const hlsDir = path.resolve(config.media.hlsDir);
  configureFfmpeg(config.media.ffmpegPath);

  const orphans = killOrphanFfmpeg(hlsDir);
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
  await consumeCameraEvents(amqp, config.namespace, cameras, logger);
  amqp.start();

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
    logger,
  });
  reactToCameraChanges(cameras, sessions);
  await sessions.resume();
  sessions.runIdleSweep();
  onClose(() => sessions.shutdown());

  const signer = new LinkSigner(config.media.linkSecret, config.media.linkTtlSeconds);
  const server = await startSubgraphServer({
    name: 'media',
    port: config.ports.media,
    config,
    logger,
    resolvers: mediaResolvers({ sessions, signer, publicBaseUrl: config.media.publicBaseUrl }),
    readiness: async () => ({ mongodb: await mongo.ping(), rabbitmq: amqp.connected, ffmpeg: await ffmpegReady() }),
    routes: (app) => {
      app.use('/hls', hlsRouter({ hlsDir, signer, onPlaylistRequest: (id) => sessions.touch(id), logger }));
    },
  });
  onClose(() => server.stop());
});
