import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../support/ports';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { isAlive, probeHls, startMediaHarness, waitFor, waitForStatus, type MediaHarness } from './media-harness';

/** Failure and recovery: a camera that drops and returns, one that never answers, idleness, the cap, a restart. */
describe('stream session lifecycle', () => {
  let harness: MediaHarness;
  let camera: RtspCamera;

  beforeAll(async () => {
    [harness, camera] = await Promise.all([startMediaHarness({ idleTimeoutMs: 120000 }), startRtspCamera()]);
  });
  afterAll(async () => {
    await harness?.close();
    await camera?.stop();
  });

  it('goes RECONNECTING when the camera drops and LIVE again when it returns, counting restarts', async () => {
    await harness.registerCamera('flaky', camera.url('flaky'));
    const session = await harness.manager.start('flaky');
    await waitForStatus(harness.manager, session.id, 'LIVE');
    const firstPid = await waitFor('pid', () => harness.ffmpegPidOf(session.id));

    await camera.stop();
    const reconnecting = await waitForStatus(harness.manager, session.id, 'RECONNECTING');
    expect(reconnecting.restarts).toBeGreaterThanOrEqual(1);
    expect(reconnecting.lastError).toMatch(/ffmpeg/);
    expect(isAlive(firstPid)).toBe(false);

    await camera.start();
    const back = await waitForStatus(harness.manager, session.id, 'LIVE', 30000);
    expect(back.restarts).toBeGreaterThanOrEqual(1);
    expect((await probeHls(harness.playlistUrl(session.id))).codec).toBe('h264');
    expect(harness.ffmpegPids()).toHaveLength(1);
    const published = harness.statuses.filter((m) => m.sessionId === session.id).map((m) => m.status);
    expect(published).toEqual(expect.arrayContaining(['STARTING', 'LIVE', 'RECONNECTING']));
    await harness.manager.stop('flaky');
  });

  it("reconnects to a camera's new URL at once, in the same session", async () => {
    await harness.registerCamera('moved', camera.url('moved-old'));
    const session = await harness.manager.start('moved');
    await waitForStatus(harness.manager, session.id, 'LIVE');
    const oldPid = await waitFor('pid', () => harness.ffmpegPidOf(session.id));
    await harness.changeCameraUrl('moved', camera.url('moved-new'), 2);
    const newPid = await waitFor('new ffmpeg', () => {
      const pid = harness.ffmpegPidOf(session.id);
      return pid !== undefined && pid !== oldPid ? pid : undefined;
    });
    expect(readFileSync(`/proc/${newPid}/cmdline`, 'utf8')).toContain('/moved-new');
    expect(isAlive(oldPid)).toBe(false);
    expect((await waitForStatus(harness.manager, session.id, 'LIVE')).id).toBe(session.id);
    await harness.manager.stop('moved');
  });

  it('recovers from a camera that stalls with its connection open (SIGSTOP)', async () => {
    await harness.registerCamera('stall', camera.url('stall'));
    const session = await harness.manager.start('stall');
    await waitForStatus(harness.manager, session.id, 'LIVE');
    camera.pause();
    try {
      await waitForStatus(harness.manager, session.id, 'RECONNECTING', 20000);
    } finally {
      camera.resume();
    }
    const back = await waitForStatus(harness.manager, session.id, 'LIVE', 30000);
    expect(back.restarts).toBeGreaterThanOrEqual(1);
    await harness.manager.stop('stall');
  });

  it('is FAILED after the bound of attempts, with a lastError that carries no credentials', async () => {
    const closedPort = await freePort();
    const strict = harness.newManager({ maxFailures: 2 });
    await harness.registerCamera('dead', `rtsp://viewer:T0pSecret@127.0.0.1:${closedPort}/x`);
    const session = await strict.start('dead');
    const failed = await waitForStatus(strict, session.id, 'FAILED', 20000);
    expect(failed.lastError).toMatch(/gave up after 2 attempts/);
    expect(failed.lastError).not.toContain('T0pSecret');
    expect(failed.stoppedAt).toBeInstanceOf(Date);
    expect(strict.current('dead')?.status).toBe('FAILED');
    expect(existsSync(path.join(harness.hlsDir, session.id))).toBe(false);
    expect(harness.logs.join('\n')).not.toContain('T0pSecret');
    expect(JSON.stringify(harness.statuses)).not.toContain('T0pSecret');
    expect(await strict.stop('dead')).toMatchObject({ id: session.id, status: 'STOPPED' });
    expect(strict.current('dead')).toBeNull();
  });

  it('stops a session nobody watches, and keeps one that is watched', async () => {
    const idle = harness.newManager({ idleTimeoutMs: 2500 });
    idle.runIdleSweep(200);
    await harness.registerCamera('idle', camera.url('idle'));
    await harness.registerCamera('watched', camera.url('watched'));
    const unwatched = await idle.start('idle');
    const watched = await idle.start('watched');
    // A player polls the playlist about once a segment, from the moment it has the link.
    const watching = setInterval(() => idle.touch(watched.id), 300);
    try {
      await waitForStatus(idle, watched.id, 'LIVE');
      await new Promise((resolve) => setTimeout(resolve, 4000));
    } finally {
      clearInterval(watching);
    }
    const stopped = await waitForStatus(idle, unwatched.id, 'STOPPED', 10000);
    expect(stopped.lastError).toMatch(/nobody watched/);
    expect((await idle.get(watched.id))?.status).toBe('LIVE');
    await idle.stopAll();
  });

  it('answers LIMIT_EXCEEDED over the cap of concurrent sessions', async () => {
    const capped = harness.newManager({ maxSessions: 1 });
    await harness.registerCamera('cap-1', camera.url('cap1'));
    await harness.registerCamera('cap-2', camera.url('cap2'));
    const first = await capped.start('cap-1');
    await expect(capped.start('cap-2')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/maximum of 1/) });
    await capped.stop('cap-1');
    const second = await capped.start('cap-2');
    expect(second.id).not.toBe(first.id);
    await capped.stopAll();
  });

  it('after a restart resumes the sessions left running (same id) and stops those that cannot run', async () => {
    const before = harness.newManager();
    await harness.registerCamera('resume-me', camera.url('resume'));
    await harness.registerCamera('retire-me', camera.url('retire'));
    const keep = await before.start('resume-me');
    const drop = await before.start('retire-me');
    await waitForStatus(before, keep.id, 'LIVE');
    await waitForStatus(before, drop.id, 'LIVE');
    await before.shutdown();
    await harness.decommissionCamera('retire-me', 2);

    const after = harness.newManager();
    await after.resume();
    const resumed = await waitForStatus(after, keep.id, 'LIVE');
    expect(resumed.restarts).toBeGreaterThanOrEqual(1);
    expect((await after.get(drop.id))?.status).toBe('STOPPED');
    expect(existsSync(path.join(harness.hlsDir, drop.id))).toBe(false);
    expect(after.current('resume-me')?.id).toBe(keep.id);
    await after.stopAll();
  });
});
