/**
 * The recording side of the media service wired for a bench (RecorderManager, its camera store and
 * recording store on FerretDB, fluent-ffmpeg), and the measures the recording benches share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from 'mongodb';
import pino from 'pino';
import { sleep } from '../../lib/async/sleep';
import { type Config, loadConfig } from '../../lib/config/config';
import { connectMongo } from '../../lib/engines/mongo';
import { MongoCameraRepository } from '../../subgraphs/media/src/adapters/mongo-camera-repository';
import { MongoRecordingStore } from '../../subgraphs/media/src/adapters/mongo-recording-store';
import { CameraStore } from '../../subgraphs/media/src/cameras/camera-store';
import { configureFfmpeg, spawnHlsFfmpeg } from '../../subgraphs/media/src/ffmpeg/ffmpeg-process';
import { RecorderManager } from '../../subgraphs/media/src/recording/recorder-manager';
import { cameraEnvelope } from '../../test/unit/media/camera-envelope';
import { hardwareLine } from '../hardware';

export const BENCH_MEMBER = 'bench-recording';
const MEMBERS = [{ id: BENCH_MEMBER, url: 'http://127.0.0.1:1', capacity: 1000, expiresAt: new Date(Date.now() + 86_400_000) }];
/** The test camera (GStreamer's RTSP server) falls over when many clients connect at once. */
const CONNECT_BATCH = 4;
const CONNECT_PAUSE_MS = 1500;

export interface BenchContext {
  db: Db;
  /** A folder of the bench's own for recordings. */
  root: string;
  config: Config;
}

/**
 * Runs a recording bench: prints the hardware, gives it a database and a folder of its own (both
 * removed after, whatever happens), then exits: 0, or 1 with the error.
 */
export function runRecordingBench(name: string, bench: (context: BenchContext) => Promise<void>): void {
  const run = async () => {
    console.log(hardwareLine());
    const config = loadConfig({ ...process.env });
    configureFfmpeg(config.media.ffmpegPath);
    const mongo = await connectMongo({ url: config.mongodb.url, database: `${name}${process.pid}` });
    const root = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    try {
      await bench({ db: mongo.db, root, config });
    } finally {
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
      rmSync(root, { recursive: true, force: true });
    }
  };
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** The load average (1, 5, 15 min), as the figures print it. */
export const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

export interface RecordingRig {
  recorders: RecorderManager;
  store: MongoRecordingStore;
}

export function recordingRig(db: Db, config: Config, dir: string): RecordingRig & { cameras: CameraStore } {
  const cameras = new CameraStore(new MongoCameraRepository(db));
  const store = new MongoRecordingStore(db);
  const recorders = new RecorderManager({
    dir,
    me: BENCH_MEMBER,
    maxBytes: 1e13,
    offlineMs: 60000,
    rtspTimeoutSeconds: 5,
    cameras,
    cameraHosts: config.cameraAllowedHosts,
    store,
    health: { publish: async () => undefined },
    spawn: spawnHlsFfmpeg,
    logger: pino({ level: 'silent' }),
  });
  return { cameras, store, recorders };
}

/** Registers the cameras as recorded and starts their recorders, a few at a time. */
export async function startRecording(rig: RecordingRig & { cameras: CameraStore }, ids: readonly string[], urlOf: (index: number) => string): Promise<void> {
  for (const [i, cameraId] of ids.entries()) {
    await rig.cameras.apply(
      cameraEnvelope('CameraRegistered', 1, {
        cameraId,
        name: cameraId,
        site: null,
        rtspUrl: urlOf(i),
        tags: [],
        recording: { enabled: true, retentionHours: 24 },
      }),
    );
    if (i % CONNECT_BATCH === CONNECT_BATCH - 1 || i === ids.length - 1) {
      await rig.recorders.reconcile(MEMBERS);
      await sleep(CONNECT_PAUSE_MS);
    }
  }
}

/** Waits until every recorder is RECORDING; the states of those that are not when the time is up. */
export async function waitRecording(recorders: RecorderManager, ids: readonly string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const behind = ids.filter((id) => recorders.recorderOf(id)?.status().state !== 'RECORDING');
    if (behind.length === 0) return [];
    if (Date.now() > deadline) {
      return behind.map((id) => `${id}: ${recorders.recorderOf(id)?.status().state ?? 'none'} ${recorders.recorderOf(id)?.status().lastError ?? ''}`);
    }
    await sleep(200);
  }
}

/** Seconds missing from the recordings since `since`: gaps over 0.5 s between consecutive segments. */
export function missingSeconds(recorders: RecorderManager, ids: readonly string[], since: number): number {
  let missing = 0;
  for (const id of ids) {
    const segments = recorders.recorderOf(id)?.index.all.filter((s) => s.start >= since) ?? [];
    for (let i = 1; i < segments.length; i += 1) {
      const gap = segments[i]!.start - (segments[i - 1]!.start + segments[i - 1]!.durationMs);
      if (gap > 500) missing += Math.round(gap / 1000);
    }
  }
  return missing;
}
