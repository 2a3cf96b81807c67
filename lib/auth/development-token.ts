import jwt from 'jsonwebtoken';
import type { Role } from './roles';

/** A development user token (HS256 with JWT_SECRET), as `npm run -s token -- --role <role>` prints. */
export function signDevelopmentToken(secret: string, options: { subject: string; role: Role; expiresInSeconds: number }): string {
  return jwt.sign({ roles: [options.role] }, secret, {
    algorithm: 'HS256',
    subject: options.subject,
    expiresIn: options.expiresInSeconds,
  });
}
