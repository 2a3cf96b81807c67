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

/**
 * `commits`: the intent of one append, or a gap marker. `_id` = the commit's sequence number: the
 * unique insert of this document IS the allocation of its slot in the global log.
 */
export interface CommitDoc {
  _id: string;
  seq: number;
  count: number;
  /** Every candidate with its position (JSON envelopes); absent for gaps. */
  events?: string[];
  gap?: boolean;
  createdAt: Date;
}

/**
 * `outcomes`: the decision on a commit (`_id` = its sequence number): the indexes of the candidates
 * that lost (usually none). The events themselves are read from the commit doc: no third copy.
 */
export interface OutcomeDoc {
  _id: string;
  seq: number;
  lost: number[];
}

/** A decided commit as readers use it: the winning events, in position order. */
export interface DecidedCommit {
  seq: number;
  events: string[];
}

export const winnersOf = (commit: Pick<CommitDoc, 'events'>, outcome: Pick<OutcomeDoc, 'lost'>): string[] => {
  const lost = new Set(outcome.lost);
  return (commit.events ?? []).filter((_, index) => !lost.has(index));
};

/** `snapshots`: `_id` = `<streamId>@<version>`, insert-only. */
export interface SnapshotDoc {
  _id: string;
  state: string;
  createdAt: Date;
}

/**
 * `counters`: `_id: 'head'` holds a hint of the highest claimed commit sequence. Only a hint: the
 * engine's read-modify-write updates are not atomic under concurrency (FerretDB), so it may lag.
 */
export interface CounterDoc {
  _id: string;
  value: number;
}

export const streamKey = (streamId: string, version: number): string => `${streamId}:${version}`;
export const seqKey = (seq: number): string => String(seq);
export const snapshotKey = (streamId: string, version: number): string => `${streamId}@${version}`;
