import { AGGREGATE_OF, SEVERITIES, parseStreamId, type DomainEventType } from '../../../../lib/events/domain-events';
import { fromWire, type EventEnvelope, type WireEnvelope } from '../../../../lib/events/envelope';

/** An event the projection can never apply: it goes to the dead-letter queue with this reason. */
export class PoisonEvent extends Error {
  constructor(
    readonly reason: string,
    readonly position?: number,
  ) {
    super(reason);
    this.name = 'PoisonEvent';
  }
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isDate = (v: unknown): boolean => typeof v === 'string' && !Number.isNaN(Date.parse(v));

/** The fields each event type needs in `data` for its view change. */
const REQUIRED: Record<DomainEventType, Array<[string, (v: unknown) => boolean]>> = {
  CameraRegistered: [
    ['name', isString],
    ['rtspUrl', isString],
    ['tags', (v) => Array.isArray(v) && v.every((t) => typeof t === 'string')],
  ],
  CameraUpdated: [],
  CameraDecommissioned: [],
  EventRecorded: [
    ['cameraId', isString],
    ['type', isString],
    ['severity', (v) => (SEVERITIES as readonly unknown[]).includes(v)],
    ['occurredAt', isDate],
    ['source', isString],
  ],
  EventAcknowledged: [['by', isString]],
  EventResolved: [['by', isString]],
};

/** Parses a message body into an envelope the projection can apply, or throws PoisonEvent. */
export function parseEnvelope(body: Buffer | string): EventEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    throw new PoisonEvent('body is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PoisonEvent('body is not an envelope object');
  let envelope: EventEnvelope;
  try {
    envelope = fromWire(raw as WireEnvelope);
  } catch (error) {
    throw new PoisonEvent((error as Error).message);
  }
  checkEnvelope(envelope);
  return envelope;
}

/** Throws PoisonEvent when an envelope (from the wire or the store) cannot be applied. */
export function checkEnvelope(envelope: EventEnvelope): void {
  const position = Number.isSafeInteger(envelope.position) ? envelope.position : undefined;
  const fail = (reason: string): never => {
    throw new PoisonEvent(reason, position);
  };
  if (!Object.hasOwn(REQUIRED, envelope.type)) fail(`unknown event type ${String(envelope.type)}`);
  if (!Number.isSafeInteger(envelope.version) || envelope.version < 1) fail(`invalid version ${String(envelope.version)}`);
  if (!isDate(envelope.recordedAt)) fail('invalid recordedAt');
  let kind: string;
  try {
    kind = parseStreamId(String(envelope.streamId)).kind;
  } catch {
    return fail(`invalid stream id ${String(envelope.streamId)}`);
  }
  if (AGGREGATE_OF[envelope.type] !== kind) fail(`${envelope.type} does not belong to stream ${envelope.streamId}`);
  const data = envelope.data as unknown;
  if (typeof data !== 'object' || data === null) fail('data is not an object');
  for (const [field, ok] of REQUIRED[envelope.type]) {
    if (!ok((data as Record<string, unknown>)[field])) fail(`${envelope.type}.data.${field} is missing or invalid`);
  }
}

export const isProjectable = (envelope: EventEnvelope): boolean => {
  try {
    checkEnvelope(envelope);
    return true;
  } catch {
    return false;
  }
};
