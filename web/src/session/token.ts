/**
 * Reads a JWT's payload in the browser only to shape the UI (role, expiry). The signature is
 * never checked here: the gateway verifies every request and enforces roles.
 */
export type Role = 'viewer' | 'operator' | 'admin';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface TokenInfo {
  token: string;
  subject: string;
  role: Role;
  /** Epoch milliseconds; undefined when the token carries no `exp`. */
  expiresAt: number | undefined;
}

export class TokenError extends Error {}

function decodeBase64Url(segment: string): string {
  const base64 = segment
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

export function readToken(raw: string, now = Date.now()): TokenInfo {
  const token = raw.trim().replace(/^Bearer\s+/i, '');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) throw new TokenError('This is not a token: a token has three parts separated by dots.');
  let payload: { sub?: unknown; roles?: unknown; exp?: unknown };
  try {
    payload = JSON.parse(decodeBase64Url(parts[1])) as typeof payload;
  } catch {
    throw new TokenError('This token cannot be read: its middle part is not valid.');
  }
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => typeof r === 'string' && r in RANK) : [];
  const role = roles.sort((a, b) => RANK[b] - RANK[a])[0];
  if (!role) throw new TokenError('This token grants no Sightline role (viewer, operator or admin).');
  const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  if (expiresAt !== undefined && expiresAt <= now) throw new TokenError('This token has expired. Ask for a new one.');
  return { token, subject: typeof payload.sub === 'string' ? payload.sub : 'unknown user', role, expiresAt };
}

export const can = (role: Role, needed: Role): boolean => RANK[role] >= RANK[needed];

/**
 * The expiry as the page shows it. With the date: a token is often valid for a day or more (the
 * development default is one), so a time alone reads as today; with the zone, as the page shows
 * every time that is not today. Locale and time zone are the
 * browser's unless given.
 */
export function expiryText(expiresAt: number, locale?: string, timeZone?: string): string {
  const when = new Date(expiresAt).toLocaleString(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  });
  return `until ${when}`;
}
