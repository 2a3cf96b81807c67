/**
 * The view documents' model: what a domain event does to a document (a Change) and the order-free
 * merge that applies it. Pure; the projector builds changes (projection/changes.ts), the views
 * store and read the documents.
 */

/**
 * What one domain event does to one view document, as groups of fields. Each group is stamped with
 * the stream version that wrote it, and a group is only overwritten by a higher version: the final
 * document is therefore the same whatever order (or how many times) the events of a stream are
 * applied, which is what competing projector processes and redelivery need.
 */
export interface Change {
  view: 'cameras' | 'events';
  id: string;
  streamVersion: number;
  position: number;
  /** True for the event that creates the aggregate (CameraRegistered, EventRecorded). */
  creates: boolean;
  groups: Record<string, Record<string, unknown>>;
}

/** A view document as stored: domain fields plus the bookkeeping that makes merging order-free. */
export interface ViewDoc {
  id: string;
  /** Highest stream version applied. */
  version: number;
  /** Highest global position applied. */
  position: number;
  /** Every stream version applied: the document is its own ledger (see the checkpoint). */
  applied: number[];
  /** False until the creating event is applied: such a document is invisible to queries. */
  hasRecord: boolean;
  /** Group -> stream version that last wrote it. */
  fv: Record<string, number>;
  [field: string]: unknown;
}

export const isApplied = (doc: ViewDoc | undefined, streamVersion: number): boolean => doc !== undefined && doc.applied.includes(streamVersion);

/**
 * Applies changes to a document; undefined when nothing changes (all already applied), so the
 * caller writes nothing. Pure and order-independent: any permutation of the same changes, with any
 * repeats, gives the same document. `current` is never modified: the first change that applies
 * copies it once, and the rest write into that copy (this runs for every projected event).
 */
export function mergeChanges(current: ViewDoc | undefined, changes: readonly Change[]): ViewDoc | undefined {
  let doc: ViewDoc | undefined;
  for (const change of changes) {
    if (isApplied(doc ?? current, change.streamVersion)) continue;
    doc ??= current
      ? { ...current, applied: [...current.applied], fv: { ...current.fv } }
      : { id: change.id, version: 0, position: 0, applied: [], hasRecord: false, fv: {} };
    for (const group of Object.keys(change.groups)) {
      const stamp = doc.fv[group];
      if (stamp !== undefined && stamp > change.streamVersion) continue;
      Object.assign(doc, change.groups[group]);
      doc.fv[group] = change.streamVersion;
    }
    const applied = doc.applied;
    applied.push(change.streamVersion);
    if (applied.length > 1 && applied[applied.length - 2]! > change.streamVersion) applied.sort((a, b) => a - b);
    if (change.streamVersion > doc.version) doc.version = change.streamVersion;
    if (change.position > doc.position) doc.position = change.position;
    if (change.creates) doc.hasRecord = true;
  }
  if (!doc) return undefined;
  // Derived from merged fields only, so they too are independent of apply order.
  if (changes[0]?.view === 'events') {
    doc.ackSeconds = seconds(doc.recordedAt, doc.acknowledgedAt);
    doc.resolveSeconds = seconds(doc.recordedAt, doc.resolvedAt);
  }
  return doc;
}

const seconds = (from: unknown, to: unknown): number | null =>
  typeof from === 'string' && typeof to === 'string' ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) : null;
