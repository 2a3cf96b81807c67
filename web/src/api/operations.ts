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
  camera: { id: string; name: string } | null;
}

export interface Bucket {
  key: string;
  count: number;
}

export interface EventStats {
  total: number;
  byType: Bucket[];
  bySeverity: Bucket[];
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
  types?: string[];
  severities?: Severity[];
  from?: string;
}

const STREAM_FIELDS = 'id status hlsUrl restarts lastError';

export const CAMERAS = `query DashboardCameras {
  cameras(first: 100, filter: { statuses: [ACTIVE] }) {
    edges { node { id name site status liveStream { ${STREAM_FIELDS} } } }
  }
}`;

export const START_STREAM = `mutation StartStream($cameraId: ID!) { startStream(cameraId: $cameraId) { ${STREAM_FIELDS} } }`;
export const STOP_STREAM = `mutation StopStream($cameraId: ID!) { stopStream(cameraId: $cameraId) { ${STREAM_FIELDS} } }`;
export const STREAM_STATUS_CHANGED = `subscription DashboardStreams { streamStatusChanged { ${STREAM_FIELDS} camera { id } } }`;

const EVENT_FIELDS = 'id type severity occurredAt recordedAt status version camera { id name }';

export const EVENTS = `query DashboardEvents($first: Int!) {
  events(first: $first) { edges { node { ${EVENT_FIELDS} } } }
}`;
export const EVENT = `query DashboardEvent($id: ID!) { event(id: $id) { ${EVENT_FIELDS} acknowledgedBy resolvedBy } }`;
export const EVENT_RECORDED = `subscription DashboardFeed { eventRecorded { ${EVENT_FIELDS} } }`;
export const ACKNOWLEDGE = `mutation Acknowledge($id: ID!, $expectedVersion: Int) {
  acknowledgeEvent(id: $id, expectedVersion: $expectedVersion) { id version position }
}`;
export const RESOLVE = `mutation Resolve($id: ID!, $expectedVersion: Int) {
  resolveEvent(id: $id, expectedVersion: $expectedVersion) { id version position }
}`;

const STATS_FIELDS = `total byType { key count } bySeverity { key count } topCameras(limit: 5) { key count }
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
