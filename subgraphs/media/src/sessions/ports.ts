import type { StreamSession } from './session';
import type { MediaCamera } from '../cameras/media-camera';
import type { FfmpegHandle, FfmpegObserver } from '../ffmpeg/ffmpeg-process';
import type { HlsJob } from '../ffmpeg/hls-args';

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

/** The cameras this service learned from camera events. */
export interface CameraDirectory {
  get(cameraId: string): MediaCamera | undefined;
}

export interface StatusPublisher {
  publish(session: StreamSession): void;
}

export type SpawnFfmpeg = (job: HlsJob, observer: FfmpegObserver) => FfmpegHandle;
