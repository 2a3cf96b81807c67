import type { DomainEvent, DomainEventType } from './domain-events';
import { AGGREGATE_OF } from './domain-events';

/** Who caused an event and why: lands in every stored event. */
export interface EventMetadata {
  correlationId: string;
  causationId: string | null;
  actor: string;
  /** Hash of the command that produced the event: tells a repeat from a different command reusing an id. */
  commandHash?: string;
}

/** What every stored event carries besides its `type` and `data`. */
export interface EnvelopeFields {
  /**
   * The stored event's own id (a UUIDv7), named `eventId` in JSON (the wire and the store). Not the
   * id of the aggregate it belongs to: an incident's id is `data.eventId` of its events.
   */
  id: string;
  streamId: string;
  version: number;
  position: number;
  schemaVersion: number;
  occurredAt: string;
  recordedAt: string;
  metadata: EventMetadata;
}

/**
 * A stored domain event as it travels between modules. `position` is the global position: a
 * decimal string in the API, a safe integer inside. A union discriminated by `type`: a
 * `switch (envelope.type)` narrows `data` to that event's shape.
 */
export type EventEnvelope<E extends DomainEvent = DomainEvent> = E extends DomainEvent ? EnvelopeFields & E : never;

/** The JSON form, in the store and on `sightline.events`: the envelope's own id is `eventId` there. */
type JsonFields<P> = Omit<EnvelopeFields, 'id' | 'position'> & { eventId: string; position: P };

/** The form the event store keeps (JSON text). */
export type StoredEnvelope<E extends DomainEvent = DomainEvent> = E extends DomainEvent ? JsonFields<number> & E : never;

/** The wire form (the JSON body on `sightline.events`): `position` is a decimal string, as in the API. */
export type WireEnvelope<E extends DomainEvent = DomainEvent> = E extends DomainEvent ? JsonFields<string> & E : never;

/**
 * AMQP header the relay puts on every message of the events exchange: the position of the event it
 * published just before this one (0 before the first), i.e. no stored event lies between the two.
 * Lets a consumer that follows the whole log tell "next event" from "gap" without reading the store.
 */
export const PREVIOUS_POSITION_HEADER = 'x-previous-position';

export const routingKeyOf = (type: DomainEventType): string => `${AGGREGATE_OF[type]}.${type}`;

export function toStored(envelope: EventEnvelope): StoredEnvelope {
  const { id, ...rest } = envelope;
  return { eventId: id, ...rest };
}

export function fromStored(stored: StoredEnvelope): EventEnvelope {
  const { eventId, ...rest } = stored;
  return { id: eventId, ...rest };
}

export function toWire(envelope: EventEnvelope): WireEnvelope {
  const { id, ...rest } = envelope;
  return { eventId: id, ...rest, position: String(envelope.position) };
}

export function fromWire(wire: WireEnvelope): EventEnvelope {
  const position = Number(wire.position);
  if (!Number.isSafeInteger(position) || position < 1) throw new Error(`invalid position ${String(wire.position)}`);
  const { eventId, ...rest } = wire;
  return { id: eventId, ...rest, position };
}
