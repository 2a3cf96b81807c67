/** A live-video session's status, as stored, published and answered in the API (`StreamStatus`). */
export type StreamStatus = 'STARTING' | 'LIVE' | 'RECONNECTING' | 'STOPPED' | 'FAILED';

/**
 * The body the media subgraph publishes on the streams exchange (routing key `stream.<cameraId>`)
 * whenever a session's status changes; the gateway turns it into `streamStatusChanged` pushes.
 */
export interface StreamStatusMessage {
  sessionId: string;
  cameraId: string;
  status: StreamStatus;
  startedAt: string;
  stoppedAt: string | null;
  restarts: number;
  lastError: string | null;
  /** When the change happened, for ordering and freshness. */
  at: string;
}

export const streamStatusRoutingKey = (cameraId: string): string => `stream.${cameraId}`;
