import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../../lib/errors/app-error';
import type { Logger } from '../../../../lib/logging/logger';
import { CameraAdmission, startRefusal } from './camera-admission';
import type { CameraDirectory, CameraHostPolicy, SessionRepository, SpawnFfmpeg, StatusPublisher } from './ports';
import { pageOfSessions, type PageQuery } from './session-pages';
import { SessionRunner } from './session-runner';
import { isActive, type StreamSession } from './session';

export interface SessionManagerOptions {
  hlsDir: string;
  maxSessions: number;
  idleTimeoutMs: number;
  rtspTimeoutSeconds: number;
  maxFailures: number;
  cameras: CameraDirectory;
  /** CAMERA_ALLOWED_HOSTS: checked when a session starts and before every ffmpeg spawn. */
  cameraHosts: CameraHostPolicy;
  repository: SessionRepository;
  publisher: StatusPublisher;
  spawn: SpawnFfmpeg;
  logger: Logger;
}

/** STOPPED sessions kept in memory for quick reads; older ones are read from the repository. */
const STOPPED_KEPT = 500;

/**
 * The sessions of this media process. One session per camera at a time: concurrent starts for a
 * camera share one promise, so they yield one session and one ffmpeg. Sessions persist in the
 * repository on every change; after a restart, the ones a previous process left running are resumed
 * (a new ffmpeg in the same folder, same id, so handed-out links keep working) or, if their camera
 * can no longer stream, marked STOPPED. One media process per namespace is assumed.
 */
export class SessionManager {
  private readonly runners = new Map<string, SessionRunner>();
  /** cameraId -> id of its current session that is not STOPPED (a FAILED one stays until replaced). */
  private readonly byCamera = new Map<string, string>();
  private readonly pending = new Map<string, Promise<StreamSession>>();
  /** Every FAILED session (at most one per camera: a new start retires it), never evicted. */
  private readonly failed = new Map<string, StreamSession>();
  private readonly stopped = new Map<string, StreamSession>();
  private readonly lastWatched = new Map<string, number>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly admission: CameraAdmission;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SessionManagerOptions) {
    this.admission = new CameraAdmission(options.cameras, options.cameraHosts);
  }

  start(cameraId: string): Promise<StreamSession> {
    const current = this.current(cameraId);
    if (current && isActive(current.status)) return Promise.resolve(current);
    const pending = this.pending.get(cameraId);
    if (pending) return pending;
    const created = this.create(cameraId).finally(() => this.pending.delete(cameraId));
    this.pending.set(cameraId, created);
    return created;
  }

  async stop(cameraId: string, reason: string | null = null): Promise<StreamSession | null> {
    await this.pending.get(cameraId)?.catch(() => undefined);
    const id = this.byCamera.get(cameraId);
    if (!id) return null;
    const runner = this.runners.get(id);
    if (runner && isActive(runner.session.status)) return runner.stop(reason);
    return this.retireFailed(cameraId);
  }

  /** The camera's URL changed: its running ffmpeg, if any, reconnects with the new one now. */
  cameraUrlChanged(cameraId: string): void {
    const id = this.byCamera.get(cameraId);
    if (id) this.runners.get(id)?.respawn();
  }

  /** A playlist request: somebody watches this session. */
  touch(sessionId: string): void {
    if (this.runners.has(sessionId)) this.lastWatched.set(sessionId, Date.now());
  }

  /** The camera's current session unless STOPPED (the federated Camera.liveStream). */
  current(cameraId: string): StreamSession | null {
    const id = this.byCamera.get(cameraId);
    if (!id) return null;
    return this.runners.get(id)?.session ?? this.failed.get(id) ?? null;
  }

  async get(id: string): Promise<StreamSession | null> {
    return this.runners.get(id)?.session ?? this.failed.get(id) ?? this.stopped.get(id) ?? (await this.options.repository.get(id));
  }

  /** A page of sessions, newest first (see pageOfSessions). */
  list(query: PageQuery = {}): Promise<StreamSession[]> {
    return pageOfSessions(
      {
        unfinished: () => [...[...this.runners.values()].map((runner) => runner.session), ...this.failed.values()],
        lookup: (id) => this.get(id),
        repository: this.options.repository,
      },
      query,
    );
  }

  /**
   * At start-up: resumes what a previous process left running (while under the cap and the camera may
   * still stream), marks the rest STOPPED, takes back the FAILED sessions (the newest per camera stays
   * its liveStream, older ones are STOPPED), and deletes folders that belong to no resumed session.
   */
  async resume(): Promise<void> {
    await mkdir(this.options.hlsDir, { recursive: true });
    const keep = new Set<string>();
    const unfinished = (await this.options.repository.unfinished()).sort((a, b) => b.seq - a.seq);
    for (const session of unfinished.filter((s) => isActive(s.status))) {
      const refusal =
        (await this.admission.refusalFor(session.cameraId)) ?? (this.activeCount() >= this.options.maxSessions ? 'session cap reached' : undefined);
      if (refusal || this.byCamera.has(session.cameraId)) {
        this.onChange({
          ...session,
          status: 'STOPPED',
          stoppedAt: new Date(),
          lastError: `not resumed after restart: ${refusal ?? 'duplicate'}`,
          updatedAt: new Date(),
        });
        continue;
      }
      keep.add(session.id);
      this.launch({ ...session, status: 'RECONNECTING', restarts: session.restarts + 1, lastError: 'media process restarted', updatedAt: new Date() });
      this.options.logger.info({ sessionId: session.id, cameraId: session.cameraId }, 'session resumed');
    }
    for (const session of unfinished.filter((s) => s.status === 'FAILED')) {
      if (this.byCamera.has(session.cameraId)) {
        this.onChange({ ...session, status: 'STOPPED', updatedAt: new Date() });
        continue;
      }
      this.failed.set(session.id, session);
      this.byCamera.set(session.cameraId, session.id);
    }
    for (const name of await readdir(this.options.hlsDir).catch(() => [] as string[])) {
      if (!keep.has(name)) await rm(path.join(this.options.hlsDir, name), { recursive: true, force: true });
    }
  }

  /** Stops idle sessions from now on. */
  runIdleSweep(intervalMs = 1000): void {
    this.idleTimer = setInterval(() => this.sweepIdle(), intervalMs);
    this.idleTimer.unref();
  }

  /** Process shutdown: ends every ffmpeg, leaves the records for the next process to resume. */
  async shutdown(): Promise<void> {
    clearInterval(this.idleTimer);
    await Promise.all([...this.runners.values()].map((runner) => runner.halt()));
    await Promise.all(this.writes.values());
  }

  /** Stops every session for good (tests, and an operator draining a node). */
  async stopAll(): Promise<void> {
    clearInterval(this.idleTimer);
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
    await Promise.all(this.writes.values());
  }

  private async create(cameraId: string): Promise<StreamSession> {
    // Up to the cap check all runs before the first await: concurrent starts see each other's pending start.
    let url: string;
    try {
      url = this.admission.url(cameraId);
    } catch (error) {
      throw startRefusal(cameraId, error);
    }
    if (this.activeCount() >= this.options.maxSessions) {
      throw new AppError('LIMIT_EXCEEDED', `this media process already runs its maximum of ${this.options.maxSessions} concurrent sessions; stop one first`, {
        maxSessions: this.options.maxSessions,
      });
    }
    try {
      await this.admission.checkHost(url);
    } catch (error) {
      throw startRefusal(cameraId, error);
    }
    const now = new Date();
    // Stored before ffmpeg runs: with the store down the caller gets UNAVAILABLE and nothing is spawned.
    const session = await this.options.repository.insert({
      id: randomUUID(),
      cameraId,
      status: 'STARTING',
      startedAt: now,
      stoppedAt: null,
      restarts: 0,
      lastError: null,
      updatedAt: now,
    });
    this.retireFailed(cameraId);
    this.launch(session);
    this.options.publisher.publish(session);
    this.log(session);
    return session;
  }

  /** A FAILED session leaves the camera's liveStream only when an operator stops or restarts it. */
  private retireFailed(cameraId: string): StreamSession | null {
    const id = this.byCamera.get(cameraId);
    const last = id ? this.failed.get(id) : undefined;
    if (!last) return null;
    const stopped: StreamSession = { ...last, status: 'STOPPED', stoppedAt: last.stoppedAt ?? new Date(), updatedAt: new Date() };
    this.onChange(stopped);
    return stopped;
  }

  private launch(session: StreamSession): void {
    const dir = path.join(this.options.hlsDir, session.id);
    const runner = new SessionRunner(session, {
      dir,
      spawn: this.options.spawn,
      resolveUrl: () => this.admission.checkedUrl(session.cameraId),
      rtspTimeoutSeconds: this.options.rtspTimeoutSeconds,
      maxFailures: this.options.maxFailures,
      stallMs: Math.max(10000, 3 * this.options.rtspTimeoutSeconds * 1000),
      onChange: (changed) => this.onChange(changed),
      logger: this.options.logger,
    });
    this.runners.set(session.id, runner);
    this.byCamera.set(session.cameraId, session.id);
    this.lastWatched.set(session.id, Date.now());
    void mkdir(dir, { recursive: true }).then(() => runner.start());
  }

  private onChange(session: StreamSession): void {
    if (session.status === 'FAILED') this.failed.set(session.id, session);
    if (session.status === 'STOPPED') {
      this.failed.delete(session.id);
      this.stopped.set(session.id, session);
      if (this.stopped.size > STOPPED_KEPT) this.stopped.delete(this.stopped.keys().next().value as string);
      if (this.byCamera.get(session.cameraId) === session.id) this.byCamera.delete(session.cameraId);
    }
    if (!isActive(session.status)) {
      this.runners.delete(session.id);
      this.lastWatched.delete(session.id);
    }
    this.persist(session);
    this.options.publisher.publish(session);
    this.log(session);
  }

  /** Writes one session's changes in order; a failed write is logged, the next change writes the whole record again. */
  private persist(session: StreamSession): void {
    const previous = this.writes.get(session.id) ?? Promise.resolve();
    const next = previous
      .then(() => this.options.repository.save(session))
      .catch((error: unknown) => this.options.logger.warn({ sessionId: session.id, err: (error as Error).message }, 'session not saved'))
      .finally(() => {
        if (this.writes.get(session.id) === next) this.writes.delete(session.id);
      });
    this.writes.set(session.id, next);
  }

  private activeCount(): number {
    let count = this.pending.size;
    for (const runner of this.runners.values()) if (isActive(runner.session.status)) count += 1;
    return count;
  }

  private sweepIdle(): void {
    const now = Date.now();
    for (const [id, runner] of this.runners) {
      const last = this.lastWatched.get(id) ?? now;
      if (isActive(runner.session.status) && now - last > this.options.idleTimeoutMs) {
        this.options.logger.info({ sessionId: id }, 'nobody watches: stopping');
        void runner.stop('stopped: nobody watched');
      }
    }
  }

  private log(session: StreamSession): void {
    this.options.logger.info(
      { sessionId: session.id, cameraId: session.cameraId, status: session.status, restarts: session.restarts, lastError: session.lastError },
      'stream session status',
    );
  }
}
