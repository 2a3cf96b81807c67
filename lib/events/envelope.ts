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

/**
 * A stored domain event as it travels on `sightline.events` (the JSON body) and between modules.
 * `position` is the global position: a decimal string in the API, a safe integer inside.
 */
export interface EventEnvelope<E extends DomainEvent = DomainEvent> {
  eventId: string;
  streamId: string;
  version: number;
  position: number;
  type: E['type'];
  schemaVersion: number;
  occurredAt: string;
  recordedAt: string;
  data: E['data'];
  metadata: EventMetadata;
}

/** The wire form: identical but for `position`, which is a decimal string as in the API. */
export type WireEnvelope = Omit<EventEnvelope, 'position'> & { position: string };

/**
 * AMQP header the relay puts on every message of the events exchange: the position of the event it
 * published just before this one (0 before the first), i.e. no stored event lies between the two.
 * Lets a consumer that follows the whole log tell "next event" from "gap" without reading the store.
 */
export const PREVIOUS_POSITION_HEADER = 'x-previous-position';

export const routingKeyOf = (type: DomainEventType): string => `${AGGREGATE_OF[type]}.${type}`;

export const toWire = (envelope: EventEnvelope): WireEnvelope => ({ ...envelope, position: String(envelope.position) });

export function fromWire(wire: WireEnvelope): EventEnvelope {
  const position = Number(wire.position);
  if (!Number.isSafeInteger(position) || position < 1) throw new Error(`invalid position ${String(wire.position)}`);
  return { ...wire, position } as EventEnvelope;
}
