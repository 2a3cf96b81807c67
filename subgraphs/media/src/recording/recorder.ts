import { createHash } from 'node:crypto';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../../lib/logging/logger';
import { PLAYLIST_NAME, type LiveRecording, type LiveSegment, type SpawnFfmpeg } from '../sessions/ports';
import { SessionRunner } from '../sessions/session-runner';
import type { StreamSession } from '../sessions/session';
import type { HealthEvent, RecorderState, RecorderStatus } from './ports';
import { parsePlaylist, SegmentIndex, type RecordedSegment } from './segment-index';

export interface RecorderOptions {
  cameraId: string;
  /** This camera's recording folder: segments, ffmpeg's rolling playlist, and `segments.jsonl`. */
  dir: string;
  owner: string;
  spawn: SpawnFfmpeg;
  resolveUrl(): Promise<string>;
  rtspTimeoutSeconds: number;
  /** Unreachable this long: one `camera.offline`. */
  offlineMs: number;
  /** The outage state the previous recorder of this camera left (restart, takeover). */
  wasOffline: boolean;
  onStatus(status: RecorderStatus): void;
  onHealth(event: HealthEvent): void;
  logger: Logger;
}

const INDEX_FILE = 'segments.jsonl';
const POLL_MS = 1000;

/** A stable id per outage, so a health event published twice is stored once. */
const outageEventId = (cameraId: string, kind: string, at: number): string => {
  const hex = createHash('sha256').update(`${cameraId}/${kind}/${at}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/**
 * One camera's continuous recording: ffmpeg (stream copy) supervised like a live session (backoff,
 * stall watchdog, URL checked before every spawn), segments indexed with their wall-clock start as
 * ffmpeg lists them, the index kept on disk so a restart knows what is there. Reports its state, and
 * `camera.offline` once per outage that lasts `offlineMs`, `camera.online` when it records again.
 */
export class Recorder implements LiveRecording {
  readonly index = new SegmentIndex();
  private readonly runner: SessionRunner;
  private state: RecorderState = 'RECONNECTING';
  private since = new Date();
  private lastFailure: string | null = null;
  private unreachableSince: number = Date.now();
  private offline: boolean;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private halted = false;

  constructor(private readonly options: RecorderOptions) {
    this.offline = options.wasOffline;
    const session: StreamSession = {
      id: `recorder-${options.cameraId}`,
      seq: 0,
      cameraId: options.cameraId,
      status: 'STARTING',
      startedAt: new Date(),
      stoppedAt: null,
      restarts: 0,
      lastError: null,
      updatedAt: new Date(),
    };
    this.runner = new SessionRunner(session, {
      dir: options.dir,
      spawn: options.spawn,
      resolveUrl: options.resolveUrl,
      rtspTimeoutSeconds: options.rtspTimeoutSeconds,
      // A recorder never gives up: the camera may come back in an hour.
      maxFailures: Number.MAX_SAFE_INTEGER,
      stallMs: Math.max(10000, 3 * options.rtspTimeoutSeconds * 1000),
      recording: true,
      onChange: (changed) => this.onRunnerChange(changed),
      logger: options.logger,
    });
  }

  get cameraId(): string {
    return this.options.cameraId;
  }

  async start(): Promise<void> {
    await this.loadIndex();
    this.report();
    this.runner.start();
    this.timer = setInterval(() => void this.tick(), POLL_MS);
    this.timer.unref();
  }

  /** Ends ffmpeg; the recording stays on disk. */
  async halt(): Promise<void> {
    this.halted = true;
    clearInterval(this.timer);
    await this.runner.halt();
    await this.poll();
  }

  /** Writing segments now: what a live session of the camera may serve (see LiveRecording). */
  get recording(): boolean {
    return this.state === 'RECORDING' && !this.halted;
  }

  get lastError(): string | null {
    return this.lastFailure;
  }

  /** The segments ffmpeg lists now, read from its playlist (fresher than the index, which follows it every second). */
  async recent(): Promise<LiveSegment[]> {
    if (!this.recording) return [];
    const listed = parsePlaylist(await readFile(path.join(this.options.dir, PLAYLIST_NAME), 'utf8').catch(() => ''));
    return listed.map((entry) => ({ file: path.join(this.options.dir, entry.name), start: entry.start, durationMs: entry.durationMs }));
  }

  /** Reconnects at once with the camera's new URL. */
  respawn(): void {
    this.runner.respawn();
  }

  status(): RecorderStatus {
    const oldest = this.index.oldest;
    return {
      cameraId: this.options.cameraId,
      state: this.state,
      since: this.since,
      oldest: oldest ? new Date(oldest.start) : null,
      bytes: this.index.bytes,
      lastError: this.lastFailure,
      owner: this.options.owner,
      offline: this.offline,
    };
  }

  /** The file of one of its segments. */
  fileOf(segment: RecordedSegment): string {
    return path.join(this.options.dir, segment.name);
  }

  /** Rewrites the index file with the segments still indexed (after retention removed some). */
  async compact(): Promise<void> {
    await writeFile(path.join(this.options.dir, INDEX_FILE), this.index.all.map((s) => `${JSON.stringify(s)}\n`).join(''));
  }

  private onRunnerChange(session: StreamSession): void {
    const state: RecorderState = session.status === 'LIVE' ? 'RECORDING' : session.status === 'STOPPED' || session.status === 'FAILED' ? 'OFF' : 'RECONNECTING';
    this.lastFailure = session.lastError;
    if (state === this.state) return;
    this.state = state;
    this.since = new Date();
    if (state === 'RECORDING') {
      this.unreachableSince = Number.POSITIVE_INFINITY;
      if (this.offline) {
        this.offline = false;
        this.options.onHealth({
          id: outageEventId(this.cameraId, 'online', this.since.getTime()),
          cameraId: this.cameraId,
          type: 'camera.online',
          severity: 'LOW',
          occurredAt: this.since,
        });
      }
    } else if (!Number.isFinite(this.unreachableSince)) {
      this.unreachableSince = Date.now();
    }
    this.report();
  }

  private async tick(): Promise<void> {
    await this.poll();
    if (!this.offline && this.state !== 'RECORDING' && Date.now() - this.unreachableSince >= this.options.offlineMs) {
      this.offline = true;
      const at = new Date(this.unreachableSince);
      this.options.logger.warn({ cameraId: this.cameraId, since: at.toISOString() }, 'recording camera offline');
      this.options.onHealth({
        id: outageEventId(this.cameraId, 'offline', at.getTime()),
        cameraId: this.cameraId,
        type: 'camera.offline',
        severity: 'HIGH',
        occurredAt: at,
      });
      this.report();
    }
  }

  /** Indexes the segments ffmpeg listed since the last poll (and writes them to the index file). */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const listed = parsePlaylist(await readFile(path.join(this.options.dir, PLAYLIST_NAME), 'utf8').catch(() => ''));
      const added: RecordedSegment[] = [];
      for (const entry of listed) {
        // The playlist lists its last few segments every time: only new ones are looked at.
        if (this.index.has(entry.name)) continue;
        const bytes = await stat(path.join(this.options.dir, entry.name)).then(
          (info) => info.size,
          () => -1,
        );
        if (bytes < 0) continue;
        const segment = { ...entry, bytes };
        if (this.index.add(segment)) added.push(segment);
      }
      if (added.length > 0) await appendFile(path.join(this.options.dir, INDEX_FILE), added.map((s) => `${JSON.stringify(s)}\n`).join(''));
    } finally {
      this.polling = false;
    }
  }

  private async loadIndex(): Promise<void> {
    const text = await readFile(path.join(this.options.dir, INDEX_FILE), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const segment = JSON.parse(line) as RecordedSegment;
        // Only segments still on disk (retention may have removed some since they were listed).
        if (
          await stat(path.join(this.options.dir, segment.name)).then(
            () => true,
            () => false,
          )
        )
          this.index.add(segment);
      } catch {
        // a line cut short by a crash
      }
    }
  }

  private report(): void {
    this.options.onStatus(this.status());
  }
}
