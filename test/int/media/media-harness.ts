import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import express from 'express';
import pino from 'pino';
import { loadConfig } from '../../../lib/config/config';
import { AmqpConnection } from '../../../lib/engines/amqp';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import type { StreamStatusMessage } from '../../../lib/events/stream-status';
import { amqpNames, assertSharedTopology, deleteTopology } from '../../../lib/events/topology';
import { AmqpStatusPublisher } from '../../../subgraphs/media/src/adapters/amqp-status-publisher';
import { MongoCameraRepository } from '../../../subgraphs/media/src/adapters/mongo-camera-repository';
import { MongoMemberRegistry } from '../../../subgraphs/media/src/adapters/mongo-member-registry';
import { MongoSessionRepository } from '../../../subgraphs/media/src/adapters/mongo-session-repository';
import { CameraStore } from '../../../subgraphs/media/src/cameras/camera-store';
import { Membership } from '../../../subgraphs/media/src/cluster/membership';
import { configureFfmpeg, spawnHlsFfmpeg } from '../../../subgraphs/media/src/ffmpeg/ffmpeg-process';
import { findOrphanFfmpeg } from '../../../subgraphs/media/src/ffmpeg/orphan-reaper';
import { hlsRouter } from '../../../subgraphs/media/src/hls/hls-routes';
import { LinkSigner } from '../../../subgraphs/media/src/hls/link-signer';
import { reactToCameraChanges } from '../../../subgraphs/media/src/sessions/camera-reactions';
import { SessionManager, type SessionManagerOptions } from '../../../subgraphs/media/src/sessions/session-manager';
import type { StreamSession } from '../../../subgraphs/media/src/sessions/session';
import { testNamespace } from '../../support/namespace';
import { cameraEnvelope } from '../../unit/media/camera-envelope';

const run = promisify(execFile);
export const LINK_SECRET = 'media-int-test-link-secret';

/**
 * The media service's parts wired as main.ts wires them, against the real engines (MongoDB protocol,
 * RabbitMQ), real ffmpeg and a real RTSP camera, with an HTTP server for the HLS routes. Its log lines
 * are kept so tests can check that no credential leaks.
 */
export interface MediaHarness {
  namespace: string;
  hlsDir: string;
  mongo: MongoHandle;
  cameras: CameraStore;
  manager: SessionManager;
  signer: LinkSigner;
  baseUrl: string;
  logs: string[];
  statuses: StreamStatusMessage[];
  /** Another manager on the same stores (a restarted process, or one with other limits). */
  newManager(overrides?: Partial<SessionManagerOptions>): SessionManager;
  registerCamera(cameraId: string, rtspUrl: string, version?: number): Promise<void>;
  decommissionCamera(cameraId: string, version: number): Promise<void>;
  changeCameraUrl(cameraId: string, rtspUrl: string, version: number): Promise<void>;
  playlistUrl(sessionId: string): string;
  /** The ffmpeg processes writing under the HLS folder, or under one session's folder, as /proc lists them. */
  ffmpegPids(sessionId?: string): number[];
  /** The one ffmpeg writing a session's files (undefined while none, or an old one still exits beside the new). */
  ffmpegPidOf(sessionId: string): number | undefined;
  close(): Promise<void>;
}

export async function startMediaHarness(overrides: Partial<SessionManagerOptions> = {}): Promise<MediaHarness> {
  const config = loadConfig({ ...process.env });
  const namespace = testNamespace('media');
  const hlsDir = mkdtempSync(path.join(os.tmpdir(), `${namespace}-hls-`));
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  );
  configureFfmpeg(config.media.ffmpegPath);
  const mongo = await connectMongo({ url: config.mongodb.url, database: namespace });
  const amqp = new AmqpConnection(config.amqp.url, logger, 'media-int-test');
  const statuses: StreamStatusMessage[] = [];
  const publisher = new AmqpStatusPublisher(amqp, namespace, logger);
  await publisher.init();
  await amqp.use(async (connection) => {
    const channel = await connection.createChannel();
    const names = amqpNames(namespace);
    await assertSharedTopology(channel, names);
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, names.streamStatusExchange, 'stream.*');
    await channel.consume(
      queue,
      (message) => {
        if (message) statuses.push(JSON.parse(message.content.toString()) as StreamStatusMessage);
      },
      { noAck: true },
    );
  });
  amqp.start();
  await amqp.waitConnected(15000);

  const cameras = new CameraStore(new MongoCameraRepository(mongo.db));
  const repository = new MongoSessionRepository(mongo.db);
  const managers: SessionManager[] = [];
  const members = new MongoMemberRegistry(mongo.db);
  const newManager = (more: Partial<SessionManagerOptions> = {}) => {
    const options = {
      hlsDir,
      maxSessions: 8,
      idleTimeoutMs: 120000,
      rtspTimeoutSeconds: 3,
      maxFailures: 10,
      cameras,
      cameraHosts: config.cameraAllowedHosts,
      repository,
      publisher,
      spawn: spawnHlsFfmpeg,
      logger,
      ...overrides,
      ...more,
    };
    // Every manager made here is the same media service (a restart gets a new incarnation of it).
    const membership = new Membership({ registry: members, id: 'media-int', url: 'http://127.0.0.1:1', capacity: options.maxSessions, ttlMs: 8000, logger });
    const created = new SessionManager({ membership, ...options });
    managers.push(created);
    return created;
  };
  const manager = newManager();
  reactToCameraChanges(cameras, manager);
  // Every manager here is the same media service ('media-int'): this one must not take the others' sessions as its own.
  await manager.resume(3_600_000);
  manager.runIdleSweep(250);

  const signer = new LinkSigner(LINK_SECRET, 600);
  const holder: { current: SessionManager } = { current: manager };
  const app = express();
  app.use('/hls', hlsRouter({ hlsDir, signer, onPlaylistRequest: (id) => holder.current.touch(id), locate: (id) => holder.current.locate(id), logger }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    namespace,
    hlsDir,
    mongo,
    cameras,
    manager,
    signer,
    baseUrl,
    logs,
    statuses,
    newManager,
    registerCamera: async (cameraId, rtspUrl, version = 1) => {
      await cameras.apply(cameraEnvelope('CameraRegistered', version, { cameraId, name: cameraId, site: null, rtspUrl, tags: [] }));
    },
    decommissionCamera: async (cameraId, version) => {
      await cameras.apply(cameraEnvelope('CameraDecommissioned', version, { cameraId }));
    },
    changeCameraUrl: async (cameraId, rtspUrl, version) => {
      await cameras.apply(cameraEnvelope('CameraUpdated', version, { cameraId, rtspUrl }));
    },
    playlistUrl: (sessionId) => `${baseUrl}/hls/${sessionId}/index.m3u8?${signer.query(sessionId)}`,
    ffmpegPids: (sessionId) => findOrphanFfmpeg(sessionId ? path.join(hlsDir, sessionId) : hlsDir),
    ffmpegPidOf: (sessionId) => {
      const pids = findOrphanFfmpeg(path.join(hlsDir, sessionId));
      return pids.length === 1 ? pids[0] : undefined;
    },
    close: async () => {
      for (const each of managers) await each.stopAll();
      await new Promise((resolve) => server.close(resolve));
      const channel = await amqp
        .current()
        ?.createChannel()
        .catch(() => undefined);
      if (channel) await deleteTopology(channel, amqpNames(namespace)).catch(() => undefined);
      await amqp.close();
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
      rmSync(hlsDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const waitForStatus = (manager: SessionManager, id: string, status: StreamSession['status'], timeoutMs = 20000) =>
  waitFor(
    `session ${id} ${status}`,
    async () => {
      const session = await manager.get(id);
      return session?.status === status ? session : undefined;
    },
    timeoutMs,
  );

/** ffprobe decodes frames from an HLS URL: what any player would see. */
export async function probeHls(url: string): Promise<{ codec: string; width: number; height: number; frames: number }> {
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-count_frames',
      '-read_intervals',
      '%+#10',
      '-show_entries',
      'stream=codec_name,width,height,nb_read_frames',
      '-of',
      'json',
      url,
    ],
    { timeout: 20000 },
  );
  const stream = (JSON.parse(stdout) as { streams: Array<{ codec_name: string; width: number; height: number; nb_read_frames: string }> }).streams[0];
  if (!stream) throw new Error(`no video stream in ${url}`);
  return { codec: stream.codec_name, width: stream.width, height: stream.height, frames: Number(stream.nb_read_frames) };
}

/** ffprobe decodes a whole recording (a clip's MP4 or VOD playlist): its codec, its frames, its duration. */
export async function probeRecording(target: string): Promise<{ codec: string; frames: number; duration: number }> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames:format=duration', '-of', 'json', target],
    { timeout: 30000 },
  );
  const parsed = JSON.parse(stdout) as { streams: Array<{ codec_name: string; nb_read_frames: string }>; format: { duration: string } };
  return { duration: Number(parsed.format.duration), frames: Number(parsed.streams[0]?.nb_read_frames), codec: parsed.streams[0]?.codec_name ?? '' };
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};
