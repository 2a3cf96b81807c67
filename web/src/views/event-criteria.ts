// The event filters as the API and the page put them. Pure, so it is unit tested.
import type { EventFilter } from '../api/operations';
import type { EventCriteria } from '../state/dashboard-state';

/** The API filter for a set of criteria (no time range: the feed shows everything, newest first). */
export function eventFilterOf(criteria: EventCriteria): EventFilter {
  const filter: EventFilter = {};
  if (criteria.severity) filter.severities = [criteria.severity];
  if (criteria.status) filter.statuses = [criteria.status];
  if (criteria.site) filter.sites = [criteria.site];
  if (criteria.camera) filter.cameraIds = [criteria.camera];
  if (criteria.type) filter.types = [criteria.type];
  if (criteria.text) filter.text = criteria.text;
  return filter;
}

/** The filters as a short phrase, for the statistics ("what these figures count"). */
export function describeCriteria(criteria: EventCriteria, cameraName: (id: string) => string): string {
  const parts = [
    criteria.severity && `severity ${criteria.severity}`,
    criteria.status && `status ${criteria.status.toLowerCase()}`,
    criteria.site && `site ${criteria.site}`,
    criteria.camera && `camera ${cameraName(criteria.camera)}`,
    criteria.type && `type ${criteria.type}`,
    criteria.text && `matching "${criteria.text}"`,
  ].filter(Boolean);
  return parts.length ? `Events with ${parts.join(', ')}.` : 'All events.';
}
