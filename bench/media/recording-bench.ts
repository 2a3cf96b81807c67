/**
 * Recording costs on this machine (bench/media/README.md, "Recordings"): for N recording cameras
 * (720p25 H.264 from the test camera, one shared encoder per N: a path of its own), the recorders' ffmpeg CPU per camera, disk
 * per camera-hour, segments missing from the recordings (gaps), and the time from an event's
 * window end to its clip being READY.
 * Usage: bash bench/media/run-recording.sh [--cameras 1,4,8,16] [--seconds 20] [--events 20]
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { sleep } from '../../lib/async/sleep';
import { remuxToMp4 } from '../../subgraphs/media/src/ffmpeg/ffmpeg-process';
import { findOrphanFfmpeg } from '../../subgraphs/media/src/ffmpeg/orphan-reaper';
import { ClipMaker } from '../../subgraphs/media/src/recording/clip-maker';
import { startRtspCamera } from '../../test/support/rtsp-camera';
import { percentile } from '../hardware';
import { cpuSeconds } from '../process-cpu';
import { BENCH_MEMBER, loadAverage, missingSeconds, recordingRig, runRecordingBench, startRecording, waitRecording } from './recording-rig';

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

runRecordingBench('benchrec', async ({ db, root, config }) => {
  const camera = await startRtspCamera({ size: '1280x720', fps: 25, shared: true });
  try {
    console.log(
      '| recording cameras | ffmpeg CPU per camera (% of a core) | disk per camera-hour | segments missing | clip READY after window end p50 / p99 / max |',
    );
    console.log('| --- | --- | --- | --- | --- |');
    for (const count of COUNTS) {
      const dir = path.join(root, `n${count}`);
      const rig = recordingRig(db, config, dir);
      const { recorders, store } = rig;
      const ids = Array.from({ length: count }, (_, i) => `n${count}-c${i}`);
      await startRecording(rig, ids, () => camera.url(`shared${count}`));
      const behind = await waitRecording(recorders, ids, 60000);
      if (behind.length > 0) throw new Error(`recorders not RECORDING after 60 s:\n${behind.join('\n')}`);
      await sleep(3000);
      const pids = findOrphanFfmpeg(dir);
      const cpuBefore = pids.map((pid) => cpuSeconds(pid));
      const bytesBefore = ids.map((id) => recorders.recorderOf(id)!.index.bytes);
      const started = Date.now();

      const clips = new ClipMaker({
        dir: path.join(dir, 'clips'),
        me: BENCH_MEMBER,
        preMs: 2000,
        postMs: 2000,
        retentionMs: 86_400_000,
        recorders,
        store,
        remux: remuxToMp4,
        logger: pino({ level: 'silent' }),
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
      const missing = missingSeconds(recorders, ids, started);
      clips.stop();
      await recorders.shutdown();
      const sorted = [...readyAfter].sort((a, b) => a - b);
      const perCameraHour = (bytes / count / seconds) * 3600;
      console.log(
        `| ${count} | ${((cpu / seconds / count) * 100).toFixed(2)}% | ${(perCameraHour / 2 ** 20).toFixed(0)} MiB | ${missing} | ${sorted.length}/${events.length} READY: ${(percentile(sorted, 50) / 1000).toFixed(2)} / ${(percentile(sorted, 99) / 1000).toFixed(2)} / ${((sorted.at(-1) ?? Number.NaN) / 1000).toFixed(2)} s |`,
      );
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`load after: ${loadAverage()}`);
  } finally {
    await camera.stop();
  }
});
