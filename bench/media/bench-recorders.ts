import pino from 'pino';
import { sleep } from '../../lib/async/sleep';
import type { Config } from '../../lib/config/config';
import type { MongoHandle } from '../../lib/engines/mongo';
import { MongoRecordingStore } from '../../subgraphs/media/src/adapters/mongo-recording-store';
import type { CameraStore } from '../../subgraphs/media/src/cameras/camera-store';
import { spawnHlsFfmpeg } from '../../subgraphs/media/src/ffmpeg/ffmpeg-process';
import { RecorderManager } from '../../subgraphs/media/src/recording/recorder-manager';
import { cameraEnvelope } from '../../test/unit/media/camera-envelope';

/** The recorders of one media service as the recording benches wire them: no disk budget, no health events. */
export function benchRecorders(options: { dir: string; me: string; mongo: MongoHandle; cameras: CameraStore; config: Config }): {
  recorders: RecorderManager;
  store: MongoRecordingStore;
} {
  const store = new MongoRecordingStore(options.mongo.db);
  const recorders = new RecorderManager({
    dir: options.dir,
    me: options.me,
    maxBytes: 1e13,
    offlineMs: 60000,
    rtspTimeoutSeconds: 5,
    cameras: options.cameras,
    cameraHosts: options.config.cameraAllowedHosts,
    store,
    health: { publish: async () => undefined },
    spawn: spawnHlsFfmpeg,
    logger: pino({ level: 'silent' }),
  });
  return { recorders, store };
}

/**
 * Registers the cameras with recording on, all pulling `rtspUrl`, starts their recorders four at a
 * time (the test camera, GStreamer's RTSP server, falls over when 16 clients connect at once), and
 * waits until every one is RECORDING (throws after 60 s, saying how each one is).
 */
export async function recordCameras(
  cameras: CameraStore,
  recorders: RecorderManager,
  ids: readonly string[],
  rtspUrl: string,
  members: Parameters<RecorderManager['reconcile']>[0],
): Promise<void> {
  for (const [i, cameraId] of ids.entries()) {
    await cameras.apply(
      cameraEnvelope('CameraRegistered', 1, { cameraId, name: cameraId, site: null, rtspUrl, tags: [], recording: { enabled: true, retentionHours: 24 } }),
    );
    if (i % 4 === 3 || i === ids.length - 1) {
      await recorders.reconcile(members);
      await sleep(1500);
    }
  }
  const deadline = Date.now() + 60000;
  while (!ids.every((id) => recorders.recorderOf(id)?.status().state === 'RECORDING')) {
    if (Date.now() > deadline) {
      const states = ids.map((id) => `${id}: ${recorders.recorderOf(id)?.status().state ?? 'none'} ${recorders.recorderOf(id)?.status().lastError ?? ''}`);
      throw new Error(`recorders not RECORDING after 60 s:\n${states.join('\n')}`);
    }
    await sleep(200);
  }
}
