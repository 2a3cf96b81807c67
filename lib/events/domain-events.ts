/**
 * The domain events of Sightline: the facts the event store keeps and every read side consumes.
 * Shared by all subgraphs so that writer and readers can never disagree on a shape.
 */
export const SEVERITIES = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const EVENT_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
export const CAMERA_STATUSES = ['ACTIVE', 'DECOMMISSIONED'] as const;
export type CameraStatus = (typeof CAMERA_STATUSES)[number];

/** Whether a camera is recorded continuously, and how long its recording is kept. */
export interface RecordingSettings {
  enabled: boolean;
  /** Whole hours, RECORDING_RETENTION_HOURS.min to .max. */
  retentionHours: number;
}
export const RECORDING_RETENTION_HOURS = { min: 1, max: 8760, default: 24 } as const;
/** A camera registered without recording settings, and every camera registered before they existed. */
export const RECORDING_OFF: RecordingSettings = Object.freeze({ enabled: false, retentionHours: RECORDING_RETENTION_HOURS.default });

export interface CameraRegistered {
  type: 'CameraRegistered';
  data: { cameraId: string; name: string; site: string | null; rtspUrl: string; tags: string[]; recording: RecordingSettings };
}
export interface CameraUpdated {
  type: 'CameraUpdated';
  /** Only the fields that changed are present. */
  data: { cameraId: string; name?: string; site?: string | null; rtspUrl?: string; tags?: string[]; recording?: RecordingSettings };
}
export interface CameraDecommissioned {
  type: 'CameraDecommissioned';
  data: { cameraId: string };
}
export interface EventRecorded {
  type: 'EventRecorded';
  data: {
    eventId: string;
    cameraId: string;
    type: string;
    severity: Severity;
    occurredAt: string;
    source: string;
    attributes: Record<string, unknown> | null;
  };
}
export interface EventAcknowledged {
  type: 'EventAcknowledged';
  data: { eventId: string; cameraId: string; by: string; note: string | null };
}
export interface EventResolved {
  type: 'EventResolved';
  data: { eventId: string; cameraId: string; by: string; note: string | null };
}

export type CameraEvent = CameraRegistered | CameraUpdated | CameraDecommissioned;
export type IncidentEvent = EventRecorded | EventAcknowledged | EventResolved;
/** A union discriminated by `type`: a `switch (event.type)` narrows `data`. */
export type DomainEvent = CameraEvent | IncidentEvent;
export type DomainEventType = DomainEvent['type'];

/** The schema version each event type is written with today; older ones are upcast on read. */
export const CURRENT_SCHEMA_VERSION: Record<DomainEventType, number> = {
  CameraRegistered: 2,
  CameraUpdated: 1,
  CameraDecommissioned: 1,
  EventRecorded: 2,
  EventAcknowledged: 1,
  EventResolved: 1,
};

export type AggregateKind = 'camera' | 'event';

/** The events of each aggregate kind. */
export interface EventsOfKind {
  camera: CameraEvent;
  event: IncidentEvent;
}

export const AGGREGATE_OF: Record<DomainEventType, AggregateKind> = {
  CameraRegistered: 'camera',
  CameraUpdated: 'camera',
  CameraDecommissioned: 'camera',
  EventRecorded: 'event',
  EventAcknowledged: 'event',
  EventResolved: 'event',
};

/** Whether an event (or an envelope) belongs to an aggregate of this kind. */
export const isEventOf = <K extends AggregateKind>(kind: K, event: DomainEvent): event is EventsOfKind[K] => AGGREGATE_OF[event.type] === kind;

export const streamIdOf = (kind: AggregateKind, id: string): string => `${kind}-${id}`;

/** Splits `camera-<id>` / `event-<id>` back into its parts. */
export function parseStreamId(streamId: string): { kind: AggregateKind; id: string } {
  const dash = streamId.indexOf('-');
  const kind = streamId.slice(0, dash);
  if (dash < 0 || (kind !== 'camera' && kind !== 'event')) throw new Error(`unknown stream id ${streamId}`);
  return { kind, id: streamId.slice(dash + 1) };
}
