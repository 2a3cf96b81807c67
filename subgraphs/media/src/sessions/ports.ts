import type { CameraStatus } from '../../../../lib/events/domain-events';
import type { StreamSession } from './session';

/**
 * What the sessions need from the rest of the media service, declared here so that they depend on
 * nothing of it: the adapters (MongoDB, RabbitMQ, ffmpeg) and the camera store implement these.
 */

/**
 * Where sessions survive a restart of the media process (MongoDB in production). Besides the
 * sessions it keeps the listing order: place `seq` -> session id, places handed out 1, 2, 3 ... as
 * sessions are created, so a page of the newest sessions is found by looking places up one by one.
 */
export interface SessionRepository {
  /** Stores a new session at the next place of the listing order and returns it with that `seq`. */
  insert(session: Omit<StreamSession, 'seq'>): Promise<StreamSession>;
  save(session: StreamSession): Promise<void>;
  get(id: string): Promise<StreamSession | null>;
  /** The newest place of the listing order (0 before the first session). */
  newestPlace(): Promise<number>;
  /** The session ids at these places, in the same order (null where nothing is stored). */
  idsAt(places: readonly number[]): Promise<Array<string | null>>;
  /** Sessions a previous process left not STOPPED: STARTING, LIVE, RECONNECTING or FAILED. */
  unfinished(): Promise<StreamSession[]>;
}

/** CAMERA_ALLOWED_HOSTS as the sessions see it: throws an AppError when a URL's host is not allowed. */
export interface CameraHostPolicy {
  check(rtspUrl: string): Promise<void>;
}

/** A camera as the sessions see it: where to pull video from, and whether it may. */
export interface SessionCamera {
  id: string;
  /** As registered, credentials included: never logged, never answered. */
  rtspUrl: string;
  status: CameraStatus;
}

/** The cameras this service learned from camera events. */
export interface CameraDirectory {
  get(cameraId: string): SessionCamera | undefined;
}

/** Tells of every change to a known camera (a new URL, a decommissioning), with the camera as it was. */
export interface CameraChanges {
  onChange(listener: (camera: SessionCamera, previous: SessionCamera | undefined) => void): void;
}

export interface StatusPublisher {
  publish(session: StreamSession): void;
}

/** One live RTSP -> HLS job: what a session asks of each ffmpeg it runs. */
export interface HlsJob {
  /** An rtsp:// or rtsps:// URL, already checked by parseRtspUrl. */
  url: string;
  /** Absolute folder of this session: the playlist and its segments, nothing else. */
  outputDir: string;
  /** Re-encode to H.264 instead of copying (only when the source is not H.264). */
  transcode: boolean;
  /** First segment number: continues after the previous attempt's so no name is reused. */
  startNumber: number;
  rtspTimeoutSeconds: number;
}

/** The files a job writes in its `outputDir`: the playlist, and segments numbered from `startNumber`. */
export const PLAYLIST_NAME = 'index.m3u8';
export const SEGMENT_PATTERN = /^seg_(\d{5,})\.ts$/;

export interface FfmpegExit {
  code: number | null;
  signal: string | null;
  /** One line for lastError and logs, credentials removed. */
  message: string;
}

export interface FfmpegHandle {
  /** Known once the process has been spawned. */
  readonly pid: () => number | undefined;
  readonly exited: Promise<FfmpegExit>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<FfmpegExit>;
}

export interface FfmpegObserver {
  /** The input's video codec as ffmpeg names it (e.g. "h264 (Constrained Baseline)"). */
  onInputVideoCodec?(codec: string): void;
  /** Every stderr line, already redacted. */
  onStderr?(line: string): void;
}

export type SpawnFfmpeg = (job: HlsJob, observer: FfmpegObserver) => FfmpegHandle;
