import type { estypes } from '@elastic/elasticsearch';
import { AppError } from '../../../../lib/errors/app-error';
import type { EventFilterInput } from '../../../../lib/graphql/event-filter-input';

export type EventFilter = EventFilterInput;

export interface CameraFilter {
  sites?: string[] | null;
  statuses?: string[] | null;
  tags?: string[] | null;
  text?: string | null;
}

type Query = estypes.QueryDslQueryContainer;

const MAX_TERMS = 1000;
const MAX_TEXT = 200;

const terms = (field: string, values: readonly string[] | null | undefined): Query[] => {
  if (values === null || values === undefined) return [];
  if (values.length > MAX_TERMS) throw new AppError('BAD_USER_INPUT', `at most ${MAX_TERMS} values per filter`);
  return [{ terms: { [field]: [...values] } }];
};

const text = (value: string | null | undefined, fields: string[]): Query[] => {
  if (!value || value.trim() === '') return [];
  if (value.length > MAX_TEXT) throw new AppError('BAD_USER_INPUT', `text must be at most ${MAX_TEXT} characters`);
  // simple_query_string never fails on user syntax, unlike query_string.
  return [{ simple_query_string: { query: value, fields, default_operator: 'and', lenient: true } }];
};

export function checkRange(filter: EventFilter | null | undefined): { from?: number; to?: number } {
  const from = filter?.from ? Date.parse(filter.from) : undefined;
  const to = filter?.to ? Date.parse(filter.to) : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw new AppError('BAD_USER_INPUT', 'from must be before to');
  return { from, to };
}

/** Only documents whose creating event is applied are visible (see merge.ts). */
export const VISIBLE: Query = { term: { hasRecord: true } };

/**
 * The Elasticsearch query of an event filter. `cameraIdsOfSites` are the cameras of `filter.sites`,
 * looked up by the caller (events do not carry the site, which can change).
 */
export function eventQuery(filter: EventFilter | null | undefined, cameraIdsOfSites: string[] | undefined, options: { timeRange?: boolean } = {}): Query {
  const { from, to } = checkRange(filter);
  const must: Query[] = [VISIBLE];
  must.push(...terms('cameraId', filter?.cameraIds));
  if (cameraIdsOfSites) must.push({ terms: { cameraId: cameraIdsOfSites } });
  must.push(...terms('type', filter?.types));
  must.push(...terms('severity', filter?.severities));
  must.push(...terms('status', filter?.statuses));
  if ((options.timeRange ?? true) && (from !== undefined || to !== undefined)) {
    must.push({ range: { occurredAt: { ...(from !== undefined ? { gte: from } : {}), ...(to !== undefined ? { lt: to } : {}), format: 'epoch_millis' } } });
  }
  must.push(...text(filter?.text, ['type.text', 'source.text', 'attributesText', 'acknowledgeNote', 'resolveNote', 'id', 'cameraId']));
  return { bool: { filter: must } };
}

export function cameraQuery(filter: CameraFilter | null | undefined): Query {
  const must: Query[] = [VISIBLE];
  must.push(...terms('site', filter?.sites));
  must.push(...terms('status', filter?.statuses));
  must.push(...terms('tags', filter?.tags));
  must.push(...text(filter?.text, ['name', 'id', 'site', 'tags']));
  return { bool: { filter: must } };
}
