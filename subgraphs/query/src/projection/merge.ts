import type { Change } from './changes';

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

export const isApplied = (doc: ViewDoc | undefined, streamVersion: number): boolean =>
  doc !== undefined && doc.applied.includes(streamVersion);

/**
 * Applies changes to a document; undefined when nothing changes (all already applied), so the
 * caller writes nothing. Pure and order-independent: any permutation of the same changes, with any
 * repeats, gives the same document.
 */
export function mergeChanges(current: ViewDoc | undefined, changes: readonly Change[]): ViewDoc | undefined {
  let doc: ViewDoc | undefined = current;
  let changed = false;
  for (const change of changes) {
    if (isApplied(doc, change.streamVersion)) continue;
    const next: ViewDoc = doc
      ? { ...doc, applied: [...doc.applied], fv: { ...doc.fv } }
      : { id: change.id, version: 0, position: 0, applied: [], hasRecord: false, fv: {} };
    for (const [group, values] of Object.entries(change.groups)) {
      const stamp = next.fv[group];
      if (stamp !== undefined && stamp > change.streamVersion) continue;
      Object.assign(next, values);
      next.fv[group] = change.streamVersion;
    }
    next.applied.push(change.streamVersion);
    next.applied.sort((a, b) => a - b);
    next.version = Math.max(next.version, change.streamVersion);
    next.position = Math.max(next.position, change.position);
    if (change.creates) next.hasRecord = true;
    doc = next;
    changed = true;
  }
  if (!changed || !doc) return undefined;
  return change0View(changes) === 'events' ? withDurations(doc) : doc;
}

const change0View = (changes: readonly Change[]): Change['view'] | undefined => changes[0]?.view;

const seconds = (from: unknown, to: unknown): number | null =>
  typeof from === 'string' && typeof to === 'string' ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) : null;

/** Derived from merged fields only, so they too are independent of apply order. */
function withDurations(doc: ViewDoc): ViewDoc {
  return {
    ...doc,
    ackSeconds: seconds(doc.recordedAt, doc.acknowledgedAt),
    resolveSeconds: seconds(doc.recordedAt, doc.resolvedAt),
  };
}
