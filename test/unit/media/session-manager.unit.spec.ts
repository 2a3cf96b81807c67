import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { AppError } from '../../../lib/errors/app-error';
import { CameraHostAllowList } from '../../../lib/security/camera-hosts';
import type {
  CameraHostPolicy,
  FfmpegExit,
  FfmpegHandle,
  HlsJob,
  LiveRecording,
  LiveRecordings,
  LiveSegment,
  SessionCamera,
  SessionRepository,
} from '../../../subgraphs/media/src/sessions/ports';
import { Membership } from '../../../subgraphs/media/src/cluster/membership';
import { SessionManager } from '../../../subgraphs/media/src/sessions/session-manager';
import { MemoryMemberRegistry, MemorySessionRepository } from './memory-session-repository';

/** The session manager's rules with fakes at its boundaries: ffmpeg, the store, the bus. */
describe('SessionManager (fakes at the boundaries)', () => {
  let hlsDir: string;
  const cameras = new Map<string, SessionCamera>([
    ['ok', { id: 'ok', rtspUrl: 'rtsp://127.0.0.1:1/ok', status: 'ACTIVE' }],
    ['ok2', { id: 'ok2', rtspUrl: 'rtsp://127.0.0.1:1/ok2', status: 'ACTIVE' }],
    ['file', { id: 'file', rtspUrl: 'file:///etc/passwd', status: 'ACTIVE' }],
  ]);
  const memoryRepository = new MemorySessionRepository();
  const saved = memoryRepository.saved;
  const anyHost = CameraHostAllowList.parse('').allowList;
  const jobs: HlsJob[] = [];
  const stoppedJobs: HlsJob[] = [];
  /** A fake ffmpeg: 'live' writes a playlist and runs until stopped; 'refused' exits at once like a refused connect. */
  const fakeSpawn =
    (mode: 'live' | 'refused') =>
    (job: HlsJob): FfmpegHandle => {
      jobs.push(job);
      let finish: (exit: FfmpegExit) => void = () => undefined;
      const exited = new Promise<FfmpegExit>((resolve) => (finish = resolve));
      let stopped = false;
      const stop = () => {
        if (!stopped) stoppedJobs.push(job);
        stopped = true;
      };
      if (mode === 'live') setTimeout(() => stopped || writeFileSync(path.join(job.outputDir, 'index.m3u8'), '#EXTM3U\n'), 20);
      else setTimeout(() => finish({ code: 1, signal: null, message: 'ffmpeg exited with code 1: Connection refused' }), 5);
      return {
        pid: () => 4242,
        exited,
        stop: async () => {
          stop();
          finish({ code: 255, signal: null, message: 'ffmpeg exited with code 255' });
          return exited;
        },
      };
    };
  const members = new MemoryMemberRegistry();
  const created: SessionManager[] = [];
  /** A media service that has joined (as main.ts starts it); reconciles only when a test asks. Same id: a restart of the same service. */
  const manager = async (
    options: {
      mode?: 'live' | 'refused';
      repository?: SessionRepository;
      maxSessions?: number;
      maxFailures?: number;
      cameraHosts?: CameraHostPolicy;
      /** Another media service beside the first ('media-unit'). */
      id?: string;
      ttlMs?: number;
      recordings?: LiveRecordings;
    } = {},
  ) => {
    const sessions = new SessionManager({
      hlsDir,
      maxSessions: options.maxSessions ?? 4,
      idleTimeoutMs: 60000,
      rtspTimeoutSeconds: 5,
      maxFailures: options.maxFailures ?? 3,
      cameras: { get: (id) => cameras.get(id) },
      cameraHosts: options.cameraHosts ?? anyHost,
      repository: options.repository ?? memoryRepository,
      publisher: { publish: () => undefined },
      spawn: fakeSpawn(options.mode ?? 'live'),
      ...(options.recordings ? { recordings: options.recordings } : {}),
      membership: new Membership({
        registry: members,
        id: options.id ?? 'media-unit',
        url: 'http://127.0.0.1:1',
        capacity: options.maxSessions ?? 4,
        ttlMs: options.ttlMs ?? 60000,
        logger: pino({ level: 'silent' }),
      }),
      logger: pino({ level: 'silent' }),
    });
    created.push(sessions);
    await sessions.resume(3_600_000);
    return sessions;
  };
  const until = async (probe: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 200 && !(await probe()); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  beforeEach(() => {
    hlsDir = mkdtempSync(path.join(os.tmpdir(), 'media-unit-'));
    jobs.length = 0;
    stoppedJobs.length = 0;
    members.down = false;
    memoryRepository.clear();
  });
  afterEach(async () => {
    await Promise.all(created.splice(0).map((sessions) => sessions.shutdown()));
    members.members.clear();
    rmSync(hlsDir, { recursive: true, force: true });
  });

  it('gives concurrent starts for one camera one session and one ffmpeg, then LIVE', async () => {
    const sessions = await manager();
    const started = await Promise.all([1, 2, 3, 4, 5].map(() => sessions.start('ok')));
    expect(new Set(started.map((s) => s.id)).size).toBe(1);
    await until(() => sessions.current('ok')?.status === 'LIVE');
    expect(sessions.current('ok')?.status).toBe('LIVE');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ url: 'rtsp://127.0.0.1:1/ok', transcode: false, startNumber: 0 });
    await sessions.stopAll();
  });

  it('spawns nothing for a stored URL that is not RTSP, and nothing when the session store is down', async () => {
    await expect((await manager()).start('file')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    const down: SessionRepository = Object.assign(new MemorySessionRepository(), {
      insert: async () => Promise.reject(new AppError('UNAVAILABLE', 'mongodb is unavailable')),
    });
    const sessions = await manager({ repository: down });
    await expect(sessions.start('ok')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(sessions.current('ok')).toBeNull();
    expect(jobs).toHaveLength(0);
  });

  it('counts starting sessions against the cap', async () => {
    const sessions = await manager({ maxSessions: 1 });
    const [first, second] = await Promise.allSettled([sessions.start('ok'), sessions.start('ok2')]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'LIMIT_EXCEEDED' } });
    await sessions.stopAll();
  });

  it("retries with backoff and is FAILED after the bound, keeping the camera's liveStream until stopped", async () => {
    const sessions = await manager({ mode: 'refused', maxFailures: 2 });
    const session = await sessions.start('ok');
    await until(() => sessions.current('ok')?.status === 'FAILED');
    expect(sessions.current('ok')).toMatchObject({
      id: session.id,
      status: 'FAILED',
      restarts: 1,
      lastError: expect.stringMatching(/gave up after 2 attempts: .*refused/),
    });
    expect(jobs).toHaveLength(2);
    expect(saved.get(session.id)?.status).toBe('FAILED');
    // Starting again replaces the FAILED session with a new one.
    const again = await sessions.start('ok');
    expect(again.id).not.toBe(session.id);
    expect(saved.get(session.id)?.status).toBe('STOPPED');
    await sessions.stopAll();
  });

  it('refuses a camera whose host CAMERA_ALLOWED_HOSTS does not allow, naming the host, and spawns nothing', async () => {
    const sessions = await manager({ cameraHosts: CameraHostAllowList.parse('127.0.0.2').allowList });
    const error = await sessions.start('ok').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('camera host 127.0.0.1 is not allowed'),
      details: { host: '127.0.0.1', cameraId: 'ok' },
    });
    expect(sessions.current('ok')).toBeNull();
    expect(saved.size).toBe(0);
    expect(jobs).toHaveLength(0);
  });

  it('checks the host again before every spawn: a URL moved outside the allow-list ends the session without a new ffmpeg', async () => {
    let allowed = true;
    const policy: CameraHostPolicy = {
      check: async (url) => {
        if (!allowed) throw new AppError('BAD_USER_INPUT', `camera host ${new URL(url).hostname} is not allowed by CAMERA_ALLOWED_HOSTS`);
      },
    };
    const sessions = await manager({ cameraHosts: policy });
    const session = await sessions.start('ok');
    await until(() => sessions.current('ok')?.status === 'LIVE');
    allowed = false;
    sessions.cameraUrlChanged('ok');
    await until(() => sessions.current('ok')?.status === 'FAILED');
    expect(sessions.current('ok')).toMatchObject({
      id: session.id,
      status: 'FAILED',
      lastError: expect.stringContaining('camera host 127.0.0.1 is not allowed'),
    });
    expect(jobs).toHaveLength(1);
  });

  it('counts a host that cannot be checked now (DNS down) as a failed attempt and retries, instead of giving up', async () => {
    let dnsUp = true;
    const policy: CameraHostPolicy = {
      check: async () => {
        if (!dnsUp) throw new AppError('UNAVAILABLE', 'camera host cam.example.org could not be resolved now (EAI_AGAIN); try again');
      },
    };
    const sessions = await manager({ cameraHosts: policy, mode: 'refused', maxFailures: 5 });
    await sessions.start('ok');
    await until(() => jobs.length === 1);
    dnsUp = false;
    await until(() => sessions.current('ok')?.lastError?.includes('EAI_AGAIN') === true);
    expect(sessions.current('ok')).toMatchObject({ status: 'RECONNECTING', lastError: expect.stringContaining('could not be resolved now') });
    dnsUp = true;
    await until(() => jobs.length === 2);
    expect(jobs).toHaveLength(2);
    await sessions.stopAll();
  });

  describe('streamSessions pages', () => {
    /** Sessions of cameras c1..cN, started (and, but for the listed ones, stopped) one after the other: newest is cN. */
    const history = async (sessions: SessionManager, count: number, keepRunning: readonly number[] = []) => {
      const ids: string[] = [];
      for (let i = 1; i <= count; i += 1) {
        cameras.set(`c${i}`, { id: `c${i}`, rtspUrl: `rtsp://127.0.0.1:1/c${i}`, status: 'ACTIVE' });
        ids.push((await sessions.start(`c${i}`)).id);
        if (!keepRunning.includes(i)) await sessions.stop(`c${i}`);
      }
      return ids.reverse();
    };
    const idsOf = (list: Array<{ id: string }>) => list.map((s) => s.id);

    it('lists newest first, `first` at a time, continuing after the id of the last one received', async () => {
      const sessions = await manager({ maxSessions: 50 });
      const newestFirst = await history(sessions, 12);
      const page1 = await sessions.list({ first: 5 });
      expect(idsOf(page1)).toEqual(newestFirst.slice(0, 5));
      const page2 = await sessions.list({ first: 5, after: page1[4]!.id });
      expect(idsOf(page2)).toEqual(newestFirst.slice(5, 10));
      const page3 = await sessions.list({ first: 5, after: page2[4]!.id });
      expect(idsOf(page3)).toEqual(newestFirst.slice(10));
      expect(idsOf(await sessions.list())).toEqual(newestFirst);
      await sessions.stopAll();
    });

    it('reads only as many places as the page needs, not the whole history', async () => {
      const sessions = await manager({ maxSessions: 50 });
      const newestFirst = await history(sessions, 40);
      memoryRepository.placesRead = 0;
      expect(idsOf(await sessions.list({ first: 3, after: newestFirst[10] }))).toEqual(newestFirst.slice(11, 14));
      expect(memoryRepository.placesRead).toBe(3);
      await sessions.stopAll();
    });

    it('filters by status: unfinished statuses come from memory without reading the history', async () => {
      const sessions = await manager({ maxSessions: 50 });
      const newestFirst = await history(sessions, 10, [2, 5, 9]);
      memoryRepository.placesRead = 0;
      const running = await sessions.list({ statuses: ['STARTING', 'LIVE'] });
      expect(idsOf(running)).toEqual([newestFirst[1], newestFirst[5], newestFirst[8]]);
      expect(idsOf(await sessions.list({ statuses: ['STARTING', 'LIVE'], first: 1, after: newestFirst[1] }))).toEqual([newestFirst[5]]);
      expect(memoryRepository.placesRead).toBe(0);
      const stopped = await sessions.list({ statuses: ['STOPPED'], first: 4 });
      expect(idsOf(stopped)).toEqual([newestFirst[0], newestFirst[2], newestFirst[3], newestFirst[4]]);
      await sessions.stopAll();
    });

    it('refuses a page size outside 1..500 and an unknown `after`', async () => {
      const sessions = await manager();
      await expect(sessions.list({ first: 0 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(sessions.list({ first: 501 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(sessions.list({ after: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    });

    it("takes back FAILED sessions after a restart: still the camera's liveStream and listed as FAILED", async () => {
      const before = await manager({ mode: 'refused', maxFailures: 1 });
      const session = await before.start('ok');
      await until(() => before.current('ok')?.status === 'FAILED');
      const after = await manager();
      await after.resume();
      expect(after.current('ok')).toMatchObject({ id: session.id, status: 'FAILED' });
      expect(idsOf(await after.list({ statuses: ['FAILED'] }))).toEqual([session.id]);
    });
  });

  describe('a camera recorded by this service', () => {
    /** A recorder as the sessions see it: segment files in its own folder, listed while it records. */
    class FakeRecording implements LiveRecording {
      recording = true;
      lastError: string | null = null;
      readonly dir = mkdtempSync(path.join(os.tmpdir(), 'media-unit-rec-'));
      readonly segments: LiveSegment[] = [];
      add(count = 1): void {
        for (let i = 0; i < count; i += 1) {
          const n = this.segments.length;
          const file = path.join(this.dir, `seg_${String(500 + n).padStart(5, '0')}.ts`);
          writeFileSync(file, `segment ${n}`);
          this.segments.push({ file, start: Date.parse('2026-12-02T12:00:00Z') + n * 1000, durationMs: 1000 });
        }
      }
      async recent(): Promise<LiveSegment[]> {
        return this.recording ? this.segments.slice(-6) : [];
      }
    }
    let recording: FakeRecording;
    const recordings = (recordedBy?: string): LiveRecordings => ({
      of: (cameraId) => (cameraId === 'ok' ? recording : undefined),
      recordedBy: (cameraId) => (cameraId === 'ok' ? recordedBy : undefined),
    });
    const playlistOf = (sessionId: string) => readFileSync(path.join(hlsDir, sessionId, 'index.m3u8'), 'utf8');
    const listed = (sessionId: string) =>
      playlistOf(sessionId)
        .split('\n')
        .filter((line) => line.startsWith('seg_'));

    beforeEach(() => {
      recording = new FakeRecording();
      recording.add(2);
    });
    afterEach(() => rmSync(recording.dir, { recursive: true, force: true }));

    it('serves the recording instead of spawning ffmpeg: LIVE, a sliding playlist of links; stopping leaves the recording', async () => {
      const sessions = await manager({ recordings: recordings('media-unit') });
      const session = await sessions.start('ok');
      await until(() => sessions.current('ok')?.status === 'LIVE');
      expect(sessions.current('ok')?.status).toBe('LIVE');
      expect(listed(session.id)).toEqual(['seg_00000.ts', 'seg_00001.ts']);
      // Seven more at once: the recording lists its last six, which take the session's next numbers.
      recording.add(7);
      await until(() => listed(session.id).at(-1) === 'seg_00007.ts');
      expect(listed(session.id)).toEqual([2, 3, 4, 5, 6, 7].map((n) => `seg_0000${n}.ts`));
      expect(playlistOf(session.id)).toContain('#EXT-X-MEDIA-SEQUENCE:2');
      // The session's files are links to the recording's, not copies, and it spawned no ffmpeg.
      expect(statSync(path.join(hlsDir, session.id, 'seg_00007.ts')).ino).toBe(statSync(recording.segments[8]!.file).ino);
      expect(jobs).toHaveLength(0);

      await sessions.stop('ok');
      expect(existsSync(path.join(hlsDir, session.id))).toBe(false);
      for (const segment of recording.segments) expect(existsSync(segment.file)).toBe(true);
    });

    it('falls back to its own ffmpeg when the recording stops (RECONNECTING, restarts + 1), and returns to it once it records again', async () => {
      const sessions = await manager({ recordings: recordings('media-unit') });
      const session = await sessions.start('ok');
      await until(() => sessions.current('ok')?.status === 'LIVE');
      recording.recording = false;
      recording.lastError = 'ffmpeg exited with code 1: Connection refused';
      await until(() => sessions.current('ok')?.status === 'RECONNECTING');
      expect(sessions.current('ok')).toMatchObject({
        status: 'RECONNECTING',
        restarts: 1,
        lastError: expect.stringMatching(/recording it served stopped: ffmpeg exited/),
      });
      await until(() => jobs.length === 1 && sessions.current('ok')?.status === 'LIVE');
      expect(jobs[0]).toMatchObject({ url: 'rtsp://127.0.0.1:1/ok', outputDir: path.join(hlsDir, session.id) });
      expect(sessions.current('ok')?.status).toBe('LIVE');

      recording.recording = true;
      recording.add();
      await until(() => stoppedJobs.length === 1 && listed(session.id).length > 0);
      expect(stoppedJobs).toHaveLength(1);
      expect(jobs).toHaveLength(1);
      expect(sessions.current('ok')).toMatchObject({ status: 'LIVE', restarts: 1 });
      await sessions.stopAll();
    });

    it('is placed on the service that records the camera while it has room, even when that one is busier', async () => {
      const a = await manager({ id: 'a', recordings: recordings('b') });
      const b = await manager({ id: 'b', recordings: recordings('b') });
      await b.start('ok2');
      expect(memoryRepository.active.get('ok2')?.owner).toBe('b');
      // 'a' runs nothing and is asked: the least loaded rule alone would keep it there.
      await a.start('ok');
      expect(memoryRepository.active.get('ok')?.owner).toBe('b');
    });
  });

  describe('several media services on one store', () => {
    it('places a new session on the less loaded service, which runs it from its next reconcile', async () => {
      const a = await manager({ id: 'a' });
      const b = await manager({ id: 'b' });
      const first = await a.start('ok');
      const second = await a.start('ok2');
      expect(memoryRepository.active.get('ok')?.owner).toBe('a');
      expect(memoryRepository.active.get('ok2')?.owner).toBe('b');
      expect(a.current('ok2')).toBeNull();
      await b.reconcile();
      await until(() => b.current('ok2')?.status === 'LIVE');
      expect(b.current('ok2')).toMatchObject({ id: second.id, status: 'LIVE', restarts: 0 });
      expect(jobs.map((job) => path.basename(job.outputDir)).sort()).toEqual([first.id, second.id].sort());
    });

    it("takes over a dead service's session (same id, RECONNECTING then LIVE, restarts + 1), and the former owner halts its ffmpeg and writes nothing more", async () => {
      const a = await manager({ id: 'a' });
      const b = await manager({ id: 'b' });
      const session = await a.start('ok');
      await until(() => a.current('ok')?.status === 'LIVE');
      // a stops renewing (a stall, a partition): the others see its entry expire.
      members.members.set('a', { ...members.members.get('a')!, expiresAt: new Date(Date.now() - 1) });
      await b.reconcile();
      expect(memoryRepository.active.get('ok')?.owner).toBe('b');
      expect(b.current('ok')).toMatchObject({ id: session.id, status: 'RECONNECTING', restarts: 1 });
      await until(() => b.current('ok')?.status === 'LIVE');
      expect(memoryRepository.ownership.get(session.id)).toMatchObject({ owner: 'b', lease: 2 });

      // a wakes up: its lease is gone, so its ffmpeg ends and its record stays b's.
      await a.reconcile();
      expect(a.current('ok')).toBeNull();
      expect(stoppedJobs.map((job) => job.outputDir)).toEqual([path.join(hlsDir, session.id)]);
      expect(await memoryRepository.save({ ...session, status: 'STOPPED' }, 1)).toBe(false);
      expect(memoryRepository.saved.get(session.id)?.status).toBe('LIVE');
    });

    it('stops a session running on another service: its owner is fenced off and halts its ffmpeg', async () => {
      const a = await manager({ id: 'a' });
      const b = await manager({ id: 'b' });
      const session = await a.start('ok');
      await until(() => a.current('ok')?.status === 'LIVE');
      expect(await b.stop('ok')).toMatchObject({ id: session.id, status: 'STOPPED' });
      expect(memoryRepository.active.has('ok')).toBe(false);
      await a.reconcile();
      expect(a.current('ok')).toBeNull();
      expect(stoppedJobs).toHaveLength(1);
      expect(memoryRepository.saved.get(session.id)?.status).toBe('STOPPED');
    });

    it('halts its sessions once it could not renew its membership for most of the TTL', async () => {
      const a = await manager({ id: 'a', ttlMs: 400 });
      await a.start('ok');
      await until(() => a.current('ok')?.status === 'LIVE');
      members.down = true;
      await new Promise((resolve) => setTimeout(resolve, 450));
      await a.reconcile();
      expect(a.current('ok')).toBeNull();
      expect(stoppedJobs).toHaveLength(1);
    });
  });
});
