/** A live-video session of one camera, as stored, published and answered in the API. */
export const STREAM_STATUSES = ['STARTING', 'LIVE', 'RECONNECTING', 'STOPPED', 'FAILED'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

/** Statuses in which ffmpeg runs or will run again: what counts against the cap and idles out. */
export const ACTIVE_STATUSES: readonly StreamStatus[] = ['STARTING', 'LIVE', 'RECONNECTING'];
export const isActive = (status: StreamStatus): boolean => ACTIVE_STATUSES.includes(status);

export interface StreamSession {
  id: string;
  cameraId: string;
  status: StreamStatus;
  startedAt: Date;
  stoppedAt: Date | null;
  restarts: number;
  lastError: string | null;
  updatedAt: Date;
}

export const SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
