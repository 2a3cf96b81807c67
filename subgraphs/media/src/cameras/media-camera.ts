import type { EventEnvelope } from '../../../../lib/events/envelope';
import type { CameraEvent } from '../../../../lib/events/domain-events';
import { RECORDING_OFF, type CameraStatus, type RecordingSettings } from '../../../../lib/events/domain-events';

/** What the media service needs to know of a camera: where to pull video from, and whether it may. */
export interface MediaCamera {
  id: string;
  /** As registered, credentials included: never logged, never answered. */
  rtspUrl: string;
  status: CameraStatus;
  /** Recorded continuously or not (absent in cameras stored before recordings: off). */
  recording: RecordingSettings;
  /** Version of the camera's event stream last applied: events at or below it are repeats. */
  version: number;
}

export const CAMERA_EVENT_TYPES: ReadonlySet<string> = new Set(['CameraRegistered', 'CameraUpdated', 'CameraDecommissioned']);

/**
 * evolve(state, event) for the media view of a camera. Returns the state unchanged for a repeat or
 * an older event (delivery is at least once), and undefined when nothing can be known yet (an update
 * without a URL for a camera never seen).
 */
export function evolveCamera(current: MediaCamera | undefined, envelope: EventEnvelope<CameraEvent>): MediaCamera | undefined {
  if (current && envelope.version <= current.version) return current;
  switch (envelope.type) {
    case 'CameraRegistered':
      return {
        id: envelope.data.cameraId,
        rtspUrl: envelope.data.rtspUrl,
        status: 'ACTIVE',
        recording: envelope.data.recording ?? RECORDING_OFF,
        version: envelope.version,
      };
    case 'CameraUpdated': {
      const rtspUrl = envelope.data.rtspUrl ?? current?.rtspUrl;
      if (rtspUrl === undefined) return current;
      const recording = envelope.data.recording ?? current?.recording ?? RECORDING_OFF;
      return { id: envelope.data.cameraId, rtspUrl, status: current?.status ?? 'ACTIVE', recording, version: envelope.version };
    }
    case 'CameraDecommissioned':
      return { id: envelope.data.cameraId, rtspUrl: current?.rtspUrl ?? '', status: 'DECOMMISSIONED', recording: RECORDING_OFF, version: envelope.version };
  }
}
