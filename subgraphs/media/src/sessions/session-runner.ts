import { readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isUnavailable } from '../../../../lib/errors/engine-errors';
import type { Logger } from '../../../../lib/logging/logger';
import { redactCredentials } from '../../../../lib/security/rtsp-url';
import { reconnectDelayMs } from './backoff';
import { PLAYLIST_NAME, SEGMENT_PATTERN, type FfmpegHandle, type LiveRecording, type SpawnFfmpeg } from './ports';
import { RecordingReuse } from './recording-reuse';
import type { StreamSession } from './session';

export interface RunnerOptions {
  /** This session's own folder. */
  dir: string;
  spawn: SpawnFfmpeg;
  /**
   * Looks the camera up and re-checks its URL (scheme, allowed hosts) before every spawn; throws an
   * AppError when it may not run (UNAVAILABLE: it could not be checked now, which counts as a failed attempt).
   */
  resolveUrl(): Promise<string>;
  rtspTimeoutSeconds: number;
  /** Consecutive failures without reaching LIVE before the session is FAILED. */
  maxFailures: number;
  /** A LIVE session whose playlist has not changed for this long gets its ffmpeg restarted. */
  stallMs: number;
  onChange(session: StreamSession): void;
  /** A recording: earlier attempts' segments are kept, and every job keeps its segments (see HlsJob). */
  recording?: boolean;
  /**
   * The camera's recording on this service, if any. Each attempt serves its segments instead of
   * running ffmpeg while it records, and a session running its own ffmpeg switches to it once it does.
   */
  liveRecording?(): LiveRecording | undefined;
  logger: Logger;
}

const POLL_MS = 200;

/**
 * Supervises the ffmpeg of one session: STARTING -> LIVE once a playlist from this attempt exists;
 * any exit (code 0 included: that is how ffmpeg reports a camera that hung up) -> RECONNECTING and a
 * new attempt after a capped exponential backoff; FAILED after `maxFailures` attempts in a row that
 * never reached LIVE. Starts by copying H.264 and switches to transcoding only if the camera sends
 * something else.
 */
export class SessionRunner {
  private state: StreamSession;
  private handle: FfmpegHandle | undefined;
  /** Set instead of `handle` while the session serves the camera's recording. */
  private reuse: RecordingReuse | undefined;
  /** Files of the attempts before this reuse are still there (removed once it has its first segment). */
  private leftovers = false;
  private failures = 0;
  private transcode = false;
  /** The current ffmpeg is being replaced on purpose (codec switch, new URL): its exit is no failure. */
  private respawnNow = false;
  private stopping: Promise<StreamSession> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private spawnedAt = 0;
  private startNumber = 0;
  private lastPlaylistMtime = 0;
  private lastProgressAt = 0;

  constructor(
    initial: StreamSession,
    private readonly options: RunnerOptions,
  ) {
    this.state = initial;
  }

  get session(): StreamSession {
    return this.state;
  }

  start(): void {
    void this.attempt();
  }

  /** Ends ffmpeg (SIGTERM, then SIGKILL), removes the files, and marks the session STOPPED. */
  stop(reason: string | null = null): Promise<StreamSession> {
    this.stopping ??= (async () => {
      this.clearTimers();
      await this.handle?.stop();
      if (!this.options.recording) await rm(this.options.dir, { recursive: true, force: true });
      if (this.state.status !== 'FAILED') {
        this.update({ status: 'STOPPED', stoppedAt: new Date(), ...(reason ? { lastError: reason } : {}) });
      }
      return this.state;
    })();
    return this.stopping;
  }

  /** Whether the session serves the camera's recording now (no ffmpeg of its own). */
  get reusesRecording(): boolean {
    return this.reuse !== undefined;
  }

  /** Replaces the running ffmpeg at once (the camera's URL changed); a waiting retry is not hurried. */
  respawn(): void {
    if (this.stopping || !this.handle) return;
    this.respawnNow = true;
    void this.handle.stop();
  }

  /** Ends ffmpeg but leaves status and files alone: the process is shutting down and will resume it. */
  async halt(): Promise<void> {
    this.stopping ??= Promise.resolve(this.state);
    this.clearTimers();
    await this.handle?.stop();
  }

  private async attempt(): Promise<void> {
    if (this.stopping) return;
    let url: string;
    try {
      url = await this.options.resolveUrl();
    } catch (error) {
      if (this.stopping) return;
      const message = redactCredentials((error as Error).message);
      if (isUnavailable(error)) await this.failedAttempt(message);
      else await this.fail(message);
      return;
    }
    if (this.stopping) return;
    this.startNumber = await nextSegmentNumber(this.options.dir);
    if (this.stopping) return;
    const recording = this.options.liveRecording?.();
    if (recording?.recording) {
      this.serveRecording(recording);
      return;
    }
    this.spawnedAt = Date.now();
    this.lastPlaylistMtime = 0;
    const transcode = this.transcode;
    const handle: FfmpegHandle = this.options.spawn(
      {
        url,
        outputDir: this.options.dir,
        transcode,
        startNumber: this.startNumber,
        rtspTimeoutSeconds: this.options.rtspTimeoutSeconds,
        ...(this.options.recording ? { keepSegments: true } : {}),
      },
      {
        onInputVideoCodec: (codec) => {
          if (transcode || /^h264\b/.test(codec)) return;
          this.options.logger.info({ sessionId: this.state.id, codec }, 'source is not H.264: transcoding');
          this.transcode = true;
          this.respawnNow = true;
          void handle.stop();
        },
      },
    );
    this.handle = handle;
    this.pollTimer = setInterval(() => void this.poll(handle), POLL_MS);
    void handle.exited.then((exit) => this.onExit(handle, exit.message));
  }

  private async poll(handle: FfmpegHandle): Promise<void> {
    let mtime: number;
    try {
      mtime = (await stat(path.join(this.options.dir, PLAYLIST_NAME))).mtimeMs;
    } catch {
      return; // no playlist yet
    }
    if (handle !== this.handle || this.stopping) return;
    const now = Date.now();
    if (mtime >= this.spawnedAt && mtime !== this.lastPlaylistMtime) {
      this.lastPlaylistMtime = mtime;
      this.lastProgressAt = now;
      if (this.state.status !== 'LIVE') {
        this.failures = 0;
        this.update({ status: 'LIVE' });
        if (!this.options.recording) void this.removeSegmentsBefore(this.startNumber);
      }
    } else if (this.state.status === 'LIVE' && now - this.lastProgressAt > this.options.stallMs) {
      // ffmpeg's own -timeout should have ended it; this catches a process stuck anywhere else.
      this.options.logger.warn({ sessionId: this.state.id }, 'no new segment: restarting ffmpeg');
      this.lastProgressAt = now;
      void handle.stop();
      return;
    }
    if (!this.respawnNow && this.options.liveRecording?.()?.recording) {
      // The camera is recorded here now: one RTSP connection is enough.
      this.options.logger.info({ sessionId: this.state.id, cameraId: this.state.cameraId }, 'camera recorded here: switching to its recording');
      this.respawnNow = true;
      void handle.stop();
    }
  }

  /** Serves the recording's segments from now on: LIVE with the first one, supervised like an ffmpeg. */
  private serveRecording(recording: LiveRecording): void {
    const reuse = new RecordingReuse(recording, this.options.dir, this.startNumber);
    this.reuse = reuse;
    this.leftovers = true;
    this.spawnedAt = Date.now();
    this.lastProgressAt = this.spawnedAt;
    this.options.logger.info({ sessionId: this.state.id, cameraId: this.state.cameraId }, 'serving the camera recording: no ffmpeg of its own');
    this.pollTimer = setInterval(() => void this.pollReuse(reuse), POLL_MS);
  }

  /**
   * Takes in the recording's new segments. The recording gone (halted, moved to another service, its
   * camera no longer recorded), not recording, or without a new segment for the stall time: this
   * attempt ends like an ffmpeg exit (RECONNECTING, backoff), and the next one runs ffmpeg unless the
   * recording records again by then.
   */
  private async pollReuse(reuse: RecordingReuse): Promise<void> {
    const current = this.options.liveRecording?.();
    if (current !== reuse.source || !current.recording) {
      await this.endReuse(reuse, `the camera recording it served stopped${current?.lastError ? `: ${current.lastError}` : ''}`);
      return;
    }
    let added: number;
    try {
      added = await reuse.step();
    } catch (error) {
      added = 0;
      // A stop removes the folder under a step that is running: nothing to tell then.
      if (!this.stopping) this.options.logger.warn({ sessionId: this.state.id, err: (error as Error).message }, 'recorded segment not taken in');
    }
    if (reuse !== this.reuse || this.stopping) return;
    const now = Date.now();
    if (added > 0) {
      this.lastProgressAt = now;
      if (this.state.status !== 'LIVE') {
        this.failures = 0;
        this.update({ status: 'LIVE' });
      }
      if (this.leftovers) {
        this.leftovers = false;
        void this.removeSegmentsBefore(this.startNumber);
      }
    } else if (now - this.lastProgressAt > this.options.stallMs) {
      await this.endReuse(reuse, 'no new segment in the camera recording');
    }
  }

  private async endReuse(reuse: RecordingReuse, message: string): Promise<void> {
    if (reuse !== this.reuse || this.stopping) return;
    clearInterval(this.pollTimer);
    this.reuse = undefined;
    this.options.logger.warn(
      { sessionId: this.state.id, cameraId: this.state.cameraId, failures: this.failures + 1, reason: message },
      'recording no longer served',
    );
    await this.failedAttempt(message);
  }

  private async onExit(handle: FfmpegHandle, message: string): Promise<void> {
    if (handle !== this.handle) return;
    clearInterval(this.pollTimer);
    this.handle = undefined;
    if (this.stopping) return;
    if (this.respawnNow) {
      this.respawnNow = false;
      await this.attempt();
      return;
    }
    this.options.logger.warn({ sessionId: this.state.id, cameraId: this.state.cameraId, failures: this.failures + 1, reason: message }, 'ffmpeg ended');
    await this.failedAttempt(message);
  }

  /** One more attempt that did not reach LIVE: retry after the backoff, or FAILED at the bound. */
  private async failedAttempt(message: string): Promise<void> {
    if (this.stopping) return;
    this.failures += 1;
    if (this.failures >= this.options.maxFailures) {
      await this.fail(`gave up after ${this.failures} attempts: ${message}`);
      return;
    }
    this.update({ status: 'RECONNECTING', restarts: this.state.restarts + 1, lastError: message });
    this.retryTimer = setTimeout(() => void this.attempt(), reconnectDelayMs(this.failures));
  }

  private async fail(message: string): Promise<void> {
    this.stopping ??= Promise.resolve(this.state);
    this.clearTimers();
    await this.handle?.stop();
    if (!this.options.recording) await rm(this.options.dir, { recursive: true, force: true });
    this.update({ status: 'FAILED', stoppedAt: new Date(), lastError: message });
  }

  private update(patch: Partial<StreamSession>): void {
    this.state = { ...this.state, ...patch, updatedAt: new Date() };
    this.options.onChange(this.state);
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearInterval(this.pollTimer);
    this.reuse = undefined;
  }

  private async removeSegmentsBefore(first: number): Promise<void> {
    for (const name of await readdir(this.options.dir).catch(() => [] as string[])) {
      const match = SEGMENT_PATTERN.exec(name);
      if (match && Number(match[1]) < first) await unlink(path.join(this.options.dir, name)).catch(() => undefined);
    }
  }
}

/** One past the highest segment number in the folder, so a new attempt never reuses a name a player may hold. */
async function nextSegmentNumber(dir: string): Promise<number> {
  let next = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const match = SEGMENT_PATTERN.exec(name);
    if (match) next = Math.max(next, Number(match[1]) + 1);
  }
  return next;
}
