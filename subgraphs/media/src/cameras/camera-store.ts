import type { EventEnvelope } from '../../../../lib/events/envelope';
import type { CameraEvent } from '../../../../lib/events/domain-events';
import { evolveCamera, type MediaCamera } from './media-camera';

/** Where the media service keeps the cameras it learned (MongoDB `media_cameras` in production). */
export interface CameraRepository {
  all(): Promise<MediaCamera[]>;
  /** Stores the camera unless the stored one is at the same or a later version. */
  save(camera: MediaCamera): Promise<void>;
}

/**
 * The media service's own view of cameras, fed by camera events (never by asking another subgraph):
 * persisted so a restart knows every camera at once, mirrored in memory for the hot path.
 */
export class CameraStore {
  private readonly cameras = new Map<string, MediaCamera>();
  private readonly listeners: Array<(camera: MediaCamera, previous: MediaCamera | undefined) => void> = [];

  constructor(private readonly repository: CameraRepository) {}

  async load(): Promise<void> {
    for (const camera of await this.repository.all()) this.cameras.set(camera.id, camera);
  }

  get(cameraId: string): MediaCamera | undefined {
    return this.cameras.get(cameraId);
  }

  all(): Iterable<MediaCamera> {
    return this.cameras.values();
  }

  onChange(listener: (camera: MediaCamera, previous: MediaCamera | undefined) => void): void {
    this.listeners.push(listener);
  }

  /** Applies one camera event; true when it changed anything. Throws (to be retried) if it cannot be stored. */
  async apply(envelope: EventEnvelope<CameraEvent>): Promise<boolean> {
    const cameraId = envelope.data.cameraId;
    const current = this.cameras.get(cameraId);
    const next = evolveCamera(current, envelope);
    if (!next || next === current) return false;
    await this.repository.save(next);
    this.cameras.set(cameraId, next);
    for (const listener of this.listeners) listener(next, current);
    return true;
  }
}
