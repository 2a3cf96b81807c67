import { createHash } from 'node:crypto';
import type { RecordItem } from '../application/event-recorder';
import { canonicalJson } from '../application/ids';
import { LIMITS } from '../domain/validation';

/** One delivery from the ingest queue, as the handler sees it (no AMQP types). */
export interface IngestMessage {
  body: Buffer;
  routingKey: string;
  messageId: string | undefined;
  /** Earlier attempts that failed although the event store answered (see IngestHandler); 0 if none. */
  attempts?: number;
}

/** Largest message body accepted by default (INGEST_MAX_MESSAGE_BYTES): bigger ones are dead-lettered. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export type ParsedMessage = { ok: true; items: RecordItem[] } | { ok: false; reason: string };

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Turns a message into record items. The source is the routing key's `<system>` part. The event id
 * is the item's `id`, else the message id (`<message_id>:<index>` in an array), else a hash of the
 * content: a redelivered message then maps to the same id and is stored once.
 */
export function parseIngestMessage(message: IngestMessage, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): ParsedMessage {
  if (message.body.length > maxBytes) {
    return { ok: false, reason: `message is ${message.body.length} bytes, more than the ${maxBytes} accepted: split it into several messages` };
  }
  const source = message.routingKey.split('.')[0] ?? '';
  if (!SOURCE.test(source)) return { ok: false, reason: `routing key must be <system>.<type> with a valid system name (got "${message.routingKey}")` };
  let body: unknown;
  try {
    body = JSON.parse(message.body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not valid JSON' };
  }
  const many = Array.isArray(body);
  const inputs: unknown[] = many ? (body as unknown[]) : [body];
  if (inputs.length === 0) return { ok: false, reason: 'body is an empty array' };
  if (inputs.length > LIMITS.batch) return { ok: false, reason: `at most ${LIMITS.batch} events per message (got ${inputs.length})` };
  const items = inputs.map((input, index): RecordItem => {
    const fallbackId = message.messageId
      ? many
        ? `${message.messageId}:${index}`
        : message.messageId
      : `h-${createHash('sha256').update(source).update('\0').update(canonicalJson(input)).digest('base64url').slice(0, 32)}`;
    return {
      input,
      source,
      fallbackId: validFallback(fallbackId),
      context: { actor: `system:${source}`, correlationId: message.messageId ?? fallbackId, causationId: message.messageId ?? null },
    };
  });
  return { ok: true, items };
}

/** A message id that is not a valid event id is hashed into one, so it still dedupes. */
function validFallback(id: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id) ? id : `m-${createHash('sha256').update(id).digest('base64url').slice(0, 32)}`;
}
