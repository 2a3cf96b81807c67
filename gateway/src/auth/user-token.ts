import jwt from 'jsonwebtoken';
import type { Identity } from '../../../lib/auth/identity';
import { secretKeyOf } from '../../../lib/auth/internal-token';
import { highestRole } from '../../../lib/auth/roles';
import type { Config } from '../../../lib/config/config';
import { AppError } from '../../../lib/errors/app-error';
import { Lru } from '../../../lib/cache/lru';
import { JwksKeys, type JwksKeysOptions } from './jwks-keys';

/** A verified user token: who it names, and when it stops being valid. */
export interface VerifiedToken {
  identity: Identity;
  /** The token's `exp`, in ms since the epoch (a graphql-ws connection is closed then). */
  expiresAt: number;
}

export type TokenVerifier = (authorization: string | undefined) => Promise<VerifiedToken>;

/** Reads `Bearer <jwt>` (or a bare token, as graphql-ws connectionParams often carry it). */
function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match ? match[1] : authorization.trim();
}

/** Bounds for the verified-token cache. */
export interface TokenCacheOptions {
  /** Distinct tokens remembered (least recently used forgotten first). */
  max?: number;
  /** Longest a verified token is trusted without a new check, even if it expires later (JWKS key rotation). */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Verifies user tokens: HS256 with JWT_SECRET in development, RS256/ES256/PS256 keys from JWKS_URL
 * in production; `iss` and `aud` when JWT_ISSUER / JWT_AUDIENCE are set (production requires both).
 * Every token must carry `exp`: one that never expires would open the API (and a graphql-ws
 * connection, which is closed when its token expires) for good. The identity's role is the highest
 * of its `roles` claim.
 *
 * A client sends the same token with every request: a successful check is remembered per token
 * string until the token's `exp` (at most `maxAgeMs`), in a bounded LRU. Failures are not cached;
 * an expired token falls out of the cache at its `exp` and gets the full check (and its error) again.
 */
export function createTokenVerifier(auth: Config['auth'], cacheOptions: TokenCacheOptions = {}, jwksOptions: JwksKeysOptions = {}): TokenVerifier {
  const verify = createUncachedVerifier(auth, jwksOptions);
  const now = cacheOptions.now ?? Date.now;
  const maxAgeMs = cacheOptions.maxAgeMs ?? 5 * 60 * 1000;
  const cache = new Lru<string, { verified: VerifiedToken; until: number }>(cacheOptions.max ?? 10000);
  return async (authorization) => {
    const token = bearerToken(authorization);
    const at = now();
    const hit = token ? cache.get(token) : undefined;
    if (hit && hit.until > at) return hit.verified;
    if (hit && token) cache.delete(token);
    const verified = await verify(token);
    if (token && verified.expiresAt > at) cache.set(token, { verified, until: Math.min(verified.expiresAt, at + maxAgeMs) });
    return verified;
  };
}

function createUncachedVerifier(auth: Config['auth'], jwksOptions: JwksKeysOptions): (token: string | undefined) => Promise<VerifiedToken> {
  const jwks = auth.jwksUrl ? new JwksKeys(auth.jwksUrl, jwksOptions) : undefined;
  const getKey: jwt.GetPublicKeyOrSecret = (header, callback) => {
    if (!jwks) return callback(null, secretKeyOf(auth.jwtSecret));
    jwks.keyFor(header.kid).then(
      (key) => callback(null, key),
      (error: Error) => callback(error),
    );
  };
  const algorithms: jwt.Algorithm[] = jwks ? ['RS256', 'ES256', 'PS256'] : ['HS256'];

  return async (token) => {
    if (!token) throw new AppError('UNAUTHENTICATED', 'missing bearer token');
    const claims = await new Promise<jwt.JwtPayload>((resolve, reject) => {
      jwt.verify(
        token,
        getKey,
        { algorithms, ...(auth.jwtIssuer ? { issuer: auth.jwtIssuer } : {}), ...(auth.jwtAudience ? { audience: auth.jwtAudience } : {}) },
        (error, decoded) => {
          if (error || !decoded || typeof decoded === 'string') {
            const expired = error instanceof jwt.TokenExpiredError;
            reject(new AppError('UNAUTHENTICATED', expired ? 'token expired' : 'invalid token', { reason: expired ? 'expired' : 'invalid' }));
          } else resolve(decoded);
        },
      );
    });
    if (typeof claims.exp !== 'number') throw new AppError('UNAUTHENTICATED', 'token has no expiry (exp)', { reason: 'invalid' });
    const roles: unknown = claims.roles;
    const role = highestRole(Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : []);
    if (!role) throw new AppError('FORBIDDEN', 'token has no known role (viewer, operator or admin)');
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new AppError('UNAUTHENTICATED', 'token has no subject');
    return { identity: { subject: claims.sub, role }, expiresAt: claims.exp * 1000 };
  };
}
