import type { CameraStatus } from '../../../../lib/events/domain-events';
import type { Member, Slot } from '../cluster/placement';
import type { StreamSession } from './session';

/**
 * What the sessions need from the rest of the media service, declared here so that they depend on
 * nothing of it: the adapters (MongoDB, RabbitMQ, ffmpeg) and the camera store implement these.
 */

/**
 * Who runs a session: the member (media service) that owns it, the fencing `lease` (raised by every
 * change of hands, so a write from a former owner can be refused), and the process (incarnation)
 * that last ran its ffmpeg (null: assigned by another service, never ran).
 */
export interface Ownership {
  owner: string | null;
  lease: number;
  runBy: string | null;
}

export interface SessionRecord extends Ownership {
  session: StreamSession;
}

/**
 * Where sessions survive a restart of the media process (MongoDB in production). Besides the
 * sessions it keeps the listing order: place `seq` -> session id, places handed out 1, 2, 3 ... as
 * sessions are created, so a page of the newest sessions is found by looking places up one by one.
 * It also keeps one slot per camera that has a session which is not STOPPED: the camera's current
 * session and its owner, what every media service reads to place, find and take over sessions.
 */
export interface SessionRepository {
  /** Stores a new session at the next place of the listing order and returns it with that `seq`. */
  insert(session: Omit<StreamSession, 'seq'>, ownership: Ownership): Promise<StreamSession>;
  /** Saves the session unless its lease moved on (another service took it): false then, nothing written. */
  save(session: StreamSession, lease: number): Promise<boolean>;
  get(id: string): Promise<StreamSession | null>;
  record(id: string): Promise<SessionRecord | null>;
  /** Compare-and-set: writes `next` with the lease raised by one, if the lease is still `lease`. */
  claim(id: string, lease: number, next: { session: StreamSession; owner: string | null; runBy: string | null }): Promise<boolean>;
  /** The newest place of the listing order (0 before the first session). */
  newestPlace(): Promise<number>;
  /** The session ids at these places, in the same order (null where nothing is stored). */
  idsAt(places: readonly number[]): Promise<Array<string | null>>;
  /** Sessions left not STOPPED: STARTING, LIVE, RECONNECTING or FAILED (a scan: start-up only). */
  unfinished(): Promise<StreamSession[]>;
  /** Every camera's slot (one per camera with a session that is not STOPPED: a small collection). */
  slots(): Promise<Slot[]>;
  slot(cameraId: string): Promise<Slot | null>;
  /** Takes the camera's slot; false if the camera has one already. */
  claimSlot(slot: Slot): Promise<boolean>;
  /** Rewrites the camera's slot if it still holds that session. */
  updateSlot(slot: Slot): Promise<void>;
  /** Frees the camera's slot if it still holds that session. */
  releaseSlot(cameraId: string, sessionId: string): Promise<void>;
}

/** The media services that are up: each renews its entry while it runs (`media_members` in production). */
export interface MemberRegistry {
  beat(member: Member): Promise<void>;
  leave(memberId: string): Promise<void>;
  all(): Promise<Member[]>;
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

/** One segment of a recording, as a live session may serve it. */
export interface LiveSegment {
  /** Absolute path of the complete segment file (ffmpeg never changes it once it lists it). */
  file: string;
  /** Wall-clock start (ms) and length. */
  start: number;
  durationMs: number;
}

/**
 * A camera's continuous recording made by this service: while it records, a live session of the
 * camera serves its newest segments instead of opening a second RTSP connection.
 */
export interface LiveRecording {
  /** Writing segments now (false while it reconnects, and once it is halted). */
  readonly recording: boolean;
  /** Why it does not record, when it does not (credentials redacted). */
  readonly lastError: string | null;
  /** The segments its current ffmpeg lists, oldest first (empty while it does not record). */
  recent(): Promise<LiveSegment[]>;
}

/** The recordings this service makes, by camera (the recorders implement it). */
export interface LiveRecordings {
  of(cameraId: string): LiveRecording | undefined;
  /** Which of these members records the camera (undefined: it is not recorded), by the recorders' own rule. */
  recordedBy(cameraId: string, memberIds: readonly string[]): string | undefined;
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
  /** A recording: segments stay on disk when they leave the playlist (their owner deletes them by retention). */
  keepSegments?: boolean;
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
