import type { EventRecorded } from '../../../lib/events/domain-events';

import type { EventFilterInput } from '../../../lib/graphql/event-filter-input';

export type EventFilter = EventFilterInput;

const inList = (list: readonly string[] | null | undefined, value: string): boolean => !list || list.length === 0 || list.includes(value);

/**
 * Whether a just-recorded event passes a subscriber's filter, from the envelope alone (a new event
 * is OPEN). `sites` is not in the envelope: the caller checks it on the resolved camera (siteMatches).
 */
export function matchesRecordedEvent(filter: EventFilter | null | undefined, event: EventRecorded['data']): boolean {
  if (!filter) return true;
  if (!inList(filter.cameraIds, event.cameraId)) return false;
  if (!inList(filter.types, event.type)) return false;
  if (!inList(filter.severities, event.severity)) return false;
  if (!inList(filter.statuses, 'OPEN')) return false;
  const at = Date.parse(event.occurredAt);
  if (filter.from && at < Date.parse(filter.from)) return false;
  if (filter.to && at >= Date.parse(filter.to)) return false;
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    const haystack = `${event.type} ${event.source} ${event.attributes ? JSON.stringify(event.attributes) : ''}`.toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}

export const needsSite = (filter: EventFilter | null | undefined): boolean => Boolean(filter?.sites && filter.sites.length > 0);

export const siteMatches = (filter: EventFilter | null | undefined, site: string | null | undefined): boolean =>
  !needsSite(filter) || (site !== null && site !== undefined && (filter?.sites ?? []).includes(site));
