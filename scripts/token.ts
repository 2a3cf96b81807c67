import { parseArgs } from 'node:util';
import { signDevelopmentToken } from '../lib/auth/development-token';
import { isRole } from '../lib/auth/roles';
import { loadConfig } from '../lib/config/config';

// `npm run -s token -- --role operator [--subject alice] [--ttl 3600]`: prints a development token.
const { values } = parseArgs({
  options: { role: { type: 'string', default: 'viewer' }, subject: { type: 'string' }, ttl: { type: 'string', default: '86400' } },
});
const role = values.role;
if (!isRole(role)) {
  console.error(`--role must be viewer, operator or admin, got "${String(role)}"`);
  process.exit(2);
}
const config = loadConfig();
if (!config.auth.jwtSecret) {
  console.error('JWT_SECRET is empty: production tokens come from your identity provider, not from this script');
  process.exit(2);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive number of seconds');
  process.exit(2);
}
const { jwtSecret, jwtIssuer: issuer, jwtAudience: audience } = config.auth;
process.stdout.write(`${signDevelopmentToken(jwtSecret, { subject: values.subject ?? `dev-${role}`, role, expiresInSeconds: ttl, issuer, audience })}\n`);
