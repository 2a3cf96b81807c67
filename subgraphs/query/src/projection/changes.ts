import type { EventEnvelope } from '../../../../lib/events/envelope';
import { maskRtspUrl } from '../../../../lib/security/rtsp-url';
import { parseStreamId, type EventAcknowledged, type EventResolved } from '../../../../lib/events/domain-events';
import type { Change } from '../views/view-doc';

export function changeOf(envelope: EventEnvelope): Change {
  const { id } = parseStreamId(envelope.streamId);
  const base = { id, streamVersion: envelope.version, position: envelope.position };
  switch (envelope.type) {
    case 'CameraRegistered': {
      const d = envelope.data;
      return {
        ...base,
        view: 'cameras',
        creates: true,
        groups: {
          name: { name: d.name },
          site: { site: d.site },
          rtspUrl: { rtspUrl: maskRtspUrl(d.rtspUrl) },
          tags: { tags: d.tags },
          status: { status: 'ACTIVE' },
          registeredAt: { registeredAt: envelope.recordedAt },
          recording: { recording: d.recording },
        },
      };
    }
    case 'CameraUpdated': {
      const d = envelope.data;
      const groups: Change['groups'] = {};
      if (d.name !== undefined) groups.name = { name: d.name };
      if (d.site !== undefined) groups.site = { site: d.site };
      if (d.rtspUrl !== undefined) groups.rtspUrl = { rtspUrl: maskRtspUrl(d.rtspUrl) };
      if (d.tags !== undefined) groups.tags = { tags: d.tags };
      if (d.recording !== undefined) groups.recording = { recording: d.recording };
      return { ...base, view: 'cameras', creates: false, groups };
    }
    case 'CameraDecommissioned':
      return { ...base, view: 'cameras', creates: false, groups: { status: { status: 'DECOMMISSIONED' } } };
    case 'EventRecorded': {
      const d = envelope.data;
      return {
        ...base,
        view: 'events',
        creates: true,
        groups: {
          record: {
            cameraId: d.cameraId,
            type: d.type,
            severity: d.severity,
            occurredAt: d.occurredAt,
            recordedAt: envelope.recordedAt,
            source: d.source,
            attributes: d.attributes,
            attributesText: d.attributes ? attributesText(d.attributes) : null,
          },
          status: { status: 'OPEN' },
        },
      };
    }
    case 'EventAcknowledged':
      return lifecycleChange(base, envelope, 'ack', 'ACKNOWLEDGED');
    case 'EventResolved':
      return lifecycleChange(base, envelope, 'resolve', 'RESOLVED');
  }
}

/** Acknowledge and resolve: who, when (our clock) and the note, plus the status they lead to. */
function lifecycleChange(
  base: Pick<Change, 'id' | 'streamVersion' | 'position'>,
  envelope: EventEnvelope<EventAcknowledged | EventResolved>,
  step: 'ack' | 'resolve',
  status: 'ACKNOWLEDGED' | 'RESOLVED',
): Change {
  const d = envelope.data;
  const values =
    step === 'ack'
      ? { acknowledgedAt: envelope.recordedAt, acknowledgedBy: d.by, acknowledgeNote: d.note }
      : { resolvedAt: envelope.recordedAt, resolvedBy: d.by, resolveNote: d.note };
  return { ...base, view: 'events', creates: false, groups: { [step]: values, status: { status } } };
}

/** Attribute values as one searchable string (keys and scalar values), bounded. */
function attributesText(attributes: Record<string, unknown>): string {
  const parts: string[] = [];
  const walk = (value: unknown, key?: string): void => {
    if (key) parts.push(key);
    if (value === null || value === undefined) return;
    if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, k);
    } else parts.push(String(value));
  };
  walk(attributes);
  return parts.join(' ').slice(0, 4000);
}
