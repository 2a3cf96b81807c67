import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError } from '../errors/app-error';
import type { Identity } from './identity';
import { isRole } from './roles';

/** The header the gateway signs and every subgraph checks: nothing reaches a subgraph around the gateway. */
export const INTERNAL_HEADER = 'x-sightline-internal';
export const CORRELATION_HEADER = 'x-correlation-id';

const AUDIENCE = 'sightline-subgraph';
const ISSUER = 'sightline-gateway';
// Short: a captured header is useless a minute later.
const TTL_SECONDS = 60;

const keys = new Map<string, KeyObject>();
/**
 * The secret as a KeyObject, made once: given a string, jsonwebtoken first tries (and fails) to read
 * it as a PEM key on every call, which cost more than the HMAC itself (bench/gateway profile).
 */
export function secretKeyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

export function signInternalToken(secret: string, identity: Identity, correlationId: string): string {
  return jwt.sign({ role: identity.role, cid: correlationId }, secretKeyOf(secret), {
    algorithm: 'HS256',
    subject: identity.subject,
    audience: AUDIENCE,
    issuer: ISSUER,
    expiresIn: TTL_SECONDS,
  });
}

export function verifyInternalToken(secret: string, token: string | undefined): { identity: Identity; correlationId: string } {
  if (!token) throw new AppError('UNAUTHENTICATED', 'subgraphs answer only requests that come through the gateway');
  let claims: jwt.JwtPayload;
  try {
    const decoded = jwt.verify(token, secretKeyOf(secret), { algorithms: ['HS256'], audience: AUDIENCE, issuer: ISSUER });
    if (typeof decoded === 'string') throw new Error('unexpected payload');
    claims = decoded;
  } catch {
    throw new AppError('UNAUTHENTICATED', 'invalid internal token: requests must come through the gateway');
  }
  const role: unknown = claims.role;
  if (!isRole(role) || typeof claims.sub !== 'string') throw new AppError('UNAUTHENTICATED', 'internal token lacks identity');
  return { identity: { subject: claims.sub, role }, correlationId: typeof claims.cid === 'string' ? claims.cid : 'unknown' };
}

/** How long an internal token stays valid, for callers that reuse one (the gateway's per-identity cache). */
export const INTERNAL_TOKEN_TTL_SECONDS = TTL_SECONDS;

/**
 * An internal token carrying the identity only, no correlation id: the same token serves every call
 * of that identity while it is valid (the correlation id travels in CORRELATION_HEADER, which the
 * subgraphs read first), so the gateway signs once per identity instead of once per subgraph call.
 */
export function signInternalIdentityToken(secret: string, identity: Identity): string {
  return jwt.sign({ role: identity.role }, secretKeyOf(secret), {
    algorithm: 'HS256',
    subject: identity.subject,
    audience: AUDIENCE,
    issuer: ISSUER,
    expiresIn: TTL_SECONDS,
  });
}
