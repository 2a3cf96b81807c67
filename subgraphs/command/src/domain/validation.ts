import { AppError } from '../../../../lib/errors/app-error';
import { RECORDING_RETENTION_HOURS, SEVERITIES, type RecordingSettings, type Severity } from '../../../../lib/events/domain-events';
import { parseRtspUrl } from '../../../../lib/security/rtsp-url';

/** Input limits: generous for real use, small enough that one request cannot bloat the store. */
export const LIMITS = {
  id: 128,
  name: 200,
  site: 200,
  tags: 50,
  tag: 64,
  eventType: 100,
  note: 2000,
  attributesBytes: 16 * 1024,
  batch: 1000,
} as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

const bad = (field: string, message: string) => new AppError('BAD_USER_INPUT', `${field}: ${message}`, { field });

export function validId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > LIMITS.id || !ID_PATTERN.test(value)) {
    throw bad(field, `must be 1-${LIMITS.id} characters of letters, digits, '.', '_', ':' or '-'`);
  }
  return value;
}

export function boundedText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') throw bad(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > max) throw bad(field, `must be 1-${max} characters`);
  return trimmed;
}

export const optionalText = (value: unknown, field: string, max: number): string | null =>
  value === undefined || value === null ? null : boundedText(value, field, max);

/** The full URL is stored (the media subgraph needs the credentials); only read paths mask it. */
export function validRtspUrl(value: unknown): string {
  if (typeof value !== 'string') throw bad('rtspUrl', 'must be a string');
  return parseRtspUrl(value).toString();
}

export function validTags(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > LIMITS.tags) throw bad('tags', `must be a list of at most ${LIMITS.tags} tags`);
  const tags = value.map((tag) => boundedText(tag, 'tags', LIMITS.tag));
  return [...new Set(tags)];
}

/**
 * A RecordingInput: `enabled` a boolean, `retentionHours` a whole number of hours within
 * RECORDING_RETENTION_HOURS, its default when absent or null. Undefined when no input was given.
 */
export function validRecording(value: unknown): RecordingSettings | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('recording', 'must be an object');
  const raw = value as Record<string, unknown>;
  if (typeof raw.enabled !== 'boolean') throw bad('recording.enabled', 'must be true or false');
  const { min, max } = RECORDING_RETENTION_HOURS;
  const hours = raw.retentionHours ?? RECORDING_RETENTION_HOURS.default;
  if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < min || hours > max) {
    throw bad('recording.retentionHours', `must be a whole number of hours from ${min} to ${max} (got ${String(hours)})`);
  }
  return { enabled: raw.enabled, retentionHours: hours };
}

export function validSeverity(value: unknown): Severity {
  if (typeof value !== 'string' || !(SEVERITIES as readonly string[]).includes(value)) throw bad('severity', `must be one of ${SEVERITIES.join(', ')}`);
  return value as Severity;
}

export function validDate(value: unknown, field: string): string {
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) throw bad(field, 'must be an ISO-8601 date-time');
  return new Date(time).toISOString();
}

/**
 * The instants an event's `occurredAt` may name. A source clock far off (a device reset to 1900, a
 * year 9999) would stretch every unbounded statistic over a century of empty buckets, for every
 * reader, so such events are refused where they enter.
 */
export interface OccurredAtWindow {
  /** Nothing before this instant (ms since the epoch). */
  earliestMs: number;
  /** Nothing later than this long after the server's clock (the sources' clock skew). */
  maxAheadMs: number;
}

export const DEFAULT_OCCURRED_AT_WINDOW: OccurredAtWindow = { earliestMs: Date.parse('2000-01-01T00:00:00Z'), maxAheadMs: 24 * 3600 * 1000 };

export function validOccurredAt(value: unknown, window: OccurredAtWindow, now: number): string {
  const iso = validDate(value, 'occurredAt');
  const time = Date.parse(iso);
  if (time < window.earliestMs) throw bad('occurredAt', `must not be before ${new Date(window.earliestMs).toISOString()} (got ${iso})`);
  if (time > now + window.maxAheadMs) {
    throw bad('occurredAt', `must be at most ${window.maxAheadMs / 1000} s ahead of the server clock (got ${iso}, now ${new Date(now).toISOString()})`);
  }
  return iso;
}

export function validAttributes(value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('attributes', 'must be a JSON object');
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > LIMITS.attributesBytes) throw bad('attributes', `must be at most ${LIMITS.attributesBytes} bytes of JSON (got ${size})`);
  return value as Record<string, unknown>;
}

export function validExpectedVersion(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw bad('expectedVersion', 'must be a non-negative integer');
  return value;
}

/** A RecordEventInput (from GraphQL or an ingested message) after validation, before an id is assigned. */
export interface RecordEventFields {
  id: string | null;
  cameraId: string;
  type: string;
  severity: Severity;
  occurredAt: string;
  attributes: Record<string, unknown> | null;
}

export function validRecordEventInput(input: unknown, window: OccurredAtWindow = DEFAULT_OCCURRED_AT_WINDOW, now = Date.now()): RecordEventFields {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('input', 'must be a JSON object');
  const raw = input as Record<string, unknown>;
  return {
    id: raw.id === undefined || raw.id === null ? null : validId(raw.id, 'id'),
    cameraId: validId(raw.cameraId, 'cameraId'),
    type: boundedText(raw.type, 'type', LIMITS.eventType),
    severity: validSeverity(raw.severity),
    occurredAt: validOccurredAt(raw.occurredAt, window, now),
    attributes: validAttributes(raw.attributes),
  };
}
