import { createHash, randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn from the CSPRNG in blocks: one call per uuid cost more than the rest of a
 * recorded event's work together (two uuids per event; bench/write profile of recordEvents).
 */
const POOL_UUIDS = 256;
const pool = Buffer.alloc(POOL_UUIDS * 10);
let poolOffset = pool.length;

/** A UUIDv7 (RFC 9562): time-ordered, so ids made later sort later. */
export function uuidv7(now = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  pool.copy(bytes, 6, poolOffset, poolOffset + 10);
  poolOffset += 10;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** JSON with object keys sorted at every level: equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The hash stored with an event to tell a repeat of a command from another command reusing its id. */
export const commandHash = (kind: string, content: unknown): string =>
  createHash('sha256').update(kind).update('\0').update(canonicalJson(content)).digest('base64url');
