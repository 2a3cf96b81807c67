import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { AppError } from '../../../lib/errors/app-error';
import type { MediaCamera } from '../../../subgraphs/media/src/cameras/media-camera';
import type { FfmpegExit, FfmpegHandle } from '../../../subgraphs/media/src/ffmpeg/ffmpeg-process';
import type { HlsJob } from '../../../subgraphs/media/src/ffmpeg/hls-args';
import type { SessionRepository } from '../../../subgraphs/media/src/sessions/ports';
import { SessionManager } from '../../../subgraphs/media/src/sessions/session-manager';
import type { StreamSession } from '../../../subgraphs/media/src/sessions/session';

/** The session manager's rules with fakes at its boundaries: ffmpeg, the store, the bus. */
describe('SessionManager (fakes at the boundaries)', () => {
  let hlsDir: string;
  const cameras = new Map<string, MediaCamera>([
    ['ok', { id: 'ok', rtspUrl: 'rtsp://127.0.0.1:1/ok', status: 'ACTIVE', version: 1 }],
    ['ok2', { id: 'ok2', rtspUrl: 'rtsp://127.0.0.1:1/ok2', status: 'ACTIVE', version: 1 }],
    ['file', { id: 'file', rtspUrl: 'file:///etc/passwd', status: 'ACTIVE', version: 1 }],
  ]);
  const saved = new Map<string, StreamSession>();
  const memoryRepository: SessionRepository = {
    save: async (s) => void saved.set(s.id, s),
    get: async (id) => saved.get(id) ?? null,
    recent: async () => [...saved.values()],
    active: async () => [],
  };
  const jobs: HlsJob[] = [];
  /** A fake ffmpeg: 'live' writes a playlist and runs until stopped; 'refused' exits at once like a refused connect. */
  const fakeSpawn = (mode: 'live' | 'refused') => (job: HlsJob): FfmpegHandle => {
    jobs.push(job);
    let finish: (exit: FfmpegExit) => void = () => undefined;
    const exited = new Promise<FfmpegExit>((resolve) => (finish = resolve));
    if (mode === 'live') setTimeout(() => writeFileSync(path.join(job.outputDir, 'index.m3u8'), '#EXTM3U\n'), 20);
    else setTimeout(() => finish({ code: 1, signal: null, message: 'ffmpeg exited with code 1: Connection refused' }), 5);
    return {
      pid: () => 4242,
      exited,
      stop: async () => {
        finish({ code: 255, signal: null, message: 'ffmpeg exited with code 255' });
        return exited;
      },
    };
  };
  const manager = (options: { mode?: 'live' | 'refused'; repository?: SessionRepository; maxSessions?: number; maxFailures?: number } = {}) =>
    new SessionManager({
      hlsDir,
      maxSessions: options.maxSessions ?? 4,
      idleTimeoutMs: 60000,
      rtspTimeoutSeconds: 5,
      maxFailures: options.maxFailures ?? 3,
      cameras: { get: (id) => cameras.get(id) },
      repository: options.repository ?? memoryRepository,
      publisher: { publish: () => undefined },
      spawn: fakeSpawn(options.mode ?? 'live'),
      logger: pino({ level: 'silent' }),
    });
  const until = async (probe: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 200 && !(await probe()); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
  };

  beforeEach(() => {
    hlsDir = mkdtempSync(path.join(os.tmpdir(), 'media-unit-'));
    jobs.length = 0;
    saved.clear();
  });
  afterEach(() => rmSync(hlsDir, { recursive: true, force: true }));

  it('gives concurrent starts for one camera one session and one ffmpeg, then LIVE', async () => {
    const sessions = manager();
    const started = await Promise.all([1, 2, 3, 4, 5].map(() => sessions.start('ok')));
    expect(new Set(started.map((s) => s.id)).size).toBe(1);
    await until(() => sessions.current('ok')?.status === 'LIVE');
    expect(sessions.current('ok')?.status).toBe('LIVE');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ url: 'rtsp://127.0.0.1:1/ok', transcode: false, startNumber: 0 });
    await sessions.stopAll();
  });

  it('spawns nothing for a stored URL that is not RTSP, and nothing when the session store is down', async () => {
    await expect(manager().start('file')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    const down: SessionRepository = { ...memoryRepository, save: async () => Promise.reject(new AppError('UNAVAILABLE', 'mongodb is unavailable')) };
    const sessions = manager({ repository: down });
    await expect(sessions.start('ok')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(sessions.current('ok')).toBeNull();
    expect(jobs).toHaveLength(0);
  });

  it('counts starting sessions against the cap', async () => {
    const sessions = manager({ maxSessions: 1 });
    const [first, second] = await Promise.allSettled([sessions.start('ok'), sessions.start('ok2')]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'LIMIT_EXCEEDED' } });
    await sessions.stopAll();
  });

  it('retries with backoff and is FAILED after the bound, keeping the camera\'s liveStream until stopped', async () => {
    const sessions = manager({ mode: 'refused', maxFailures: 2 });
    const session = await sessions.start('ok');
    await until(() => sessions.current('ok')?.status === 'FAILED');
    expect(sessions.current('ok')).toMatchObject({ id: session.id, status: 'FAILED', restarts: 1, lastError: expect.stringMatching(/gave up after 2 attempts: .*refused/) });
    expect(jobs).toHaveLength(2);
    expect(saved.get(session.id)?.status).toBe('FAILED');
    // Starting again replaces the FAILED session with a new one.
    const again = await sessions.start('ok');
    expect(again.id).not.toBe(session.id);
    expect(saved.get(session.id)?.status).toBe('STOPPED');
    await sessions.stopAll();
  });
});
