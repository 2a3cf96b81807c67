import jwt from 'jsonwebtoken';
import type { Role } from './roles';

/**
 * A development user token (HS256 with JWT_SECRET), as `npm run -s token -- --role <role>` prints.
 * It always expires (the gateway refuses tokens without `exp`), and carries the issuer and audience
 * the gateway checks when JWT_ISSUER / JWT_AUDIENCE are set.
 */
export function signDevelopmentToken(
  secret: string,
  options: { subject: string; role: Role; expiresInSeconds: number; issuer?: string | undefined; audience?: string | undefined },
): string {
  return jwt.sign({ roles: [options.role] }, secret, {
    algorithm: 'HS256',
    subject: options.subject,
    expiresIn: options.expiresInSeconds,
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  });
}
