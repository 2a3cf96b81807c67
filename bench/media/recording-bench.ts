/**
 * Recording costs on this machine (bench/media/README.md, "Recordings"): for N recording cameras
 * (720p25 H.264 from the test camera, one shared encoder per N: a path of its own), the recorders' ffmpeg CPU per camera, disk
 * per camera-hour, segments missing from the recordings (gaps), and the time from an event's
 * window end to its clip being READY.
 * Usage: bash bench/media/run-recording.sh [--cameras 1,4,8,16] [--seconds 20] [--events 20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { sleep } from '../../lib/async/sleep';
import { loadConfig } from '../../lib/config/config';
import { connectMongo } from '../../lib/engines/mongo';
import { MongoCameraRepository } from '../../subgraphs/media/src/adapters/mongo-camera-repository';
import { CameraStore } from '../../subgraphs/media/src/cameras/camera-store';
import { configureFfmpeg, remuxToMp4 } from '../../subgraphs/media/src/ffmpeg/ffmpeg-process';
import { findOrphanFfmpeg } from '../../subgraphs/media/src/ffmpeg/orphan-reaper';
import { ClipMaker } from '../../subgraphs/media/src/recording/clip-maker';
import { startRtspCamera } from '../../test/support/rtsp-camera';
import { benchRecorders, recordCameras } from './bench-recorders';
import { hardwareLine, percentile } from '../hardware';
import { cpuSeconds } from '../process-cpu';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '1,4,8,16' },
    seconds: { type: 'string', default: '20' },
    events: { type: 'string', default: '20' },
  },
});
const COUNTS = values.cameras.split(',').map(Number);
const SECONDS = Number(values.seconds);
const EVENTS = Number(values.events);
const ME = 'bench-recording';
const MEMBERS = [{ id: ME, url: 'http://127.0.0.1:1', capacity: 1000, expiresAt: new Date(Date.now() + 86_400_000) }];

async function main(): Promise<void> {
  console.log(hardwareLine());
  const config = loadConfig({ ...process.env });
  configureFfmpeg(config.media.ffmpegPath);
  const camera = await startRtspCamera({ size: '1280x720', fps: 25, shared: true });
  const logger = pino({ level: 'silent' });
  const namespace = `benchrec${process.pid}`;
  const mongo = await connectMongo({ url: config.mongodb.url, database: namespace });
  const root = mkdtempSync(path.join(os.tmpdir(), 'bench-recording-'));
  try {
    console.log(
      '| recording cameras | ffmpeg CPU per camera (% of a core) | disk per camera-hour | segments missing | clip READY after window end p50 / p99 / max |',
    );
    console.log('| --- | --- | --- | --- | --- |');
    for (const count of COUNTS) {
      const dir = path.join(root, `n${count}`);
      const cameras = new CameraStore(new MongoCameraRepository(mongo.db));
      const { recorders, store } = benchRecorders({ dir, me: ME, mongo, cameras, config });
      const ids = Array.from({ length: count }, (_, i) => `n${count}-c${i}`);
      // Every camera pulls the same path: one x264 encode in the test camera feeds them all.
      await recordCameras(cameras, recorders, ids, camera.url(`shared${count}`), MEMBERS);
      await sleep(3000);
      const pids = findOrphanFfmpeg(dir);
      const cpuBefore = pids.map((pid) => cpuSeconds(pid));
      const bytesBefore = ids.map((id) => recorders.recorderOf(id)!.index.bytes);
      const started = Date.now();

      const clips = new ClipMaker({
        dir: path.join(dir, 'clips'),
        me: ME,
        preMs: 2000,
        postMs: 2000,
        retentionMs: 86_400_000,
        recorders,
        store,
        remux: remuxToMp4,
        logger,
      });
      clips.start(250);
      const events: Array<{ id: string; to: number }> = [];
      for (let i = 0; i < EVENTS; i += 1) {
        const id = `01a23800-0000-7000-8000-${String(count).padStart(4, '0')}${String(i).padStart(8, '0')}`;
        const occurredAt = new Date();
        await clips.onEventRecorded(id, ids[i % ids.length]!, occurredAt);
        events.push({ id, to: occurredAt.getTime() + 2000 });
        await sleep((SECONDS * 1000) / EVENTS);
      }
      await sleep(Math.max(0, SECONDS * 1000 - (Date.now() - started)));
      const seconds = (Date.now() - started) / 1000;
      const cpu = pids.reduce((sum, pid, i) => sum + (cpuSeconds(pid) - cpuBefore[i]!), 0);
      const bytes = ids.reduce((sum, id, i) => sum + recorders.recorderOf(id)!.index.bytes - bytesBefore[i]!, 0);
      const waitUntil = Date.now() + 30000;
      const readyAfter: number[] = [];
      for (const event of events) {
        for (;;) {
          const clip = await store.clip(event.id);
          if (clip?.status === 'READY' && clip.readyAt) {
            readyAfter.push(clip.readyAt.getTime() - event.to);
            break;
          }
          if (clip?.status === 'UNAVAILABLE' || Date.now() > waitUntil) break;
          await sleep(100);
        }
      }
      let missing = 0;
      for (const id of ids) {
        const segments = recorders.recorderOf(id)!.index.all.filter((s) => s.start >= started);
        for (let i = 1; i < segments.length; i += 1) {
          const gap = segments[i]!.start - (segments[i - 1]!.start + segments[i - 1]!.durationMs);
          if (gap > 500) missing += Math.round(gap / 1000);
        }
      }
      clips.stop();
      await recorders.shutdown();
      const sorted = [...readyAfter].sort((a, b) => a - b);
      const perCameraHour = (bytes / count / seconds) * 3600;
      console.log(
        `| ${count} | ${((cpu / seconds / count) * 100).toFixed(2)}% | ${(perCameraHour / 2 ** 20).toFixed(0)} MiB | ${missing} | ${sorted.length}/${events.length} READY: ${(percentile(sorted, 50) / 1000).toFixed(2)} / ${(percentile(sorted, 99) / 1000).toFixed(2)} / ${((sorted.at(-1) ?? Number.NaN) / 1000).toFixed(2)} s |`,
      );
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(
      `load after: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
    await camera.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
