import type { StreamStatus } from '../../../../lib/events/stream-status';

/** Statuses in which ffmpeg runs or will run again: what counts against the cap and idles out. */
const ACTIVE_STATUSES: readonly StreamStatus[] = ['STARTING', 'LIVE', 'RECONNECTING'];
export const isActive = (status: StreamStatus): boolean => ACTIVE_STATUSES.includes(status);
/** Every status but STOPPED: the sessions a media process keeps in memory (FAILED stays until replaced). */
export const UNFINISHED_STATUSES: readonly StreamStatus[] = [...ACTIVE_STATUSES, 'FAILED'];

/** A live-video session of one camera, as stored, published and answered in the API. */
export interface StreamSession {
  id: string;
  /** Its place in the listing order: 1, 2, 3 ... in the order sessions were created (newest listed first). */
  seq: number;
  cameraId: string;
  status: StreamStatus;
  startedAt: Date;
  stoppedAt: Date | null;
  restarts: number;
  lastError: string | null;
  updatedAt: Date;
}

export const SESSION_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
