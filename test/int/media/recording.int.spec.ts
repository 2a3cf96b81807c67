import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import pino from 'pino';
import { loadConfig } from '../../../lib/config/config';
import { AmqpConnection } from '../../../lib/engines/amqp';
import { connectMongo, type MongoHandle } from '../../../lib/engines/mongo';
import { amqpNames, assertSharedTopology, deleteTopology } from '../../../lib/events/topology';
import { AmqpHealthPublisher } from '../../../subgraphs/media/src/adapters/amqp-health-publisher';
import { MongoCameraRepository } from '../../../subgraphs/media/src/adapters/mongo-camera-repository';
import { MongoRecordingStore } from '../../../subgraphs/media/src/adapters/mongo-recording-store';
import { CameraStore } from '../../../subgraphs/media/src/cameras/camera-store';
import { configureFfmpeg, remuxToMp4, spawnHlsFfmpeg } from '../../../subgraphs/media/src/ffmpeg/ffmpeg-process';
import { clipLinkId, clipRouter } from '../../../subgraphs/media/src/hls/clip-routes';
import { LinkSigner } from '../../../subgraphs/media/src/hls/link-signer';
import { ClipMaker } from '../../../subgraphs/media/src/recording/clip-maker';
import { RecorderManager } from '../../../subgraphs/media/src/recording/recorder-manager';
import { testNamespace } from '../../support/namespace';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { cameraEnvelope } from '../../unit/media/camera-envelope';
import { probeRecording, waitFor } from './media-harness';

const ME = 'rec-int';
const MEMBERS = [{ id: ME, url: 'http://127.0.0.1:1', capacity: 8, expiresAt: new Date(Date.now() + 3_600_000) }];

/**
 * Recordings and clips against the real engines, real ffmpeg and the RTSP test camera: a recorded
 * camera, the clip of an event cut from it (READY, decodable, the window's length), an event outside
 * the recording (UNAVAILABLE), one offline and one online event per outage, retention and the disk budget.
 */
describe('recordings and clips', () => {
  let camera: RtspCamera;
  let mongo: MongoHandle;
  let amqp: AmqpConnection;
  let namespace: string;
  let dirs: { recordings: string; clips: string };
  let cameras: CameraStore;
  let store: MongoRecordingStore;
  let recorders: RecorderManager;
  let clips: ClipMaker;
  let server: http.Server;
  let baseUrl: string;
  const health: Array<{ type: string; cameraId: string; id: string }> = [];
  const signer = new LinkSigner('recording-int-test-link-secret', 600);

  beforeAll(async () => {
    camera = await startRtspCamera();
    const config = loadConfig({ ...process.env });
    configureFfmpeg(config.media.ffmpegPath);
    namespace = testNamespace('recording');
    mongo = await connectMongo({ url: config.mongodb.url, database: namespace });
    const logger = pino({ level: 'silent' });
    amqp = new AmqpConnection(config.amqp.url, logger, 'recording-int-test');
    await amqp.use(async (connection) => {
      const channel = await connection.createChannel();
      await assertSharedTopology(channel, amqpNames(namespace));
      // What the command service would receive: the health events on the ingest exchange.
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, amqpNames(namespace).ingestExchange, 'media.#');
      await channel.consume(queue, (message) => message && health.push(JSON.parse(message.content.toString()) as (typeof health)[number]), { noAck: true });
    });
    amqp.start();
    await amqp.waitConnected(15000);
    dirs = { recordings: mkdtempSync(path.join(os.tmpdir(), `${namespace}-rec-`)), clips: mkdtempSync(path.join(os.tmpdir(), `${namespace}-clips-`)) };
    cameras = new CameraStore(new MongoCameraRepository(mongo.db));
    store = new MongoRecordingStore(mongo.db);
    recorders = new RecorderManager({
      dir: dirs.recordings,
      me: ME,
      maxBytes: 1e12,
      offlineMs: 3000,
      rtspTimeoutSeconds: 2,
      cameras,
      cameraHosts: config.cameraAllowedHosts,
      store,
      health: new AmqpHealthPublisher(amqp, namespace),
      spawn: spawnHlsFfmpeg,
      logger,
    });
    clips = new ClipMaker({ dir: dirs.clips, me: ME, preMs: 3000, postMs: 3000, retentionMs: 86_400_000, recorders, store, remux: remuxToMp4, logger });
    clips.start(250);
    const app = express();
    app.use('/clips', clipRouter({ clipsDir: dirs.clips, signer, locate: async (id) => ((await clips.hasFiles(id)) ? 'here' : null), logger }));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 60000);

  afterAll(async () => {
    clips?.stop();
    await recorders?.shutdown();
    await new Promise((resolve) => server?.close(resolve));
    const channel = await amqp
      ?.current()
      ?.createChannel()
      .catch(() => undefined);
    if (channel) await deleteTopology(channel, amqpNames(namespace)).catch(() => undefined);
    await amqp?.close();
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.close();
    await camera?.stop();
    for (const dir of Object.values(dirs ?? {})) rmSync(dir, { recursive: true, force: true });
  });

  const record = async (cameraId: string, name: string) => {
    await cameras.apply(
      cameraEnvelope('CameraRegistered', 1, {
        cameraId,
        name: cameraId,
        site: null,
        rtspUrl: camera.url(name),
        tags: [],
        recording: { enabled: true, retentionHours: 24 },
      }),
    );
    await recorders.reconcile(MEMBERS);
    return waitFor('recording', () => recorders.recorderOf(cameraId)?.status().state === 'RECORDING' && recorders.recorderOf(cameraId), 30000);
  };

  it("cuts an event's clip from the recording: PENDING, then READY as one MP4 and a VOD playlist of the window's length", async () => {
    const recorder = await record('rec-a', 'reca');
    const eventId = '01a237d0-0000-7000-8000-0000000000a1';
    const occurredAt = new Date(Date.now() + 1000);
    await clips.onEventRecorded(eventId, 'rec-a', occurredAt);
    expect((await store.clip(eventId))?.status).toBe('PENDING');
    const ready = await waitFor('clip READY', async () => ((await store.clip(eventId))?.status === 'READY' ? store.clip(eventId) : undefined), 30000);
    expect(ready).toMatchObject({ owner: ME, from: new Date(occurredAt.getTime() - 3000), to: new Date(occurredAt.getTime() + 3000) });
    expect(recorder.status().bytes).toBeGreaterThan(0);

    const query = signer.query(clipLinkId(eventId));
    const mp4 = await probeRecording(`${baseUrl}/clips/${eventId}/clip.mp4?${query}`);
    expect(mp4.codec).toBe('h264');
    expect(Math.abs(mp4.duration - 6)).toBeLessThanOrEqual(2);
    const hls = await probeRecording(`${baseUrl}/clips/${eventId}/index.m3u8?${query}`);
    expect(hls.frames).toBeGreaterThan(0);
    expect(Math.abs(hls.duration - 6)).toBeLessThanOrEqual(2);
    const tampered = query.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await fetch(`${baseUrl}/clips/${eventId}/clip.mp4?${tampered}`)).status).toBe(403);
    // A live link for the same id does not open the clip.
    expect((await fetch(`${baseUrl}/clips/${eventId}/clip.mp4?${signer.query(eventId)}`)).status).toBe(403);

    // An event from before the recording began has no video.
    const early = '01a237d0-0000-7000-8000-0000000000a2';
    await clips.onEventRecorded(early, 'rec-a', new Date(Date.now() - 3_600_000));
    const unavailable = await store.clip(early);
    expect(unavailable).toMatchObject({ status: 'UNAVAILABLE', reason: expect.stringMatching(/before the oldest recorded video/) });
    // A camera not recorded here gets no clip.
    await clips.onEventRecorded('01a237d0-0000-7000-8000-0000000000a3', 'not-recorded', new Date());
    expect(await store.clip('01a237d0-0000-7000-8000-0000000000a3')).toBeNull();
  }, 90000);

  it('announces one camera.offline per outage and one camera.online when the camera is back', async () => {
    const recorder = await record('rec-b', 'recb');
    await camera.stop();
    try {
      await waitFor('camera.offline', () => health.some((e) => e.type === 'camera.offline' && e.cameraId === 'rec-b'), 30000);
      // The outage goes on: still one offline event.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(health.filter((e) => e.cameraId === 'rec-b').map((e) => e.type)).toEqual(['camera.offline']);
      expect((await store.status('rec-b'))?.offline).toBe(true);
    } finally {
      await camera.start();
    }
    await waitFor('camera.online', () => health.some((e) => e.type === 'camera.online' && e.cameraId === 'rec-b'), 60000);
    expect(health.filter((e) => e.cameraId === 'rec-b').map((e) => e.type)).toEqual(['camera.offline', 'camera.online']);
    expect(recorder.status()).toMatchObject({ state: 'RECORDING', offline: false });
  }, 120000);

  it('deletes the oldest segments first to stay within the disk budget, and what is past retention', async () => {
    const recorder = await record('rec-c', 'recc');
    await waitFor('a few segments', () => recorder.index.all.length >= 4, 30000);
    const folder = path.join(dirs.recordings, 'rec-c');
    const oldest = recorder.index.oldest!;
    const all = [...(recorders.recorderOf('rec-a') ? [recorders.recorderOf('rec-a')!] : []), recorder];
    const total = all.reduce((sum, r) => sum + r.index.bytes, 0);
    // One byte over the budget: the oldest segment of all goes, the newest stay.
    const newest = recorder.index.all.at(-1)!;
    await recorders.sweep(Date.now(), total - oldest.bytes);
    expect(recorders.budgetDeletions).toBeGreaterThanOrEqual(1);
    expect(existsSync(path.join(folder, newest.name))).toBe(true);
    // 25 hours later (retention 24 h): every segment recorded so far is past retention.
    const recorded = recorder.index.all.map((segment) => segment.name);
    await recorders.sweep(Date.now() + 25 * 3_600_000);
    for (const name of recorded) expect(existsSync(path.join(folder, name))).toBe(false);
    expect(readdirSync(folder).filter((name) => name.endsWith('.ts')).length).toBeLessThanOrEqual(3);
  }, 90000);
});
