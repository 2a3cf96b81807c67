import { RECORDING_OFF } from '../../../../lib/events/domain-events';
import { maskRtspUrl } from '../../../../lib/security/rtsp-url';
import type { ViewDoc } from '../views/view-doc';

/** View documents as GraphQL objects (bookkeeping fields dropped, positions as strings). */
export const toCamera = (doc: ViewDoc) => ({
  __typename: 'Camera' as const,
  id: doc.id,
  name: doc.name,
  site: doc.site ?? null,
  // Masked when projected; masked again here for documents projected before the masking covered query parameters.
  rtspUrl: typeof doc.rtspUrl === 'string' ? maskRtspUrl(doc.rtspUrl) : doc.rtspUrl,
  tags: doc.tags ?? [],
  status: doc.status,
  version: doc.version,
  registeredAt: doc.registeredAt,
  // A document projected before recording existed has none: such a camera was not recorded.
  recording: doc.recording ?? RECORDING_OFF,
});

export const toEvent = (doc: ViewDoc) => ({
  __typename: 'Event' as const,
  id: doc.id,
  cameraId: doc.cameraId as string,
  type: doc.type,
  severity: doc.severity,
  occurredAt: doc.occurredAt,
  recordedAt: doc.recordedAt,
  source: doc.source,
  attributes: doc.attributes ?? null,
  status: doc.status,
  version: doc.version,
  acknowledgedAt: doc.acknowledgedAt ?? null,
  acknowledgedBy: doc.acknowledgedBy ?? null,
  acknowledgeNote: doc.acknowledgeNote ?? null,
  resolvedAt: doc.resolvedAt ?? null,
  resolvedBy: doc.resolvedBy ?? null,
  resolveNote: doc.resolveNote ?? null,
  position: String(doc.position),
});

export type EventObject = ReturnType<typeof toEvent>;
