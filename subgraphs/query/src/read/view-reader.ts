import type { Client, estypes } from '@elastic/elasticsearch';
import { unavailable } from '../../../../lib/errors/engine-errors';
import type { ViewDoc } from '../views/view-doc';
import type { ViewNames } from '../views/names';
import { encodeCursor } from './cursor';
import { cameraQuery, eventQuery, type CameraFilter, type EventFilter } from './filters';

export interface Page {
  docs: Array<{ doc: ViewDoc; cursor: string }>;
  hasNextPage: boolean;
  totalCount: number;
}

const total = (value: number | estypes.SearchTotalHits | undefined): number => (typeof value === 'number' ? value : (value?.value ?? 0));

async function engine<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw unavailable('elasticsearch', error);
  }
}

/** Reads of the camera and event views, through their aliases. */
export class ViewReader {
  constructor(
    readonly client: Client,
    readonly names: ViewNames,
    /** Told each document read's Elasticsearch round trip (seconds), for the metrics. */
    private readonly onRead: (view: 'cameras' | 'events', seconds: number) => void = () => undefined,
  ) {}

  async getMany(view: 'cameras' | 'events', ids: readonly string[]): Promise<Map<string, ViewDoc>> {
    if (ids.length === 0) return new Map();
    const started = performance.now();
    const response = await engine(() => this.client.mget<ViewDoc>({ index: this.names.alias(view), ids: [...ids] }));
    this.onRead(view, (performance.now() - started) / 1000);
    const found = new Map<string, ViewDoc>();
    for (const doc of response.docs) {
      if ('found' in doc && doc.found && doc._source?.hasRecord) found.set(doc._id, doc._source);
    }
    return found;
  }

  async cameraIdsOfSites(sites: readonly string[] | null | undefined): Promise<string[] | undefined> {
    if (!sites) return undefined;
    const response = await engine(() =>
      this.client.search<ViewDoc>({
        index: this.names.alias('cameras'),
        query: cameraQuery({ sites: [...sites] }),
        _source: false,
        size: 10000,
      }),
    );
    return response.hits.hits.map((hit) => hit._id).filter((id): id is string => typeof id === 'string');
  }

  searchCameras(filter: CameraFilter | null | undefined, size: number, after: unknown[] | undefined): Promise<Page> {
    return this.page('cameras', cameraQuery(filter), [{ 'name.raw': 'asc' }, { id: 'asc' }], size, after);
  }

  async searchEvents(filter: EventFilter | null | undefined, size: number, after: unknown[] | undefined): Promise<Page> {
    const sites = await this.cameraIdsOfSites(filter?.sites);
    // Newest first by our clock; the id breaks ties. Neither changes after recording, so a cursor
    // stays valid and no row moves between pages while new events arrive (they sort before it).
    return this.page('events', eventQuery(filter, sites), [{ recordedAt: 'desc' }, { id: 'desc' }], size, after);
  }

  private async page(
    view: 'cameras' | 'events',
    query: estypes.QueryDslQueryContainer,
    sort: estypes.Sort,
    size: number,
    after: unknown[] | undefined,
  ): Promise<Page> {
    const response = await engine(() =>
      this.client.search<ViewDoc>({
        index: this.names.alias(view),
        query,
        sort,
        size: size + 1,
        track_total_hits: true,
        ...(after ? { search_after: after as estypes.SortResults } : {}),
      }),
    );
    const hits = response.hits.hits.filter((hit) => hit._source);
    return {
      docs: hits.slice(0, size).map((hit) => ({ doc: hit._source as ViewDoc, cursor: encodeCursor(hit.sort ?? []) })),
      hasNextPage: hits.length > size,
      totalCount: total(response.hits.total),
    };
  }
}
