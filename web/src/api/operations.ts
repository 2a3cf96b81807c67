// The operations the dashboard sends, written against docs/api/operations.md and schema/*.graphql.

import type { StreamStatus } from '../../../lib/events/stream-status';

export type Severity = 'INFO' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export const SEVERITIES: readonly Severity[] = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
export type EventStatus = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED';
export type Interval = 'MINUTE' | 'HOUR' | 'DAY';

export interface StreamSession {
  id: string;
  status: StreamStatus;
  hlsUrl: string;
  restarts: number;
  lastError: string | null;
  camera?: { id: string };
}

export interface Camera {
  id: string;
  name: string;
  site: string | null;
  status: 'ACTIVE' | 'DECOMMISSIONED';
  liveStream: StreamSession | null;
  /** Null when the camera is not recorded. */
  recorder?: { state: 'RECORDING' | 'RECONNECTING' | 'OFF'; since: string; lastError?: string | null } | null;
}

export interface EventClip {
  status: 'PENDING' | 'READY' | 'UNAVAILABLE';
  from: string;
  to: string;
  hlsUrl: string | null;
  mp4Url: string | null;
  reason: string | null;
}

export interface FeedEvent {
  id: string;
  type: string;
  severity: Severity;
  occurredAt: string;
  recordedAt: string;
  status: EventStatus;
  version: number;
  acknowledgedBy?: string | null;
  resolvedBy?: string | null;
  camera: { id: string; name: string; site?: string | null } | null;
  /** Its clip's status, in the feed's pages only (live events come without it: see FeedClipPlayer). */
  clip?: Pick<EventClip, 'status' | 'reason'> | null;
}

/** An event with everything the detail panel shows. */
export interface EventDetail extends FeedEvent {
  source: string;
  attributes: Record<string, unknown> | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  acknowledgeNote: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolveNote: string | null;
  camera: { id: string; name: string; site: string | null; liveStream: StreamSession | null } | null;
  /** Null when the event's camera is not recorded. */
  clip: EventClip | null;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<T> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: Array<{ node: T }>;
}

export interface Bucket {
  key: string;
  count: number;
}

export interface EventStats {
  total: number;
  byType: Bucket[];
  bySeverity: Bucket[];
  byStatus: Bucket[];
  topCameras: Bucket[];
  histogram: Array<{ start: string; count: number }>;
  meanTimeToAcknowledgeSeconds: number | null;
  meanTimeToResolveSeconds: number | null;
  position: string;
}

export interface ProjectionStatus {
  name: string;
  state: string;
  position: string;
  headPosition: string;
  lag: number;
  index: string;
  rebuildProgress: number | null;
  lastError?: string | null;
}

export interface EventFilter {
  cameraIds?: string[];
  sites?: string[];
  types?: string[];
  severities?: Severity[];
  statuses?: EventStatus[];
  from?: string;
  text?: string;
}

const STREAM_FIELDS = 'id status hlsUrl restarts lastError';

/** Every camera, a page of CAMERA_PAGE at a time: the page filters, groups and pages them itself. */
// 100 a page keeps the cost (a camera with its stream costs about 115) well under GRAPHQL_MAX_COST.
export const CAMERA_PAGE = 100;
export const CAMERAS = `query DashboardCameras($after: String) {
  cameras(first: ${CAMERA_PAGE}, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id name site status liveStream { ${STREAM_FIELDS} } recorder { state since lastError } } }
  }
}`;
export const CAMERA_LIVE = `query DashboardCamera($id: ID!) { camera(id: $id) { id liveStream { ${STREAM_FIELDS} } } }`;

export const START_STREAM = `mutation StartStream($cameraId: ID!) { startStream(cameraId: $cameraId) { ${STREAM_FIELDS} } }`;
export const STOP_STREAM = `mutation StopStream($cameraId: ID!) { stopStream(cameraId: $cameraId) { ${STREAM_FIELDS} } }`;
export const STREAM_STATUS_CHANGED = `subscription DashboardStreams { streamStatusChanged { ${STREAM_FIELDS} camera { id } } }`;
export const CAMERA_STREAM_CHANGED = `subscription DashboardCameraStream($cameraId: ID) {
  streamStatusChanged(cameraId: $cameraId) { ${STREAM_FIELDS} camera { id } }
}`;

const EVENT_FIELDS = 'id type severity occurredAt recordedAt status version camera { id name site }';

export const EVENTS = `query DashboardEvents($filter: EventFilter, $first: Int!, $after: String) {
  events(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { ${EVENT_FIELDS} clip { status reason } } }
  }
}`;
export const EVENT = `query DashboardEvent($id: ID!) { event(id: $id) { ${EVENT_FIELDS} acknowledgedBy resolvedBy } }`;
export const EVENT_DETAIL = `query DashboardEventDetail($id: ID!, $minPosition: String) {
  event(id: $id, minPosition: $minPosition) {
    ${EVENT_FIELDS} source attributes acknowledgedAt acknowledgedBy acknowledgeNote resolvedAt resolvedBy resolveNote
    camera { id name site liveStream { ${STREAM_FIELDS} } }
    clip { status from to hlsUrl mp4Url reason }
  }
}`;
/** One event's clip with fresh signed links, read when the operator opens it. */
export const EVENT_CLIP = `query DashboardEventClip($id: ID!) { event(id: $id) { id clip { status from to hlsUrl mp4Url reason } } }`;
export const EVENT_RECORDED = `subscription DashboardFeed($filter: EventFilter) { eventRecorded(filter: $filter) { ${EVENT_FIELDS} } }`;
export const ACKNOWLEDGE = `mutation Acknowledge($id: ID!, $expectedVersion: Int, $note: String) {
  acknowledgeEvent(id: $id, expectedVersion: $expectedVersion, note: $note) { id version position }
}`;
export const RESOLVE = `mutation Resolve($id: ID!, $expectedVersion: Int, $note: String) {
  resolveEvent(id: $id, expectedVersion: $expectedVersion, note: $note) { id version position }
}`;

const STATS_FIELDS = `total byType { key count } bySeverity { key count } byStatus { key count } topCameras(limit: 5) { key count }
  histogram { start count } meanTimeToAcknowledgeSeconds meanTimeToResolveSeconds position`;

export const EVENT_STATS = `query DashboardStats($filter: EventFilter, $interval: Interval!) {
  eventStats(filter: $filter, interval: $interval) { ${STATS_FIELDS} }
}`;
export const EVENT_STATS_UPDATED = `subscription DashboardStatsLive($filter: EventFilter, $interval: Interval!) {
  eventStatsUpdated(filter: $filter, interval: $interval) { ${STATS_FIELDS} }
}`;

const PROJECTION_FIELDS = 'name state position headPosition lag index rebuildProgress lastError';
export const PROJECTIONS = `query DashboardProjections { projections { ${PROJECTION_FIELDS} } }`;
export const REBUILD = `mutation Rebuild($name: String!) { rebuildProjection(name: $name) { ${PROJECTION_FIELDS} } }`;
