import type { Client, estypes } from '@elastic/elasticsearch';
import { unavailable } from '../../../../lib/errors/engine-errors';
import type { Change } from './view-doc';
import { mergeChanges, type ViewDoc } from './view-doc';
import { errorTypeOf, statusOf } from './elastic-errors';

type Versioned = { doc: ViewDoc; seqNo: number; primaryTerm: number } | undefined;

const MAX_CONFLICT_ROUNDS = 20;

/** One alias to write a view's changes into; `optional` for a rebuild's `-next` alias that may vanish. */
export interface WriteTarget {
  alias: string;
  optional: boolean;
}

export interface ApplyResult {
  /** Event documents that changed: their occurredAt hours feed the rollups. */
  changedEventDocs: ViewDoc[];
  written: number;
  /** Documents Elasticsearch will always refuse (mapping, immense term, too large): retrying cannot help. */
  refused: RefusedDocument[];
}

export interface RefusedDocument {
  view: Change['view'];
  id: string;
  reason: string;
}

type BulkItem = estypes.BulkResponse['items'][number];

/** Elasticsearch's errors for a document that does not fit the mapping (an immense term among them). */
const DOCUMENT_ERRORS = new Set(['document_parsing_exception', 'mapper_parsing_exception', 'strict_dynamic_mapping_exception']);

/**
 * A document refused for what it is, not for the state of the cluster: it does not parse into the
 * mapping, or it is larger than `http.max_content_length` on its own (413). Anything else is
 * retried: 429 and 5xx, shard failures, and other 400s, which also name the cluster's state (an
 * alias with two indices and no write index answers `illegal_argument_exception`).
 */
const isRefusal = (item: estypes.BulkResponseItem): boolean => item.status === 413 || (item.status === 400 && DOCUMENT_ERRORS.has(item.error?.type ?? ''));

const isIndexMissing = (error: unknown): boolean => errorTypeOf(error) === 'index_not_found_exception';

/**
 * The Elasticsearch side of applying changes: read the current documents (realtime mget), merge
 * in memory, write back with optimistic concurrency (`if_seq_no` / `create`). A conflict means another
 * projector process wrote the same document in between: read again and merge again. No scripts
 * needed, and a batch either lands whole or is retried whole (the merge makes retries harmless).
 */
export class ViewStore {
  constructor(
    private readonly client: Client,
    /** Runs before event documents are written (rollup hours are marked dirty first). */
    private readonly beforeEventWrite: (docs: ViewDoc[]) => Promise<void> = async () => undefined,
  ) {}

  /** `markRollups: false` for a rebuild's replay: it rewrites facts the rollups already reflect. */
  async apply(changes: readonly Change[], targetsOf: (view: Change['view']) => WriteTarget[], options: { markRollups?: boolean } = {}): Promise<ApplyResult> {
    const markRollups = options.markRollups ?? true;
    const result: ApplyResult = { changedEventDocs: [], written: 0, refused: [] };
    const byView = new Map<Change['view'], Map<string, Change[]>>();
    for (const change of changes) {
      const docs = byView.get(change.view) ?? new Map<string, Change[]>();
      byView.set(change.view, docs);
      const list = docs.get(change.id) ?? [];
      list.push(change);
      docs.set(change.id, list);
    }
    for (const [view, docs] of byView) {
      for (const target of targetsOf(view)) {
        const counted = view === 'events' && !target.optional ? result : { changedEventDocs: [], written: 0, refused: [] };
        await this.applyToTarget(view, markRollups, target, docs, counted);
        // Refusals are reported from the live target (a rebuild's copy refuses the same documents).
        if (counted !== result && !target.optional) result.refused.push(...counted.refused);
      }
    }
    return result;
  }

  private async applyToTarget(
    view: Change['view'],
    markRollups: boolean,
    target: WriteTarget,
    docs: Map<string, Change[]>,
    result: ApplyResult,
  ): Promise<void> {
    let pending = [...docs.keys()];
    for (let round = 0; pending.length > 0; round += 1) {
      if (round >= MAX_CONFLICT_ROUNDS) throw new Error(`${target.alias}: still conflicting after ${round} rounds`);
      // First round: a document whose creating event is in the batch is most likely new, so it is
      // created blind (no read); if it exists after all, the create conflicts and the next round
      // reads and merges it. This halves the requests of the common case.
      const blind = round === 0 ? new Set(pending.filter((id) => docs.get(id)?.some((c) => c.creates))) : new Set<string>();
      let current: Map<string, Versioned>;
      try {
        const toRead = pending.filter((id) => !blind.has(id));
        current = toRead.length > 0 ? await this.read(target.alias, toRead) : new Map();
      } catch (error) {
        if (target.optional && isIndexMissing(error)) return;
        throw unavailable('elasticsearch', error);
      }
      const operations: estypes.BulkRequest['operations'] = [];
      const merged: ViewDoc[] = [];
      for (const id of pending) {
        const existing = current.get(id);
        const next = mergeChanges(existing?.doc, docs.get(id) ?? []);
        if (!next) continue;
        operations.push(
          existing
            ? { index: { _index: target.alias, _id: id, if_seq_no: existing.seqNo, if_primary_term: existing.primaryTerm } }
            : { create: { _index: target.alias, _id: id } },
          next,
        );
        merged.push(next);
      }
      if (merged.length === 0) return;
      if (view === 'events' && markRollups) {
        await this.beforeEventWrite(merged).catch((error: unknown) => {
          throw unavailable('elasticsearch', error);
        });
      }
      const items = await this.bulk(operations);
      const conflicts: string[] = [];
      items.forEach((item, i) => {
        const outcome = item.index ?? item.create;
        const doc = merged[i];
        if (!outcome || !doc) return;
        if (outcome.status === 409) conflicts.push(doc.id);
        else if (outcome.error) {
          if (target.optional && outcome.error.type === 'index_not_found_exception') return;
          // Elasticsearch's reason may quote the whole offending value: the start says enough.
          if (isRefusal(outcome)) result.refused.push({ view, id: doc.id, reason: `${outcome.error.type}: ${outcome.error.reason ?? ''}`.slice(0, 300) });
          else throw unavailable('elasticsearch', new Error(`${outcome.error.type}: ${outcome.error.reason ?? ''}`));
        } else {
          result.written += 1;
          result.changedEventDocs.push(doc);
        }
      });
      pending = conflicts;
    }
  }

  /**
   * One bulk, split in halves for as long as Elasticsearch answers 413 (the body is over its
   * `http.max_content_length`): a batch of large documents goes through in pieces instead of being
   * retried unchanged for ever. A single document too large on its own gets a 413 item.
   */
  private async bulk(operations: NonNullable<estypes.BulkRequest['operations']>): Promise<BulkItem[]> {
    try {
      // Only what is read back: the full per-item answer (ids, versions, shards) of a 5,000-document
      // bulk is about 1 MB that Elasticsearch renders and this process parses for nothing.
      const response = await this.client.bulk({ operations, require_alias: true, refresh: false, filter_path: 'errors,items.*.status,items.*.error' });
      return response.items;
    } catch (error) {
      if (statusOf(error) !== 413) throw unavailable('elasticsearch', error);
      // Two entries per document: the action and the source.
      const docs = operations.length / 2;
      if (docs <= 1)
        return [
          {
            index: {
              _index: '',
              status: 413,
              error: { type: 'request_entity_too_large', reason: 'the document alone is larger than http.max_content_length' },
            },
          },
        ];
      const half = Math.ceil(docs / 2) * 2;
      return [...(await this.bulk(operations.slice(0, half))), ...(await this.bulk(operations.slice(half)))];
    }
  }

  private async read(alias: string, ids: string[]): Promise<Map<string, Versioned>> {
    const response = await this.client.mget<ViewDoc>({ index: alias, ids, realtime: true });
    const found = new Map<string, Versioned>();
    for (const doc of response.docs) {
      if ('found' in doc && doc.found && doc._source && doc._seq_no !== undefined && doc._primary_term !== undefined) {
        found.set(doc._id, { doc: doc._source, seqNo: doc._seq_no, primaryTerm: doc._primary_term });
      }
    }
    return found;
  }

  /** Which (streamVersion) of each document id is applied: the checkpoint's view of other processes' work. */
  async appliedVersions(alias: string, ids: string[]): Promise<Map<string, number[]>> {
    const docs = await this.read(alias, [...new Set(ids)]);
    return new Map([...docs].map(([id, v]) => [id, v?.doc.applied ?? []]));
  }
}
