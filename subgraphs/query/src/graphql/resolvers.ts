import type { RequestContext } from '../../../../lib/auth/identity';
import { AppError } from '../../../../lib/errors/app-error';
import type { ViewDoc } from '../views/view-doc';
import type { Rebuilder } from '../projection/rebuild';
import type { ProjectionStatusReporter } from '../projection/status';
import { decodeCursor, pageSize } from '../read/cursor';
import { computeEventStats, type EventStats } from '../read/event-stats';
import type { CameraFilter, EventFilter } from '../read/filters';
import { checkRange } from '../read/filters';
import { Freshness } from '../read/freshness';
import type { StatsStore } from '../read/stats-store';
import type { Interval } from '../read/stats-plan';
import type { Page, ViewReader } from '../read/view-reader';
import { isViewName } from '../views/names';
import { BatchLoader } from './batch-loader';
import { toCamera, toEvent, type EventObject } from './mappers';
import { RECORDING_OFF } from '../../../../lib/events/domain-events';

export interface QueryDeps {
  reader: ViewReader;
  stats: StatsStore;
  freshness: Freshness;
  readYourWritesTimeoutMs: number;
  status: ProjectionStatusReporter;
  rebuilder: Rebuilder;
  /** Told how long each read waited for the read model (seconds), by root field. */
  onWait?: (field: string, seconds: number) => void;
}

type StatsObject = EventStats & { position: string };

const INTERVALS = new Set<Interval>(['MINUTE', 'HOUR', 'DAY']);

const loaders = new WeakMap<object, { cameras: BatchLoader<ViewDoc>; events: BatchLoader<ViewDoc> }>();

export function queryResolvers(deps: QueryDeps) {
  const loadersOf = (context: RequestContext) => {
    let found = loaders.get(context);
    if (!found) {
      found = {
        cameras: new BatchLoader((ids) => deps.reader.getMany('cameras', ids)),
        events: new BatchLoader((ids) => deps.reader.getMany('events', ids)),
      };
      loaders.set(context, found);
    }
    return found;
  };
  const fresh = async (minPosition: string | null | undefined, field: string) => {
    const started = performance.now();
    await deps.freshness.waitFor(Freshness.parse(minPosition), deps.readYourWritesTimeoutMs);
    deps.onWait?.(field, (performance.now() - started) / 1000);
  };
  const connection = (page: Page, map: (doc: ViewDoc) => unknown) => ({
    edges: page.docs.map(({ doc, cursor }) => ({ cursor, node: map(doc) })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.docs[page.docs.length - 1]?.cursor ?? null },
    totalCount: page.totalCount,
  });
  const stats = async (filter: EventFilter | null | undefined, interval: Interval): Promise<StatsObject> => {
    if (!INTERVALS.has(interval)) throw new AppError('BAD_USER_INPUT', 'interval must be MINUTE, HOUR or DAY');
    checkRange(filter);
    // Not while the position is held (Freshness): it may claim writes Elasticsearch lost.
    await fresh(undefined, 'stats');
    // The position is read before the aggregations: the answer reflects at least that much.
    const position = String(deps.freshness.searchable);
    const sites = await deps.reader.cameraIdsOfSites(filter?.sites);
    return { ...(await computeEventStats(deps.stats, filter, interval, sites)), position };
  };

  return {
    Query: {
      async camera(_: unknown, args: { id: string; minPosition?: string | null }, context: RequestContext) {
        await fresh(args.minPosition, 'camera');
        const doc = await loadersOf(context).cameras.load(args.id);
        return doc ? toCamera(doc) : null;
      },
      async cameras(_: unknown, args: { filter?: CameraFilter | null; first?: number | null; after?: string | null; minPosition?: string | null }) {
        const size = pageSize(args.first);
        const after = decodeCursor(args.after);
        await fresh(args.minPosition, 'cameras');
        return connection(await deps.reader.searchCameras(args.filter, size, after), toCamera);
      },
      async event(_: unknown, args: { id: string; minPosition?: string | null }, context: RequestContext) {
        await fresh(args.minPosition, 'event');
        const doc = await loadersOf(context).events.load(args.id);
        return doc ? toEvent(doc) : null;
      },
      async events(_: unknown, args: { filter?: EventFilter | null; first?: number | null; after?: string | null; minPosition?: string | null }) {
        const size = pageSize(args.first);
        const after = decodeCursor(args.after);
        checkRange(args.filter);
        await fresh(args.minPosition, 'events');
        return connection(await deps.reader.searchEvents(args.filter, size, after), toEvent);
      },
      async eventStats(_: unknown, args: { filter?: EventFilter | null; interval: Interval; minPosition?: string | null }) {
        await fresh(args.minPosition, 'eventStats');
        return stats(args.filter, args.interval);
      },
      projections: () => deps.status.statuses(),
    },
    Mutation: {
      async rebuildProjection(_: unknown, args: { name: string }) {
        if (!isViewName(args.name)) throw new AppError('BAD_USER_INPUT', `unknown projection ${args.name}: cameras, events or rollups`);
        await deps.rebuilder.start(args.name);
        const all = await deps.status.statuses();
        return all.find((s) => s.name === args.name);
      },
    },
    EventStats: {
      topCameras: (parent: StatsObject, args: { limit?: number | null }) => {
        const limit = args.limit ?? 10;
        if (!Number.isInteger(limit) || limit < 0 || limit > 1000) throw new AppError('BAD_USER_INPUT', 'limit must be between 0 and 1000');
        return parent.cameras.slice(0, limit);
      },
    },
    Camera: {
      async __resolveReference(reference: { id: string }, context: RequestContext) {
        const doc = await loadersOf(context).cameras.load(reference.id);
        return doc ? toCamera(doc) : null;
      },
      stats: (parent: { id: string }, args: { from?: string | null; to?: string | null; interval?: Interval | null }) =>
        stats({ cameraIds: [parent.id], from: args.from ?? null, to: args.to ?? null }, args.interval ?? 'HOUR'),
    },
    Event: {
      async __resolveReference(reference: { id: string }, context: RequestContext) {
        const doc = await loadersOf(context).events.load(reference.id);
        return doc ? toEvent(doc) : null;
      },
      async camera(parent: EventObject, _args: unknown, context: RequestContext) {
        const doc = await loadersOf(context).cameras.load(parent.cameraId);
        // An event can be projected before its camera (separate streams): the camera is still a
        // valid entity reference; its fields show what is known.
        return doc
          ? toCamera(doc)
          : {
              __typename: 'Camera',
              id: parent.cameraId,
              name: parent.cameraId,
              site: null,
              rtspUrl: '',
              tags: [],
              status: 'ACTIVE',
              version: 0,
              registeredAt: parent.recordedAt,
              recording: RECORDING_OFF,
            };
      },
    },
  };
}
