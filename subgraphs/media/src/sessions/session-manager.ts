import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../../../lib/errors/app-error';
import type { Logger } from '../../../../lib/logging/logger';
import { assignOrphans, loadOf, placeSession, type Member, type Slot } from '../cluster/placement';
import type { Membership } from '../cluster/membership';
import { CameraAdmission, startRefusal } from './camera-admission';
import type { CameraDirectory, CameraHostPolicy, LiveRecordings, SessionRecord, SessionRepository, SpawnFfmpeg, StatusPublisher } from './ports';
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
  /**
   * The cameras this service records: a session of one of them serves the recording's segments
   * while it records, instead of running an ffmpeg of its own. Still a session against the cap.
   */
  recordings?: LiveRecordings;
  /** This media service among the others on the same store. */
  membership: Membership;
  logger: Logger;
}

/** STOPPED sessions kept in memory for quick reads; older ones are read from the repository. */
const STOPPED_KEPT = 500;
/** How long a start waits for the session of a concurrent start on another service to be stored. */
const CONCURRENT_START_WAIT_MS = 5000;

/**
 * The sessions of this media service, one of possibly several on the same store. One session per
 * camera at a time, across services: the camera's slot (`SessionRepository.claimSlot`) is taken by
 * exactly one start, and concurrent starts here share one promise. A new session goes to the least
 * loaded live service (see cluster/placement.ts), which runs it; sessions whose owner stopped
 * renewing its membership are taken over (same id, RECONNECTING, `restarts` + 1). Every write of a
 * session is fenced by its lease: a former owner's write is refused, and the former owner halts its
 * ffmpeg as soon as it sees that (or, cut off from the store, once its membership is no longer fresh).
 */
export class SessionManager {
  /** The sessions whose ffmpeg this process runs, and their leases. */
  private readonly runners = new Map<string, SessionRunner>();
  private readonly leases = new Map<string, number>();
  /** cameraId -> id of its current session run (or FAILED) here. */
  private readonly byCamera = new Map<string, string>();
  private readonly pending = new Map<string, Promise<StreamSession>>();
  /** FAILED sessions that failed here (at most one per camera: a new start retires it). */
  private readonly failed = new Map<string, StreamSession>();
  private readonly stopped = new Map<string, StreamSession>();
  private readonly lastWatched = new Map<string, number>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly admission: CameraAdmission;
  /** Every camera's slot and the live members, as last read (at most a reconcile interval old). */
  private slotsByCamera = new Map<string, Slot>();
  private ownerBySession = new Map<string, string | null>();
  private members: Member[] = [];
  /** Starts placed here whose runner does not exist yet. */
  private reserved = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: SessionManagerOptions) {
    this.admission = new CameraAdmission(options.cameras, options.cameraHosts);
  }

  private get me(): string {
    return this.options.membership.id;
  }

  start(cameraId: string): Promise<StreamSession> {
    const local = this.current(cameraId);
    if (local && isActive(local.status)) return Promise.resolve(local);
    const pending = this.pending.get(cameraId);
    if (pending) return pending;
    const created = this.create(cameraId).finally(() => this.pending.delete(cameraId));
    this.pending.set(cameraId, created);
    return created;
  }

  /** Stops the camera's session wherever it runs (a session run elsewhere is fenced off its owner). */
  async stop(cameraId: string, reason: string | null = null): Promise<StreamSession | null> {
    await this.pending.get(cameraId)?.catch(() => undefined);
    const runner = this.runnerOf(cameraId);
    if (runner && isActive(runner.session.status)) {
      const stopped = await runner.stop(reason);
      await this.writes.get(stopped.id);
      return stopped;
    }
    const slot = await this.options.repository.slot(cameraId);
    if (!slot) return null;
    return this.stopRecorded(slot, reason);
  }

  /** A camera event said the camera cannot stream any more: stops its session if this service runs it. */
  async stopIfRunningHere(cameraId: string, reason: string): Promise<void> {
    const runner = this.runnerOf(cameraId);
    if (runner && isActive(runner.session.status)) await runner.stop(reason);
  }

  /** The camera's URL changed: its running ffmpeg, if it runs here, reconnects with the new one now. */
  cameraUrlChanged(cameraId: string): void {
    this.runnerOf(cameraId)?.respawn();
  }

  /** A playlist request: somebody watches this session. */
  touch(sessionId: string): void {
    if (this.runners.has(sessionId)) this.lastWatched.set(sessionId, Date.now());
  }

  /** Whether this process runs the session's ffmpeg (its files are here). */
  runsHere(sessionId: string): boolean {
    return this.runners.has(sessionId);
  }

  /**
   * Where the session's files are served: here, at another member's URL, or nowhere (unknown session,
   * STOPPED, or an owner that is gone and not yet replaced).
   */
  async locate(sessionId: string): Promise<'here' | { url: string } | null> {
    if (this.runners.has(sessionId)) return 'here';
    let owner = this.ownerBySession.get(sessionId);
    if (owner === undefined) owner = (await this.options.repository.record(sessionId))?.owner ?? null;
    if (!owner || owner === this.me) return null;
    const member = this.members.find((m) => m.id === owner) ?? (await this.options.membership.live()).find((m) => m.id === owner);
    return member ? { url: member.url } : null;
  }

  /** The camera's current session unless STOPPED, as this process runs it (or saw it fail). */
  current(cameraId: string): StreamSession | null {
    const id = this.byCamera.get(cameraId);
    if (!id) return null;
    return this.runners.get(id)?.session ?? this.failed.get(id) ?? null;
  }

  /** The camera's current session unless STOPPED (the federated Camera.liveStream), wherever it runs. */
  async liveStreamOf(cameraId: string): Promise<StreamSession | null> {
    const local = this.current(cameraId);
    if (local) return local;
    const slot = this.slotsByCamera.get(cameraId);
    if (!slot) return null;
    const session = await this.options.repository.get(slot.sessionId);
    return session && session.status !== 'STOPPED' ? session : null;
  }

  async get(id: string): Promise<StreamSession | null> {
    return this.runners.get(id)?.session ?? this.failed.get(id) ?? this.stopped.get(id) ?? (await this.options.repository.get(id));
  }

  /** A page of sessions, newest first (see pageOfSessions). */
  async list(query: PageQuery = {}): Promise<StreamSession[]> {
    const elsewhere = [...this.slotsByCamera.values()].filter((slot) => !this.runners.has(slot.sessionId) && !this.failed.has(slot.sessionId));
    const others = (await Promise.all(elsewhere.map((slot) => this.options.repository.get(slot.sessionId)))).filter(
      (session): session is StreamSession => session !== null && session.status !== 'STOPPED',
    );
    const unfinished = [...[...this.runners.values()].map((runner) => runner.session), ...this.failed.values(), ...others];
    return pageOfSessions({ unfinished: () => unfinished, lookup: (id) => this.get(id), repository: this.options.repository }, query);
  }

  /**
   * At start-up: joins the members, gives every unfinished session stored before slots existed its
   * slot, takes back this service's own sessions (a restart) and its share of orphans, and deletes
   * folders that belong to no session run here. Then reconciles every `reconcileMs`.
   */
  async resume(reconcileMs = 1000): Promise<void> {
    await mkdir(this.options.hlsDir, { recursive: true });
    await this.options.membership.join();
    await this.slotLegacySessions();
    await this.reconcile();
    for (const name of await readdir(this.options.hlsDir).catch(() => [] as string[])) {
      if (!this.runners.has(name)) await rm(path.join(this.options.hlsDir, name), { recursive: true, force: true });
    }
    this.reconcileTimer = setInterval(() => void this.reconcile().catch((error: unknown) => this.warn('reconcile failed', error)), reconcileMs);
    this.reconcileTimer.unref();
  }

  /** Stops idle sessions from now on. */
  runIdleSweep(intervalMs = 1000): void {
    this.idleTimer = setInterval(() => this.sweepIdle(), intervalMs);
    this.idleTimer.unref();
  }

  /**
   * Process shutdown: ends every ffmpeg and leaves the members, keeping the records: the other
   * services take the sessions over at once, or this service when it comes back.
   */
  async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.idleTimer);
    clearInterval(this.reconcileTimer);
    await this.reconciling?.catch(() => undefined);
    await Promise.all([...this.runners.values()].map((runner) => runner.halt()));
    await Promise.all(this.writes.values());
    await this.options.membership.leave();
  }

  /** Stops every session run here for good (tests, and an operator draining a node). */
  async stopAll(): Promise<void> {
    this.closed = true;
    clearInterval(this.idleTimer);
    clearInterval(this.reconcileTimer);
    await this.reconciling?.catch(() => undefined);
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
    await Promise.all(this.writes.values());
    await this.options.membership.leave();
  }

  private async create(cameraId: string): Promise<StreamSession> {
    let url: string;
    try {
      url = this.admission.url(cameraId);
    } catch (error) {
      throw startRefusal(cameraId, error);
    }
    try {
      await this.admission.checkHost(url);
    } catch (error) {
      throw startRefusal(cameraId, error);
    }
    const { repository } = this.options;
    await this.options.membership.join();
    const existing = await repository.slot(cameraId);
    if (existing) {
      const running = existing.active ? await this.sessionOf(existing) : null;
      if (running && isActive(running.status)) return running;
      await this.stopRecorded(existing, null);
    }
    const [slots, members] = await Promise.all([repository.slots(), this.options.membership.live()]);
    const load = loadOf(slots);
    // From here to the reservation nothing awaits: concurrent starts here see each other's reservations.
    load.set(this.me, Math.max(load.get(this.me) ?? 0, this.runningCount()) + this.reserved);
    const recordedBy = this.options.recordings?.recordedBy(
      cameraId,
      members.map((member) => member.id),
    );
    const target = placeSession(members, load, this.me, recordedBy);
    if (!target) {
      const capacity = members.find((m) => m.id === this.me)?.capacity ?? 0;
      throw new AppError('LIMIT_EXCEEDED', `every media service already runs its maximum of ${capacity} concurrent sessions; stop one first`, {
        maxSessions: capacity,
      });
    }
    const here = target.id === this.me;
    if (here) this.reserved += 1;
    try {
      return await this.place(cameraId, target.id);
    } finally {
      if (here) this.reserved -= 1;
    }
  }

  /** Takes the camera's slot for a new session owned by `owner`, stores the session, and runs it if that is this service. */
  private async place(cameraId: string, owner: string): Promise<StreamSession> {
    const { repository } = this.options;
    const now = new Date();
    const id = randomUUID();
    const slot: Slot = { cameraId, sessionId: id, owner, active: true };
    if (!(await repository.claimSlot(slot))) {
      // Another start for this camera (through another service) won: its session is the answer.
      const winner = await repository.slot(cameraId);
      const session = winner ? await this.sessionOf(winner) : null;
      if (session) return session;
      throw new AppError('UNAVAILABLE', `a concurrent start for camera ${cameraId} did not complete; try again`, { cameraId });
    }
    const here = owner === this.me;
    let session: StreamSession;
    try {
      // Stored before ffmpeg runs: with the store down the caller gets UNAVAILABLE and nothing is spawned.
      session = await repository.insert(
        { id, cameraId, status: 'STARTING', startedAt: now, stoppedAt: null, restarts: 0, lastError: null, updatedAt: now },
        { owner, lease: 1, runBy: here ? this.options.membership.incarnation : null },
      );
    } catch (error) {
      await repository.releaseSlot(cameraId, id).catch(() => undefined);
      throw error;
    }
    this.noteSlot(slot);
    if (here) {
      this.leases.set(id, 1);
      this.launch(session);
    }
    this.options.publisher.publish(session);
    this.log(session);
    return session;
  }

  /** The session a slot names, waiting a little for one that a concurrent start is still storing. */
  private async sessionOf(slot: Slot): Promise<StreamSession | null> {
    const deadline = Date.now() + CONCURRENT_START_WAIT_MS;
    for (;;) {
      const session = this.runners.get(slot.sessionId)?.session ?? (await this.options.repository.get(slot.sessionId));
      if (session || Date.now() > deadline) return session;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Ends a session this process does not run (a FAILED one, or one running elsewhere): STOPPED with
   * the lease raised, so its owner's next write is refused and it halts its ffmpeg; the slot is freed.
   */
  private async stopRecorded(slot: Slot, reason: string | null): Promise<StreamSession | null> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const record = await this.options.repository.record(slot.sessionId);
      if (!record || record.session.status === 'STOPPED') {
        await this.options.repository.releaseSlot(slot.cameraId, slot.sessionId);
        this.forget(slot);
        return null;
      }
      const now = new Date();
      const stopped: StreamSession = {
        ...record.session,
        status: 'STOPPED',
        stoppedAt: record.session.stoppedAt ?? now,
        lastError: reason ?? record.session.lastError,
        updatedAt: now,
      };
      if (await this.options.repository.claim(slot.sessionId, record.lease, { session: stopped, owner: null, runBy: null })) {
        await this.options.repository.releaseSlot(slot.cameraId, slot.sessionId);
        this.forget(slot);
        this.rememberStopped(stopped);
        this.options.publisher.publish(stopped);
        this.log(stopped);
        return stopped;
      }
    }
    throw new AppError('UNAVAILABLE', `stream session ${slot.sessionId} kept changing hands; try again`, { sessionId: slot.sessionId });
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
      liveRecording: () => this.options.recordings?.of(session.cameraId),
      onChange: (changed) => this.onChange(changed),
      logger: this.options.logger,
    });
    this.runners.set(session.id, runner);
    this.failed.delete(session.id);
    this.byCamera.set(session.cameraId, session.id);
    this.lastWatched.set(session.id, Date.now());
    void mkdir(dir, { recursive: true }).then(() => runner.start());
  }

  private onChange(session: StreamSession): void {
    if (!this.leases.has(session.id)) return; // fenced off: nothing more is written or published
    if (session.status === 'FAILED') this.failed.set(session.id, session);
    if (session.status === 'STOPPED') {
      this.failed.delete(session.id);
      this.rememberStopped(session);
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

  /**
   * Writes one session's changes in order, each fenced by its lease; then its slot follows (FAILED:
   * kept but inactive, STOPPED: freed). A failed write is logged, the next change writes the whole
   * record again. A refused write means another service holds the session now: it is halted here.
   */
  private persist(session: StreamSession): void {
    const lease = this.leases.get(session.id) ?? 0;
    const { repository } = this.options;
    const previous = this.writes.get(session.id) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (!(await repository.save(session, lease))) {
          await this.lose(session.id, 'its lease moved to another media service');
          return;
        }
        if (session.status === 'STOPPED') {
          this.leases.delete(session.id);
          await repository.releaseSlot(session.cameraId, session.id);
          this.forget({ cameraId: session.cameraId, sessionId: session.id });
        } else if (session.status === 'FAILED') {
          const slot: Slot = { cameraId: session.cameraId, sessionId: session.id, owner: this.me, active: false };
          await repository.updateSlot(slot);
          this.noteSlot(slot);
        }
      })
      .catch((error: unknown) => this.warn('session not saved', error, session.id))
      .finally(() => {
        if (this.writes.get(session.id) === next) this.writes.delete(session.id);
      });
    this.writes.set(session.id, next);
  }

  /**
   * Reads every slot and the live members, then: halts what this process runs but no longer owns,
   * starts what it owns but does not run (assigned by another service, or its own before a restart),
   * and claims its share of the sessions whose owner is gone. Halts everything instead while its own
   * membership is not fresh: the others may be taking its sessions over.
   */
  reconcile(): Promise<void> {
    this.reconciling ??= this.reconcileOnce().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    if (this.closed) return;
    if (!this.options.membership.fresh()) {
      for (const id of [...this.runners.keys()]) await this.lose(id, 'membership not renewed in time');
      return;
    }
    const [slots, members] = await Promise.all([this.options.repository.slots(), this.options.membership.live()]);
    this.members = members;
    this.slotsByCamera = new Map(slots.map((slot) => [slot.cameraId, slot]));
    this.ownerBySession = new Map(slots.map((slot) => [slot.sessionId, slot.owner]));
    for (const id of [...this.runners.keys()]) {
      const owner = this.ownerBySession.get(id);
      if (owner === this.me) continue;
      const record = await this.options.repository.record(id);
      if (!record || record.owner !== this.me || record.lease !== this.leases.get(id)) await this.lose(id, 'taken over or stopped by another media service');
    }
    await this.keepFailed(slots, members);
    const mine = slots.filter((slot) => slot.active && slot.owner === this.me && !this.runners.has(slot.sessionId));
    const orphans = assignOrphans(slots, members).get(this.me) ?? [];
    for (const slot of [...mine, ...orphans]) {
      if (this.closed || this.pending.has(slot.cameraId) || this.runners.has(slot.sessionId)) continue;
      if (this.runningCount() + this.reserved >= this.options.maxSessions) {
        // Placed here by a service that counted on room this one no longer has: left for the others.
        if (slot.owner === this.me) await this.options.repository.updateSlot({ ...slot, owner: null }).catch(() => undefined);
        continue;
      }
      await this.adopt(slot).catch((error: unknown) => this.warn('session not taken over', error, slot.sessionId));
    }
  }

  /**
   * FAILED sessions stay their camera's liveStream until replaced: those this service ran (before a
   * restart too) or whose owner is gone are kept in memory here; those whose slot went are dropped.
   */
  private async keepFailed(slots: readonly Slot[], members: readonly Member[]): Promise<void> {
    const live = new Set(members.map((member) => member.id));
    for (const slot of slots) {
      if (slot.active || this.failed.has(slot.sessionId) || this.runners.has(slot.sessionId)) continue;
      if (slot.owner !== this.me && slot.owner !== null && live.has(slot.owner)) continue;
      const session = await this.options.repository.get(slot.sessionId);
      if (session?.status !== 'FAILED' || this.byCamera.has(session.cameraId)) continue;
      this.failed.set(session.id, session);
      this.byCamera.set(session.cameraId, session.id);
    }
    for (const session of [...this.failed.values()])
      if (!this.ownerBySession.has(session.id)) this.forget({ cameraId: session.cameraId, sessionId: session.id });
  }

  /** Runs a session here that another service placed here, this service ran before a restart, or whose owner is gone. */
  private async adopt(slot: Slot): Promise<void> {
    const record = await this.options.repository.record(slot.sessionId);
    // No record yet: its start may still be storing it (a start left half-done is cleared by the next start).
    if (!record) return;
    if (record.session.status === 'STOPPED') {
      await this.options.repository.releaseSlot(slot.cameraId, slot.sessionId);
      return;
    }
    if (!isActive(record.session.status)) return;
    const refusal = await this.admission.refusalFor(slot.cameraId);
    if (refusal) {
      await this.stopRecorded(slot, `not resumed: ${refusal}`);
      return;
    }
    const session = this.adopted(record);
    if (!(await this.options.repository.claim(slot.sessionId, record.lease, { session, owner: this.me, runBy: this.options.membership.incarnation }))) return;
    this.leases.set(session.id, record.lease + 1);
    if (slot.owner !== this.me) {
      const moved: Slot = { ...slot, owner: this.me };
      await this.options.repository.updateSlot(moved).catch((error: unknown) => this.warn('slot not moved', error, session.id));
      this.noteSlot(moved);
    }
    this.launch(session);
    this.options.publisher.publish(session);
    this.log(session);
    this.options.logger.info({ sessionId: session.id, cameraId: session.cameraId, from: record.owner }, 'session taken');
  }

  /** A placed session that never ran starts as it is; any other comes back RECONNECTING with one restart more. */
  private adopted(record: SessionRecord): StreamSession {
    const now = new Date();
    if (record.runBy === null && record.owner === this.me) return { ...record.session, updatedAt: now };
    const why =
      record.owner === this.me || record.owner === null
        ? 'media service restarted'
        : `media service ${record.owner ?? '(none)'} gone: taken over by ${this.me}`;
    return { ...record.session, status: 'RECONNECTING', restarts: record.session.restarts + 1, lastError: why, updatedAt: now };
  }

  /** This process no longer holds the session: its ffmpeg ends and its files go, nothing is written. */
  private async lose(sessionId: string, why: string): Promise<void> {
    const runner = this.runners.get(sessionId);
    this.leases.delete(sessionId);
    this.runners.delete(sessionId);
    this.lastWatched.delete(sessionId);
    if (!runner) return;
    if (this.byCamera.get(runner.session.cameraId) === sessionId) this.byCamera.delete(runner.session.cameraId);
    this.options.logger.warn({ sessionId, cameraId: runner.session.cameraId, why }, 'session no longer run here');
    await runner.halt();
    await rm(path.join(this.options.hlsDir, sessionId), { recursive: true, force: true });
  }

  /**
   * Sessions stored before slots existed (or by a version without them) get one: the newest per
   * camera; older unfinished ones of the same camera are STOPPED. One scan, at start-up.
   */
  private async slotLegacySessions(): Promise<void> {
    const unfinished = (await this.options.repository.unfinished()).sort((a, b) => b.seq - a.seq);
    const slots = new Map((await this.options.repository.slots()).map((slot) => [slot.cameraId, slot]));
    for (const session of unfinished) {
      const slot = slots.get(session.cameraId);
      if (slot?.sessionId === session.id) continue;
      if (slot) {
        await this.stopRecorded({ cameraId: session.cameraId, sessionId: session.id, owner: null, active: false }, 'replaced by a newer session');
        continue;
      }
      const record = await this.options.repository.record(session.id);
      const fresh: Slot = { cameraId: session.cameraId, sessionId: session.id, owner: record?.owner ?? null, active: isActive(session.status) };
      if (await this.options.repository.claimSlot(fresh)) slots.set(session.cameraId, fresh);
    }
  }

  private runnerOf(cameraId: string): SessionRunner | undefined {
    const id = this.byCamera.get(cameraId);
    return id ? this.runners.get(id) : undefined;
  }

  private noteSlot(slot: Slot): void {
    this.slotsByCamera.set(slot.cameraId, slot);
    this.ownerBySession.set(slot.sessionId, slot.owner);
  }

  private forget(slot: Pick<Slot, 'cameraId' | 'sessionId'>): void {
    if (this.slotsByCamera.get(slot.cameraId)?.sessionId === slot.sessionId) this.slotsByCamera.delete(slot.cameraId);
    this.ownerBySession.delete(slot.sessionId);
    this.failed.delete(slot.sessionId);
    if (!this.runners.has(slot.sessionId)) this.leases.delete(slot.sessionId);
    if (this.byCamera.get(slot.cameraId) === slot.sessionId && !this.runners.has(slot.sessionId)) this.byCamera.delete(slot.cameraId);
  }

  private rememberStopped(session: StreamSession): void {
    this.stopped.set(session.id, session);
    if (this.stopped.size > STOPPED_KEPT) this.stopped.delete(this.stopped.keys().next().value as string);
  }

  private runningCount(): number {
    let count = 0;
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

  private warn(message: string, error: unknown, sessionId?: string): void {
    this.options.logger.warn({ sessionId, err: (error as Error).message }, message);
  }

  private log(session: StreamSession): void {
    this.options.logger.info(
      { sessionId: session.id, cameraId: session.cameraId, status: session.status, restarts: session.restarts, lastError: session.lastError },
      'stream session status',
    );
  }
}
