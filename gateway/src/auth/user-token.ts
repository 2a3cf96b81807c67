import jwt from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import type { Identity } from '../../../lib/auth/identity';
import { secretKeyOf } from '../../../lib/auth/internal-token';
import { highestRole } from '../../../lib/auth/roles';
import type { Config } from '../../../lib/config/config';
import { AppError } from '../../../lib/errors/app-error';

export type TokenVerifier = (authorization: string | undefined) => Promise<Identity>;

/** Reads `Bearer <jwt>` (or a bare token, as graphql-ws connectionParams often carry it). */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match ? match[1] : authorization.trim();
}

/**
 * Verifies user tokens: HS256 with JWT_SECRET in development, RS256/ES256 keys from JWKS_URL in
 * production. The identity's role is the highest of its `roles` claim.
 */
export function createTokenVerifier(auth: Config['auth']): TokenVerifier {
  const jwks = auth.jwksUrl ? new JwksClient({ jwksUri: auth.jwksUrl, cache: true, rateLimit: true }) : undefined;
  const getKey: jwt.GetPublicKeyOrSecret = (header, callback) => {
    if (!jwks) return callback(null, secretKeyOf(auth.jwtSecret));
    jwks.getSigningKey(header.kid).then(
      (key) => callback(null, key.getPublicKey()),
      (error: Error) => callback(error),
    );
  };
  const algorithms: jwt.Algorithm[] = jwks ? ['RS256', 'ES256', 'PS256'] : ['HS256'];

  return async (authorization) => {
    const token = bearerToken(authorization);
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
    const roles: unknown = claims.roles;
    const role = highestRole(Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : []);
    if (!role) throw new AppError('FORBIDDEN', 'token has no known role (viewer, operator or admin)');
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new AppError('UNAUTHENTICATED', 'token has no subject');
    return { subject: claims.sub, role };
  };
}
