import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../lib/errors/app-error';
import { CameraHostAllowList } from '../../../lib/security/camera-hosts';
import { LinkSigner } from '../../../subgraphs/media/src/hls/link-signer';
import { reactToCameraChanges } from '../../../subgraphs/media/src/sessions/camera-reactions';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { isAlive, LINK_SECRET, probeHls, startMediaHarness, waitFor, waitForStatus, type MediaHarness } from './media-harness';

/** RTSP -> HLS sessions against a real camera, real ffmpeg, MongoDB and RabbitMQ. */
describe('stream sessions', () => {
  let harness: MediaHarness;
  let camera: RtspCamera;

  beforeAll(async () => {
    [harness, camera] = await Promise.all([startMediaHarness(), startRtspCamera()]);
    await harness.registerCamera('cam-a', camera.url('a', 'admin:s3cretPa55'));
    await harness.registerCamera('cam-b', camera.url('b'));
  });
  afterAll(async () => {
    await harness?.close();
    await camera?.stop();
  });

  it('goes STARTING -> LIVE and serves a playlist that ffprobe decodes, through signed links', async () => {
    const started = await harness.manager.start('cam-a');
    expect(started.status).toBe('STARTING');
    const live = await waitForStatus(harness.manager, started.id, 'LIVE');
    expect(live.restarts).toBe(0);

    const probe = await probeHls(harness.playlistUrl(started.id));
    expect(probe).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(probe.frames).toBeGreaterThan(0);

    const stored = await harness.mongo.db.collection('media_sessions').findOne({ _id: started.id as never });
    expect(stored?.status).toBe('LIVE');
    await waitFor('LIVE published', () => harness.statuses.some((m) => m.sessionId === started.id && m.status === 'LIVE'));
    expect(harness.statuses.find((m) => m.sessionId === started.id)?.status).toBe('STARTING');
    expect(harness.manager.current('cam-a')?.id).toBe(started.id);
  });

  it('answers concurrent starts for one camera with one session and one ffmpeg', async () => {
    const before = harness.ffmpegPids().length;
    const sessions = await Promise.all(Array.from({ length: 5 }, () => harness.manager.start('cam-b')));
    expect(new Set(sessions.map((s) => s.id)).size).toBe(1);
    const id = sessions[0]!.id;
    await waitForStatus(harness.manager, id, 'LIVE');
    expect(harness.ffmpegPids().length).toBe(before + 1);
    expect((await harness.manager.start('cam-b')).id).toBe(id);
  });

  it('stopStream kills ffmpeg, removes the files, and frees the camera', async () => {
    const session = await harness.manager.start('cam-b');
    const live = await waitForStatus(harness.manager, session.id, 'LIVE');
    const pid = await waitFor('ffmpeg pid', () => harness.ffmpegPidOf(live.id));
    const dir = path.join(harness.hlsDir, live.id);
    expect(existsSync(dir)).toBe(true);

    const stopped = await harness.manager.stop('cam-b');
    expect(stopped).toMatchObject({ id: live.id, status: 'STOPPED' });
    expect(stopped?.stoppedAt).toBeInstanceOf(Date);
    await waitFor('ffmpeg gone', () => !isAlive(pid), 5000);
    expect(existsSync(dir)).toBe(false);
    expect(harness.manager.current('cam-b')).toBeNull();
    expect(await harness.manager.stop('cam-b')).toBeNull();
    const response = await fetch(harness.playlistUrl(live.id));
    expect(response.status).toBe(404);
  });

  it('refuses unknown and decommissioned cameras and cameras whose stored URL is not RTSP, spawning nothing', async () => {
    await expect(harness.manager.start('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const dangerous = [
      'file:///etc/passwd',
      'http://127.0.0.1:9/x',
      'concat:/etc/passwd|/etc/hosts',
      'subfile:,start,0,end,0,:/etc/passwd',
      'rtsp://127.0.0.1/a b',
      'rtsp://127.0.0.1/a\n-i /etc/passwd',
      '/etc/passwd',
      'rtsp:///nohost',
    ];
    const ffmpegBefore = harness.ffmpegPids().length;
    for (const [index, url] of dangerous.entries()) {
      const cameraId = `bad-${index}`;
      await harness.registerCamera(cameraId, url);
      const error = await harness.manager.start(cameraId).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(harness.manager.current(cameraId)).toBeNull();
    }
    await harness.registerCamera('retired', camera.url('r'));
    await harness.decommissionCamera('retired', 2);
    await expect(harness.manager.start('retired')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(harness.ffmpegPids()).toHaveLength(ffmpegBefore);
    expect(harness.statuses.filter((m) => m.cameraId.startsWith('bad-') || m.cameraId === 'retired')).toEqual([]);
  });

  it('refuses a camera whose host is outside CAMERA_ALLOWED_HOSTS before any ffmpeg runs, by address and by resolved name', async () => {
    const onlyOther = harness.newManager({ cameraHosts: CameraHostAllowList.parse('127.0.0.2,cam.example.org').allowList });
    // The camera really listens on 127.0.0.1: only the allow-list stands between the URL and ffmpeg.
    await harness.registerCamera('outside-ip', camera.url('outside', 'admin:0utsidePw'));
    await harness.registerCamera('outside-name', `rtsp://localhost:${camera.port}/outside`);
    const ffmpegBefore = harness.ffmpegPids().length;
    const stored = async (cameraId: string) => harness.mongo.db.collection('media_sessions').countDocuments({ cameraId });

    const byAddress = await onlyOther.start('outside-ip').catch((e: unknown) => e);
    expect(byAddress).toMatchObject({ code: 'BAD_USER_INPUT', details: { host: '127.0.0.1', cameraId: 'outside-ip' } });
    expect((byAddress as Error).message).toMatch(/camera host 127\.0\.0\.1 is not allowed by CAMERA_ALLOWED_HOSTS/);
    expect((byAddress as Error).message).not.toContain('0utsidePw');
    const byName = await onlyOther.start('outside-name').catch((e: unknown) => e);
    expect(byName).toMatchObject({ code: 'BAD_USER_INPUT', details: { host: 'localhost' } });
    expect((byName as Error).message).toMatch(/camera host localhost is not allowed .*resolves to 127\.0\.0\.1/);

    expect(harness.ffmpegPids()).toHaveLength(ffmpegBefore);
    expect(onlyOther.current('outside-ip')).toBeNull();
    expect(await stored('outside-ip')).toBe(0);
    expect(await stored('outside-name')).toBe(0);
    expect(harness.statuses.filter((m) => m.cameraId.startsWith('outside-'))).toEqual([]);

    // The same cameras stream once their network is allowed (the name resolves into it).
    const loopback = harness.newManager({ cameraHosts: CameraHostAllowList.parse('127.0.0.0/8').allowList });
    const live = await loopback.start('outside-name');
    await waitForStatus(loopback, live.id, 'LIVE');
    await loopback.stopAll();
  });

  it('ends a session whose camera moves to a host outside CAMERA_ALLOWED_HOSTS, without starting ffmpeg for it', async () => {
    const strict = harness.newManager({ cameraHosts: CameraHostAllowList.parse('127.0.0.1').allowList });
    reactToCameraChanges(harness.cameras, strict);
    await harness.registerCamera('mover', camera.url('mover'));
    const session = await strict.start('mover');
    await waitForStatus(strict, session.id, 'LIVE');
    const pid = await waitFor('ffmpeg pid', () => harness.ffmpegPidOf(session.id));
    await harness.changeCameraUrl('mover', `rtsp://127.0.0.3:${camera.port}/mover`, 2);
    const failed = await waitForStatus(strict, session.id, 'FAILED');
    expect(failed.lastError).toMatch(/camera host 127\.0\.0\.3 is not allowed/);
    await waitFor('old ffmpeg gone', () => !isAlive(pid), 5000);
    expect(harness.ffmpegPids(session.id)).toEqual([]);
    const commandLines = harness.ffmpegPids().map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8');
      } catch {
        return ''; // exited meanwhile
      }
    });
    expect(commandLines.filter((line) => line.includes('127.0.0.3'))).toEqual([]);
    await strict.stopAll();
  });

  it('refuses tampered and expired links (403) and any path outside a session folder (404)', async () => {
    const session = await harness.manager.start('cam-a');
    await waitForStatus(harness.manager, session.id, 'LIVE');
    const good = new URL(harness.playlistUrl(session.id));
    expect((await fetch(good)).status).toBe(200);

    const tampered = new URL(good);
    tampered.searchParams.set('sig', `${good.searchParams.get('sig')!.slice(0, -2)}xx`);
    expect((await fetch(tampered)).status).toBe(403);
    const moved = new URL(good);
    moved.searchParams.set('exp', String(Number(good.searchParams.get('exp')) + 10));
    expect((await fetch(moved)).status).toBe(403);
    const expiredExp = Math.floor(Date.now() / 1000) - 5;
    const past = new LinkSigner(LINK_SECRET, 1, () => (expiredExp - 1) * 1000).sign(session.id);
    expect((await fetch(`${harness.baseUrl}/hls/${session.id}/index.m3u8?exp=${past.exp}&sig=${past.sig}`)).status).toBe(403);
    expect((await fetch(`${harness.baseUrl}/hls/${session.id}/index.m3u8`)).status).toBe(403);

    const query = good.search;
    for (const bad of [
      `/hls/${session.id}/..%2F..%2F..%2Fetc%2Fpasswd${query}`,
      `/hls/${session.id}/%2e%2e${query}`,
      `/hls/..%2F${session.id}/index.m3u8${query}`,
      `/hls/${session.id}/index.m3u8.tmp${query}`,
      `/hls/${session.id}/seg_1.ts%00.m3u8${query}`,
      `/hls/${session.id}${query}`,
    ]) {
      const response = await fetch(`${harness.baseUrl}${bad}`);
      expect([bad, response.status]).toEqual([bad, 404]);
    }
    // A link for one session opens no other.
    const other = await harness.manager.start('cam-b');
    const otherUrl = `${harness.baseUrl}/hls/${other.id}/index.m3u8${query}`;
    expect((await fetch(otherUrl)).status).toBe(403);
    await harness.manager.stop('cam-b');
  });

  it('transcodes to H.264 only when the camera sends another codec', async () => {
    const vp8 = await startRtspCamera({ script: path.join(__dirname, 'vp8-camera.py') });
    try {
      await harness.registerCamera('vp8', vp8.url('v'));
      const session = await harness.manager.start('vp8');
      const live = await waitForStatus(harness.manager, session.id, 'LIVE', 30000);
      expect(live.restarts).toBe(0);
      // Under load the first (copy-mode) ffmpeg may still be on its way out when LIVE is seen:
      // what matters is that the one left running transcodes.
      const argv = await waitFor('a transcoding ffmpeg', () => {
        const pid = harness.ffmpegPidOf(session.id);
        try {
          const args = pid ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') : [];
          return args.includes('libx264') && args;
        } catch {
          return false; // that ffmpeg just exited
        }
      });
      expect(argv).toEqual(expect.arrayContaining(['-c:v', 'libx264']));
      expect(await probeHls(harness.playlistUrl(session.id))).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      await harness.manager.stop('vp8');
    } finally {
      await vp8.stop();
    }
    // The H.264 camera's session copies.
    const copy = await harness.manager.start('cam-a');
    await waitForStatus(harness.manager, copy.id, 'LIVE');
    const copyPid = await waitFor('ffmpeg', () => harness.ffmpegPidOf(copy.id));
    expect(readFileSync(`/proc/${copyPid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['-c:v', 'copy']));
  });

  it('never shows the camera credentials in logs, errors, status messages or API values', async () => {
    await harness.manager.stop('cam-a');
    const session = await harness.manager.start('cam-a');
    await waitForStatus(harness.manager, session.id, 'LIVE');
    await harness.manager.stop('cam-a');
    const everything = [harness.logs.join('\n'), JSON.stringify(harness.statuses), JSON.stringify(await harness.manager.list())].join('\n');
    expect(everything).not.toContain('s3cretPa55');
  });
});
