/** What recorders and clips need from outside the recording folder: declared here, implemented by the adapters. */

export type RecorderState = 'RECORDING' | 'RECONNECTING' | 'OFF';

/** A camera's recorder as stored (`media_recorders`) and answered as `Camera.recorder`. */
export interface RecorderStatus {
  cameraId: string;
  state: RecorderState;
  since: Date;
  oldest: Date | null;
  bytes: number;
  lastError: string | null;
  /** The media service that records it. */
  owner: string;
  /** An outage already announced with `camera.offline` (kept across restarts and takeovers: one event per outage). */
  offline: boolean;
}

export type ClipStatus = 'PENDING' | 'READY' | 'UNAVAILABLE';

/** The clip of one event (`media_clips`, `_id` = event id). */
export interface ClipRecord {
  eventId: string;
  cameraId: string;
  status: ClipStatus;
  from: Date;
  to: Date;
  /** The media service holding its files. */
  owner: string;
  reason: string | null;
  readyAt: Date | null;
}

export interface RecordingStore {
  saveStatus(status: RecorderStatus): Promise<void>;
  status(cameraId: string): Promise<RecorderStatus | null>;
  /** Stores a new clip; false if the event has one already. */
  insertClip(clip: ClipRecord): Promise<boolean>;
  saveClip(clip: ClipRecord): Promise<void>;
  clip(eventId: string): Promise<ClipRecord | null>;
}

/** A camera health event, published like an external system's event (the ingest exchange). */
export interface HealthEvent {
  id: string;
  cameraId: string;
  type: 'camera.offline' | 'camera.online';
  severity: 'HIGH' | 'LOW';
  occurredAt: Date;
}

export interface HealthPublisher {
  publish(event: HealthEvent): Promise<void>;
}

/** Remuxes MPEG-TS segments into one MP4 by stream copy. */
export type RemuxToMp4 = (inputs: readonly string[], output: string) => Promise<void>;
