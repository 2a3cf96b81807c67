/**
 * Media benchmarks against the real engines, real ffmpeg and a real RTSP camera (1280x720, 25 fps,
 * 1 s GOP). Prints figures and the hardware. Usage (after npm run build):
 *   node dist/bench/media/media-bench.js [--starts 12] [--cpu-streams 4] [--max-streams 32] [--window 15]
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import pino from 'pino';
import { sleep } from '../../lib/async/sleep';
import { loadConfig } from '../../lib/config/config';
import { AmqpConnection } from '../../lib/engines/amqp';
import { connectMongo } from '../../lib/engines/mongo';
import { repoRoot } from '../../lib/paths';
import { AmqpStatusPublisher } from '../../subgraphs/media/src/adapters/amqp-status-publisher';
import { MongoCameraRepository } from '../../subgraphs/media/src/adapters/mongo-camera-repository';
import { MongoMemberRegistry } from '../../subgraphs/media/src/adapters/mongo-member-registry';
import { MongoSessionRepository } from '../../subgraphs/media/src/adapters/mongo-session-repository';
import { CameraStore } from '../../subgraphs/media/src/cameras/camera-store';
import { Membership } from '../../subgraphs/media/src/cluster/membership';
import { configureFfmpeg, spawnHlsFfmpeg } from '../../subgraphs/media/src/ffmpeg/ffmpeg-process';
import { findOrphanFfmpeg } from '../../subgraphs/media/src/ffmpeg/orphan-reaper';
import { hlsRouter } from '../../subgraphs/media/src/hls/hls-routes';
import { LinkSigner } from '../../subgraphs/media/src/hls/link-signer';
import { SessionManager } from '../../subgraphs/media/src/sessions/session-manager';
import { hardwareLine, percentile } from '../hardware';

const run = promisify(execFile);

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function startCamera(shared: boolean): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const args = ['-u', path.join(repoRoot, 'scripts/engines/rtsp-camera.py'), '--port', String(port), '--size', '1280x720', '--fps', '25'];
  if (shared) args.push('--shared');
  const child = spawn('/usr/bin/python3', args, { stdio: 'ignore' });
  for (let i = 0; i < 200; i += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return { port, child };
    await sleep(100);
  }
  throw new Error('camera did not start');
}

/** utime + stime of a process in clock ticks (100 per second on Linux). */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const starts = arg('starts', 12);
  const cpuStreams = arg('cpu-streams', 4);
  const maxStreams = arg('max-streams', 32);
  const windowSeconds = arg('window', 15);
  console.log(hardwareLine());

  const config = loadConfig({ ...process.env, SIGHTLINE_NAMESPACE: `benchmedia${process.pid}` });
  const logger = pino({ level: 'silent' });
  const hlsDir = mkdtempSync(path.join(os.tmpdir(), 'bench-media-'));
  configureFfmpeg(config.media.ffmpegPath);
  const mongo = await connectMongo({ url: config.mongodb.url, database: config.namespace });
  const amqp = new AmqpConnection(config.amqp.url, logger, 'bench-media');
  const publisher = new AmqpStatusPublisher(amqp, config.namespace, logger);
  await publisher.init();
  amqp.start();
  await amqp.waitConnected(15000);
  const cameras = new CameraStore(new MongoCameraRepository(mongo.db));
  const manager = new SessionManager({
    hlsDir,
    maxSessions: 1000,
    idleTimeoutMs: 3_600_000,
    rtspTimeoutSeconds: 5,
    maxFailures: 10,
    cameras,
    cameraHosts: config.cameraAllowedHosts,
    repository: new MongoSessionRepository(mongo.db),
    publisher,
    spawn: spawnHlsFfmpeg,
    membership: new Membership({
      registry: new MongoMemberRegistry(mongo.db),
      id: 'bench-media',
      url: 'http://127.0.0.1:1',
      capacity: 1000,
      ttlMs: 8000,
      logger,
    }),
    logger,
  });
  const signer = new LinkSigner(config.media.linkSecret, 3600);
  const app = express();
  app.use('/hls', hlsRouter({ hlsDir, signer, onPlaylistRequest: (id) => manager.touch(id), locate: (id) => manager.locate(id), logger }));
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const link = (id: string) => `${base}/hls/${id}/index.m3u8?${signer.query(id)}`;
  let version = 0;
  const register = async (cameraId: string, url: string) => {
    version += 1;
    await cameras.apply({
      id: `b${version}`,
      streamId: `camera-${cameraId}`,
      version: 1,
      position: version,
      type: 'CameraRegistered',
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
      recordedAt: new Date().toISOString(),
      data: { cameraId, name: cameraId, site: null, rtspUrl: url, tags: [], recording: { enabled: false, retentionHours: 24 } },
      metadata: { correlationId: 'bench', causationId: null, actor: 'bench' },
    });
  };

  const own = await startCamera(false);
  const shared = await startCamera(true);
  try {
    // 1. startStream -> playable playlist (a playlist with a segment that ffprobe decodes).
    const timings: number[] = [];
    for (let i = 0; i < starts; i += 1) {
      await register(`ttp-${i}`, `rtsp://127.0.0.1:${own.port}/ttp${i}`);
      const t0 = performance.now();
      const session = await manager.start(`ttp-${i}`);
      for (let polls = 0; polls < 200; polls += 1) {
        const response = await fetch(link(session.id));
        if (response.ok && (await response.text()).includes('.ts?')) break;
        await sleep(25);
      }
      timings.push(performance.now() - t0);
      await run(
        'ffprobe',
        ['-v', 'error', '-read_intervals', '%+#2', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv', link(session.id)],
        { timeout: 20000 },
      );
      await manager.stop(`ttp-${i}`);
    }
    timings.sort((a, b) => a - b);
    console.log(
      `time to playable playlist (720p copy, ${starts} starts): p50 ${(percentile(timings, 50) / 1000).toFixed(2)} s, p95 ${(percentile(timings, 95) / 1000).toFixed(2)} s, max ${(timings.at(-1)! / 1000).toFixed(2)} s (target < 3 s)`,
    );

    // 2. CPU per copy-mode stream: ffmpeg's own CPU time over a window, per stream.
    const cpuIds: string[] = [];
    for (let i = 0; i < cpuStreams; i += 1) {
      await register(`cpu-${i}`, `rtsp://127.0.0.1:${own.port}/cpu${i}`);
      cpuIds.push((await manager.start(`cpu-${i}`)).id);
    }
    await waitAllLive(manager, cpuIds);
    await sleep(2000);
    const pids = findOrphanFfmpeg(hlsDir);
    const cameraBefore = cpuTicks(own.child.pid!);
    const before = pids.map(cpuTicks);
    const t1 = performance.now();
    await sleep(windowSeconds * 1000);
    const seconds = (performance.now() - t1) / 1000;
    const after = pids.map(cpuTicks);
    const perStream = after.map((ticks, i) => (ticks - before[i]!) / 100 / seconds);
    const cameraShare = (cpuTicks(own.child.pid!) - cameraBefore) / 100 / seconds / cpuStreams;
    console.log(
      `cpu per 720p copy-mode stream (${pids.length} streams, ${seconds.toFixed(0)} s): mean ${(100 * mean(perStream)).toFixed(2)}% of a core, max ${(100 * Math.max(...perStream)).toFixed(2)}% (target < 3%); the test camera's own x264 encode: ${(100 * cameraShare).toFixed(0)}% of a core per stream, not counted`,
    );
    for (let i = 0; i < cpuStreams; i += 1) await manager.stop(`cpu-${i}`);

    // 3. Most concurrent copy-mode streams without dropped segments (shared camera: one encode per path).
    let best = 0;
    let registered = 0;
    for (let n = 4; n <= maxStreams; n *= 2) {
      const ids: string[] = [];
      for (let i = 0; i < n; i += 1) {
        if (i >= registered) {
          await register(`many-${i}`, `rtsp://127.0.0.1:${shared.port}/shared720`);
          registered += 1;
        }
        ids.push((await manager.start(`many-${i}`)).id);
      }
      const allLive = await waitAllLive(manager, ids, 30000);
      await sleep(2000);
      const first = await Promise.all(ids.map((id) => mediaSequence(hlsDir, id)));
      const load0 = os.loadavg()[0]!;
      await sleep(windowSeconds * 1000);
      const last = await Promise.all(ids.map((id) => mediaSequence(hlsDir, id)));
      const sessions = await Promise.all(ids.map((id) => manager.get(id)));
      const produced = last.map((seq, i) => seq - first[i]!);
      const expected = windowSeconds;
      const worst = Math.min(...produced);
      const restarts = sessions.reduce((sum, s) => sum + (s?.restarts ?? 0), 0);
      const ok = allLive && restarts === 0 && worst >= expected - 2;
      console.log(
        `concurrent copy-mode streams ${n}: all LIVE ${allLive}, segments per stream in ${expected} s: min ${worst} max ${Math.max(...produced)}, restarts ${restarts}, load ${load0.toFixed(2)} -> ${ok ? 'sustained' : 'DROPPING'}`,
      );
      for (let i = 0; i < n; i += 1) await manager.stop(`many-${i}`);
      if (!ok) break;
      best = n;
    }
    console.log(`most concurrent 720p copy-mode streams sustained without dropped segments: ${best} (tried up to ${maxStreams}; target >= 16)`);

    // 4. Latency from a source frame's capture to its segment being served. The camera gives each client
    // its own live pipeline that starts capturing at PLAY, so the frame at stream time t was captured at
    // (PLAY + t); PLAY comes after startStream, so using startStream's time overestimates (a bound).
    await register('latency', `rtsp://127.0.0.1:${own.port}/latency`);
    const latencies: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      const t0 = Date.now();
      const session = await manager.start('latency');
      const seen = new Map<string, number>();
      const streamTime = new Map<string, number>();
      let cumulative = 0;
      while (Date.now() - t0 < (windowSeconds + 3) * 1000) {
        const response = await fetch(link(session.id)).catch(() => undefined);
        const now = Date.now();
        const lines = response?.ok ? (await response.text()).split('\n') : [];
        for (let i = 0; i < lines.length; i += 1) {
          const extinf = /^#EXTINF:([\d.]+),/.exec(lines[i]!);
          const name = lines[i + 1]?.split('?')[0];
          if (!extinf || !name || seen.has(name)) continue;
          seen.set(name, now);
          streamTime.set(name, cumulative);
          cumulative += Number(extinf[1]) * 1000;
        }
        await sleep(10);
      }
      // The first two segments also carry ffmpeg's start-up (connect, probe): that is time-to-playable above.
      for (const [name, servedAt] of seen) if (streamTime.get(name)! >= 2000) latencies.push(servedAt - t0 - streamTime.get(name)!);
      await manager.stop('latency');
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `latency from source frame capture to its segment being served (steady state: first frame of each 1 s segment, the worst in it; ${latencies.length} segments; an upper bound): p50 ${(percentile(latencies, 50) / 1000).toFixed(2)} s, p95 ${(percentile(latencies, 95) / 1000).toFixed(2)} s`,
    );
  } finally {
    await manager.stopAll();
    own.child.kill('SIGTERM');
    shared.child.kill('SIGTERM');
    server.close();
    await amqp.close();
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
    rmSync(hlsDir, { recursive: true, force: true });
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

async function waitAllLive(manager: SessionManager, ids: string[], timeoutMs = 20000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const sessions = await Promise.all(ids.map((id) => manager.get(id)));
    if (sessions.every((s) => s?.status === 'LIVE')) return true;
    await sleep(200);
  }
  return false;
}

async function mediaSequence(hlsDir: string, id: string): Promise<number> {
  const playlist = await readFile(path.join(hlsDir, id, 'index.m3u8'), 'utf8').catch(() => '');
  const sequence = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist);
  const segments = playlist.split('\n').filter((line) => line.endsWith('.ts')).length;
  return sequence ? Number(sequence[1]) + segments : 0;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
