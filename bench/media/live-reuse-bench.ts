/**
 * What a live view of a recorded camera costs (bench/media/README.md, "Live views of recorded
 * cameras"): N cameras recorded, then N live sessions served from the recordings (reused), then N
 * live sessions with their own ffmpeg (as a camera not recorded gets), each phase watched by a
 * poller reading every playlist and its newest segment once a second. For each phase, per live view
 * above the recording-only baseline: the CPU of the ffmpeg processes, and of this process (the media
 * service's parts: linking, playlists, serving, and the poller itself); and how many ffmpeg run. Phases alternate `--runs` times.
 * Usage: bash bench/media/run-live-reuse.sh [--cameras 4] [--seconds 20] [--runs 3]
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import express from 'express';
import pino from 'pino';
import { sleep } from '../../lib/async/sleep';
import { MongoMemberRegistry } from '../../subgraphs/media/src/adapters/mongo-member-registry';
import { MongoSessionRepository } from '../../subgraphs/media/src/adapters/mongo-session-repository';
import { Membership } from '../../subgraphs/media/src/cluster/membership';
import { spawnHlsFfmpeg } from '../../subgraphs/media/src/ffmpeg/ffmpeg-process';
import { findOrphanFfmpeg } from '../../subgraphs/media/src/ffmpeg/orphan-reaper';
import { hlsRouter } from '../../subgraphs/media/src/hls/hls-routes';
import { LinkSigner } from '../../subgraphs/media/src/hls/link-signer';
import { SessionManager } from '../../subgraphs/media/src/sessions/session-manager';
import type { StreamSession } from '../../subgraphs/media/src/sessions/session';
import { startRtspCamera } from '../../test/support/rtsp-camera';
import { BENCH_MEMBER, loadAverage, recordingRig, runRecordingBench, startRecording, waitRecording } from './recording-rig';
import { cpuSeconds } from '../process-cpu';

const { values } = parseArgs({
  options: {
    cameras: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
  },
});
const COUNT = Number(values.cameras);
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);

interface Measured {
  ffmpegCpu: number;
  ownCpu: number;
  seconds: number;
  ffmpeg: number;
}

const ownCpu = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

runRecordingBench('benchreuse', async ({ db, root, config }) => {
  const camera = await startRtspCamera({ size: '1280x720', fps: 25, shared: true });
  const logger = pino({ level: 'silent' });
  const dirs = { recordings: path.join(root, 'recordings'), hls: path.join(root, 'hls') };
  const rig = recordingRig(db, config, dirs.recordings);
  const { cameras, recorders } = rig;
  const ids = Array.from({ length: COUNT }, (_, i) => `reuse-c${i}`);
  const signer = new LinkSigner('bench-live-reuse-link-secret', 3600);
  const holder: { manager?: SessionManager } = {};
  const app = express();
  app.use(
    '/hls',
    hlsRouter({
      hlsDir: dirs.hls,
      signer,
      onPlaylistRequest: (id) => holder.manager?.touch(id),
      locate: async (id) => (await holder.manager?.locate(id)) ?? null,
      logger,
    }),
  );
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    await startRecording(rig, ids, () => camera.url('shared'));
    const behind = await waitRecording(recorders, ids, 60000);
    if (behind.length > 0) throw new Error(`recorders not RECORDING after 60 s:\n${behind.join('\n')}`);
    await sleep(3000);

    const ffmpegPids = () => [...findOrphanFfmpeg(dirs.recordings), ...findOrphanFfmpeg(dirs.hls)];
    /**
     * CPU seconds of every ffmpeg this process ran so far: those running, plus those it reaped (the
     * children's time in its own /proc stat), so an ffmpeg that restarts during a window still counts.
     */
    const ffmpegCpu = () => {
      const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
      const reaped = (Number(fields[13]) + Number(fields[14])) / 100;
      return ffmpegPids().reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), reaped);
    };
    /** CPU seconds of every ffmpeg and of this process over the window, while `watch` runs. */
    const measure = async (watch: (() => Promise<void>) | undefined): Promise<Measured> => {
      const before = ffmpegCpu();
      const ownBefore = ownCpu();
      const started = Date.now();
      while (Date.now() - started < SECONDS * 1000) {
        await watch?.();
        await sleep(1000);
      }
      const seconds = (Date.now() - started) / 1000;
      return { ffmpegCpu: ffmpegCpu() - before, ownCpu: ownCpu() - ownBefore, seconds, ffmpeg: ffmpegPids().length };
    };

    const phase = async (reuse: boolean, run: number): Promise<Measured> => {
      const manager = new SessionManager({
        hlsDir: dirs.hls,
        maxSessions: 1000,
        idleTimeoutMs: 3_600_000,
        rtspTimeoutSeconds: 5,
        maxFailures: 10,
        cameras,
        cameraHosts: config.cameraAllowedHosts,
        repository: new MongoSessionRepository(db),
        publisher: { publish: () => undefined },
        spawn: spawnHlsFfmpeg,
        ...(reuse ? { recordings: recorders } : {}),
        membership: new Membership({
          registry: new MongoMemberRegistry(db),
          id: `${BENCH_MEMBER}-${reuse ? 'reuse' : 'own'}-${run}`,
          url: 'http://127.0.0.1:1',
          capacity: 1000,
          ttlMs: 8000,
          logger,
        }),
        logger,
      });
      holder.manager = manager;
      const sessions: StreamSession[] = [];
      for (const id of ids) {
        sessions.push(await manager.start(id));
        // One RTSP connect at a time: the test camera's server refuses many at once.
        if (!reuse) await sleep(1500);
      }
      const liveBy = Date.now() + 60000;
      while (!ids.every((id) => manager.current(id)?.status === 'LIVE')) {
        if (Date.now() > liveBy) throw new Error('sessions not LIVE after 60 s');
        await sleep(200);
      }
      await sleep(2000);
      const watch = async () => {
        for (const session of sessions) {
          const query = signer.query(session.id);
          const playlist = await (await fetch(`${base}/hls/${session.id}/index.m3u8?${query}`)).text();
          const newest = playlist.split('\n').findLast((line) => line.startsWith('seg_'));
          if (newest) await (await fetch(`${base}/hls/${session.id}/${newest}`)).arrayBuffer();
        }
      };
      const result = await measure(watch);
      await manager.stopAll();
      return result;
    };

    const pct = (seconds: number, over: number) => `${((seconds / over) * 100).toFixed(2)}%`;
    console.log('| run | phase | ffmpeg processes | ffmpeg CPU per live view | media process CPU per live view | load |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (let run = 1; run <= RUNS; run += 1) {
      const baseline = await measure(undefined);
      console.log(
        `| ${run} | recording only (${COUNT} cameras), totals | ${baseline.ffmpeg} | ${pct(baseline.ffmpegCpu, baseline.seconds)} | ${pct(baseline.ownCpu, baseline.seconds)} | ${loadAverage()} |`,
      );
      for (const reuse of [true, false]) {
        const result = await phase(reuse, run);
        // Above the recording-only baseline, per live view.
        const ffmpegPerView = (result.ffmpegCpu / result.seconds - baseline.ffmpegCpu / baseline.seconds) / COUNT;
        const ownPerView = (result.ownCpu / result.seconds - baseline.ownCpu / baseline.seconds) / COUNT;
        console.log(
          `| ${run} | ${reuse ? 'served from the recordings' : 'own ffmpeg'} | ${result.ffmpeg} | ${pct(ffmpegPerView, 1)} | ${pct(ownPerView, 1)} | ${loadAverage()} |`,
        );
      }
    }
  } finally {
    await recorders.shutdown();
    await new Promise((resolve) => server.close(resolve));
    await camera.stop();
  }
});
