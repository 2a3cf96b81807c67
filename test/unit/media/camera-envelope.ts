import type { CameraEvent } from '../../../lib/events/domain-events';
import type { EventEnvelope } from '../../../lib/events/envelope';

/** A camera event as the write side stores and relays it, for feeding the media camera store in tests. */
let position = 0;
export function cameraEnvelope<E extends CameraEvent>(type: E['type'], version: number, data: E['data']): EventEnvelope<E> {
  position += 1;
  return {
    id: `media-test-${Date.now()}-${position}`,
    streamId: `camera-${data.cameraId}`,
    version,
    position,
    type,
    schemaVersion: 1,
    occurredAt: new Date().toISOString(),
    recordedAt: new Date().toISOString(),
    data,
    metadata: { correlationId: 'test', causationId: null, actor: 'test' },
  } as EventEnvelope<E>;
}
