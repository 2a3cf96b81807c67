import type { StreamSession } from './session';
import type { MediaCamera } from '../cameras/media-camera';
import type { FfmpegHandle, FfmpegObserver } from '../ffmpeg/ffmpeg-process';
import type { HlsJob } from '../ffmpeg/hls-args';

/** Where sessions survive a restart of the media process (MongoDB in production). */
export interface SessionRepository {
  save(session: StreamSession): Promise<void>;
  get(id: string): Promise<StreamSession | null>;
  /** The most recent sessions, newest first, at most `limit`. */
  recent(limit: number): Promise<StreamSession[]>;
  /** Sessions a previous process left STARTING, LIVE or RECONNECTING. */
  active(): Promise<StreamSession[]>;
}

/** The cameras this service learned from camera events. */
export interface CameraDirectory {
  get(cameraId: string): MediaCamera | undefined;
}

export interface StatusPublisher {
  publish(session: StreamSession): void;
}

export type SpawnFfmpeg = (job: HlsJob, observer: FfmpegObserver) => FfmpegHandle;
