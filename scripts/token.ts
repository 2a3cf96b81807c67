import { signDevelopmentToken } from '../lib/auth/development-token';
import { isAppError } from '../lib/errors/app-error';
import { loadConfig, type Config } from '../lib/config/config';
import { readTokenCommand, TOKEN_USAGE } from './token-args';

// `npm run -s token -- --role operator [--subject alice] [--ttl 3600]`: prints a development token.
const command = readTokenCommand(process.argv.slice(2));
if (command.kind === 'help') {
  process.stdout.write(TOKEN_USAGE);
  process.exit(0);
}
if (command.kind === 'problem') {
  console.error(`${command.problem}\n\n${TOKEN_USAGE}`);
  process.exit(2);
}
let config: Config;
try {
  config = loadConfig();
} catch (error) {
  // An invalid environment is the newcomer's problem to fix, not a crash: the message lists every variable.
  if (!isAppError(error)) throw error;
  console.error(error.message);
  process.exit(2);
}
if (!config.auth.jwtSecret) {
  console.error('JWT_SECRET is empty: production tokens come from your identity provider, not from this script');
  process.exit(2);
}
const { role, subject, ttlSeconds } = command.request;
const { jwtSecret, jwtIssuer: issuer, jwtAudience: audience } = config.auth;
process.stdout.write(`${signDevelopmentToken(jwtSecret, { subject, role, expiresInSeconds: ttlSeconds, issuer, audience })}\n`);
