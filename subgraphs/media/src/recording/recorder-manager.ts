import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../../lib/logging/logger';
import type { MediaCamera } from '../cameras/media-camera';
import type { Member } from '../cluster/placement';
import { ownerOf } from '../cluster/rendezvous';
import { CameraAdmission } from '../sessions/camera-admission';
import type { CameraHostPolicy, LiveRecording, LiveRecordings, SpawnFfmpeg } from '../sessions/ports';
import type { HealthEvent, HealthPublisher, RecorderStatus, RecordingStore } from './ports';
import { Recorder } from './recorder';
import type { RecordedSegment } from './segment-index';

export interface RecorderManagerOptions {
  /** RECORDINGS_DIR: one folder per camera. */
  dir: string;
  me: string;
  /** RECORDING_MAX_BYTES over every recorder of this service: the oldest segments go first. */
  maxBytes: number;
  offlineMs: number;
  rtspTimeoutSeconds: number;
  cameras: { all(): Iterable<MediaCamera>; get(cameraId: string): MediaCamera | undefined };
  cameraHosts: CameraHostPolicy;
  store: RecordingStore;
  health: HealthPublisher;
  spawn: SpawnFfmpeg;
  /** Told after each reconcile whether this service records any camera (it then follows recorded events). */
  onRecording?(recordsAny: boolean): void;
  logger: Logger;
}

/**
 * The recorders of this media service: one per ACTIVE camera with recording enabled that the live
 * members' rendezvous gives to this service, so recorders spread over the services and move when one
 * dies. Keeps each recording to its camera's retention and all of them within the disk budget.
 */
export class RecorderManager implements LiveRecordings {
  private readonly recorders = new Map<string, Recorder>();
  private readonly admission: CameraAdmission;
  private readonly statusWrites = new Map<string, Promise<void>>();
  /** Segments deleted to stay within RECORDING_MAX_BYTES, since start (logged, and in /metrics if wired). */
  budgetDeletions = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: RecorderManagerOptions) {
    this.admission = new CameraAdmission(options.cameras, options.cameraHosts);
  }

  /** The recorder of a camera if this service runs it. */
  recorderOf(cameraId: string): Recorder | undefined {
    return this.recorders.get(cameraId);
  }

  /** The camera's recording if this service makes it: what its live session serves (sessions' LiveRecordings). */
  of(cameraId: string): LiveRecording | undefined {
    return this.recorders.get(cameraId);
  }

  /** The member that records the camera, of these (the rule `reconcile` follows), or undefined when it is not recorded. */
  recordedBy(cameraId: string, memberIds: readonly string[]): string | undefined {
    const camera = this.options.cameras.get(cameraId);
    return camera?.status === 'ACTIVE' && camera.recording.enabled ? ownerOf(cameraId, memberIds) : undefined;
  }

  /** The camera's URL changed: its recorder, if it runs here, reconnects with the new one now. */
  cameraUrlChanged(cameraId: string): void {
    this.recorders.get(cameraId)?.respawn();
  }

  /** Starts the recorders this service should run and halts the others (files stay). */
  async reconcile(members: readonly Member[]): Promise<void> {
    const ids = members.map((member) => member.id);
    const wanted = new Set<string>();
    for (const camera of this.options.cameras.all()) if (this.recordedBy(camera.id, ids) === this.options.me) wanted.add(camera.id);
    for (const [cameraId, recorder] of this.recorders) {
      if (wanted.has(cameraId)) continue;
      this.recorders.delete(cameraId);
      await recorder.halt();
      const camera = this.options.cameras.get(cameraId);
      if (!camera?.recording.enabled || camera.status !== 'ACTIVE') this.saveStatus({ ...recorder.status(), state: 'OFF', since: new Date() });
      this.options.logger.info({ cameraId }, 'recorder halted here');
    }
    for (const cameraId of wanted) if (!this.recorders.has(cameraId)) await this.startRecorder(cameraId);
    this.options.onRecording?.(this.recorders.size > 0);
  }

  /** Retention per camera, then the disk budget over all: deletes the oldest segments first. */
  async sweep(now = Date.now(), maxBytes = this.options.maxBytes): Promise<void> {
    // Only a recorder that lost segments rewrites its index file (a day of segments is megabytes).
    const pruned = new Set<Recorder>();
    for (const recorder of this.recorders.values()) {
      const retentionHours = this.options.cameras.get(recorder.cameraId)?.recording.retentionHours ?? 24;
      const expired = recorder.index.pruneBefore(now - retentionHours * 3_600_000);
      if (expired.length > 0) {
        pruned.add(recorder);
        await this.delete(recorder, expired);
        this.options.logger.info({ cameraId: recorder.cameraId, segments: expired.length }, 'recording past retention deleted');
      }
    }
    let total = [...this.recorders.values()].reduce((sum, recorder) => sum + recorder.index.bytes, 0);
    let deleted = 0;
    while (total > maxBytes) {
      const oldest = [...this.recorders.values()].filter((r) => r.index.oldest).sort((a, b) => a.index.oldest!.start - b.index.oldest!.start)[0];
      if (!oldest) break;
      const [segment] = oldest.index.removeOldest(1);
      total -= segment!.bytes;
      deleted += 1;
      pruned.add(oldest);
      await this.delete(oldest, [segment!]);
    }
    if (deleted > 0) {
      this.budgetDeletions += deleted;
      this.options.logger.warn({ segments: deleted, maxBytes }, 'recording disk budget reached: oldest segments deleted');
    }
    for (const recorder of pruned) await recorder.compact().catch(() => undefined);
    for (const recorder of this.recorders.values()) this.saveStatus(recorder.status());
  }

  /** Follows the live members every `reconcileMs` and sweeps every `sweepMs`. */
  run(membership: { live(): Promise<Member[]> }, reconcileMs = 2000, sweepMs = 30000): void {
    let busy = false;
    const every = (ms: number, work: () => Promise<void>) => {
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        void work()
          .catch((error: unknown) => this.options.logger.warn({ err: (error as Error).message }, 'recorders not reconciled'))
          .finally(() => (busy = false));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(reconcileMs, async () => this.reconcile(await membership.live()));
    every(sweepMs, () => this.sweep());
  }

  async shutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([...this.recorders.values()].map((recorder) => recorder.halt()));
    this.recorders.clear();
    await Promise.all(this.statusWrites.values());
  }

  private async startRecorder(cameraId: string): Promise<void> {
    const dir = path.join(this.options.dir, cameraId);
    await mkdir(dir, { recursive: true });
    const previous = await this.options.store.status(cameraId).catch(() => null);
    const recorder = new Recorder({
      cameraId,
      dir,
      owner: this.options.me,
      spawn: this.options.spawn,
      resolveUrl: () => this.admission.checkedUrl(cameraId),
      rtspTimeoutSeconds: this.options.rtspTimeoutSeconds,
      offlineMs: this.options.offlineMs,
      wasOffline: previous?.offline ?? false,
      onStatus: (status) => this.saveStatus(status),
      onHealth: (event) => void this.announce(event),
      logger: this.options.logger,
    });
    this.recorders.set(cameraId, recorder);
    await recorder.start();
    this.options.logger.info({ cameraId }, 'recorder started');
  }

  private async delete(recorder: Recorder, segments: readonly RecordedSegment[]): Promise<void> {
    for (const segment of segments) await unlink(recorder.fileOf(segment)).catch(() => undefined);
  }

  /** Status writes in order per camera; a failed one is logged, the next writes the whole status again. */
  private saveStatus(status: RecorderStatus): void {
    const previous = this.statusWrites.get(status.cameraId) ?? Promise.resolve();
    const next = previous
      .then(() => this.options.store.saveStatus(status))
      .catch((error: unknown) => this.options.logger.warn({ cameraId: status.cameraId, err: (error as Error).message }, 'recorder status not saved'))
      .finally(() => {
        if (this.statusWrites.get(status.cameraId) === next) this.statusWrites.delete(status.cameraId);
      });
    this.statusWrites.set(status.cameraId, next);
  }

  /** Health events go through the ordinary event path; retried until the broker takes them (the id makes a repeat harmless). */
  private async announce(event: HealthEvent): Promise<void> {
    for (let attempt = 0; attempt < 30; attempt += 1) {
      try {
        await this.options.health.publish(event);
        this.options.logger.info({ cameraId: event.cameraId, type: event.type, id: event.id }, 'camera health event published');
        return;
      } catch (error) {
        this.options.logger.warn({ cameraId: event.cameraId, type: event.type, err: (error as Error).message }, 'camera health event not published; retrying');
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }
}
