import type { EventEnvelope } from '../events/envelope';

/**
 * Stored shapes of the MongoDB adapter. Events are kept as JSON text: attributes are arbitrary client
 * JSON (keys with `$` or `.` would trip BSON rules), and FerretDB stores one text column faster than
 * many nested fields. Every `_id` is a string: FerretDB only uses its index for string/ObjectId `_id`s.
 */

/** `streams`: one per stored event; `_id` = `<streamId>:<version>` is the concurrency lock. */
export interface StreamDoc {
  _id: string;
  position: number;
  e: string;
}

/** `commits`: the intent of one append (`_id` = its first position), or a gap marker claiming a slot. */
export interface CommitDoc {
  _id: string;
  first: number;
  count: number;
  /** Every candidate with its position (JSON envelopes); absent for gaps. */
  events?: string[];
  gap?: boolean;
  createdAt: Date;
}

/** `outcomes`: the decided commit: only the events that won, in position order. */
export interface OutcomeDoc {
  _id: string;
  first: number;
  count: number;
  events: string[];
}

/** `snapshots`: `_id` = `<streamId>@<version>`, insert-only. */
export interface SnapshotDoc {
  _id: string;
  state: string;
  createdAt: Date;
}

/** `counters`: `_id: 'position'` holds the last allocated global position. */
export interface CounterDoc {
  _id: string;
  value: number;
}

export const streamKey = (streamId: string, version: number): string => `${streamId}:${version}`;
export const positionKey = (position: number): string => String(position);
export const snapshotKey = (streamId: string, version: number): string => `${streamId}@${version}`;

export const encodeEnvelope = (envelope: EventEnvelope): string => JSON.stringify(envelope);
export const decodeEnvelope = (text: string): EventEnvelope => JSON.parse(text) as EventEnvelope;
