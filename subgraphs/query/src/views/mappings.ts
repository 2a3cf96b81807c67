import type { ViewName } from './names';

/**
 * Explicit mappings: `dynamic: strict` so a document builder bug fails loudly instead of silently
 * creating fields. One shard: terms aggregations are then exact, and the data fits one shard.
 * `fv` (per-field stream versions) and `attributes` are stored, never indexed.
 */
const keyword = { type: 'keyword' } as const;
const date = { type: 'date' } as const;
const long = { type: 'long' } as const;
const stored = { type: 'object', enabled: false } as const;

const common = {
  id: keyword,
  version: long,
  position: long,
  applied: { type: 'integer' },
  hasRecord: { type: 'boolean' },
  fv: stored,
} as const;

export const MAPPINGS: Record<ViewName, Record<string, unknown>> = {
  cameras: {
    dynamic: 'strict',
    properties: {
      ...common,
      name: { type: 'text', fields: { raw: keyword } },
      site: keyword,
      rtspUrl: { type: 'keyword', index: false },
      tags: keyword,
      status: keyword,
      registeredAt: date,
      recording: { type: 'object', properties: { enabled: { type: 'boolean' }, retentionHours: { type: 'integer' } } },
    },
  },
  events: {
    dynamic: 'strict',
    properties: {
      ...common,
      cameraId: keyword,
      type: { type: 'keyword', fields: { text: { type: 'text' } } },
      severity: keyword,
      occurredAt: date,
      recordedAt: date,
      source: { type: 'keyword', fields: { text: { type: 'text' } } },
      attributes: stored,
      attributesText: { type: 'text' },
      status: keyword,
      acknowledgedAt: date,
      acknowledgedBy: keyword,
      acknowledgeNote: { type: 'text' },
      resolvedAt: date,
      resolvedBy: keyword,
      resolveNote: { type: 'text' },
      ackSeconds: { type: 'double' },
      resolveSeconds: { type: 'double' },
    },
  },
  rollups: {
    dynamic: 'strict',
    properties: {
      hour: date,
      /** Day documents only (also their `hour`: the day's start); `build`: which build of the day (rollups.ts). */
      day: date,
      build: keyword,
      /** Absent on combination documents; the dimension on dimension documents (rollup-docs.ts). */
      kind: keyword,
      cameraId: keyword,
      type: keyword,
      severity: keyword,
      status: keyword,
      count: long,
      ackSum: { type: 'double' },
      ackCount: long,
      resolveSum: { type: 'double' },
      resolveCount: long,
    },
  },
};

/**
 * Replicas: `auto_expand_replicas: 0-1` gives an index one replica as soon as the cluster has a
 * second data node and none on a single node (where a replica could never be placed and would keep
 * the cluster yellow), so with three nodes every shard survives the loss of one. The translog is fsynced before every bulk is answered (Elasticsearch's
 * default, `translog.durability: request`): a view write the projector acknowledged survives a crash
 * of the Elasticsearch node. With `async` (fsync every 5 s) the last seconds of acknowledged writes
 * were lost in such a crash while the projection went on claiming them (subgraphs/query/README.md,
 * "Durability and healing", has the figures that chose this). Set on existing indices at start too.
 */
export const INDEX_SETTINGS = { number_of_shards: 1, auto_expand_replicas: '0-1', refresh_interval: '1s', 'translog.durability': 'request' } as const;

/** The settings of the small bookkeeping indices (leases, checkpoints, hour statuses). */
export const STATE_INDEX_SETTINGS = { number_of_shards: 1, auto_expand_replicas: INDEX_SETTINGS.auto_expand_replicas } as const;
