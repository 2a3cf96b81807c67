import { CURRENT_SCHEMA_VERSION, RECORDING_OFF, type DomainEventType } from '../events/domain-events';
import type { EventEnvelope } from '../events/envelope';

/** Turns an event stored with schema version `from` into version `from + 1`. Pure; never touches the store. */
export type Upcaster = (data: Record<string, unknown>, envelope: EventEnvelope) => Record<string, unknown>;

/**
 * Upcasters by event type, then by the version they upgrade FROM. Stored events are never rewritten:
 * old versions stay as they were written and are lifted on every read.
 */
export const UPCASTERS: Partial<Record<DomainEventType, Record<number, Upcaster>>> = {
  CameraRegistered: {
    // v1 predates recording: no camera was recorded then.
    1: (data) => ({ ...data, recording: { ...RECORDING_OFF } }),
  },
  EventRecorded: {
    // v1 predates AMQP ingestion: every event came through GraphQL, so `source` was not stored.
    1: (data) => ({ ...data, source: 'graphql' }),
  },
};

/** The envelope lifted to its type's current schema version (returned as is when already current). */
export function upcast(envelope: EventEnvelope, upcasters = UPCASTERS): EventEnvelope {
  const target = CURRENT_SCHEMA_VERSION[envelope.type];
  if (envelope.schemaVersion >= target) return envelope;
  let data = envelope.data as Record<string, unknown>;
  for (let version = envelope.schemaVersion; version < target; version += 1) {
    const step = upcasters[envelope.type]?.[version];
    if (!step) throw new Error(`no upcaster for ${envelope.type} v${version} -> v${version + 1}`);
    data = step(data, envelope);
  }
  // The last step's output is the current shape of this type's data: the type and data match again.
  return { ...envelope, data, schemaVersion: target } as EventEnvelope;
}
