import { isIP } from 'node:net';

/**
 * The secrets every process reads, with their development defaults. These defaults are in this
 * public repository: they protect nothing, so they are accepted only where nobody else can connect.
 */
export const DEVELOPMENT_SECRETS = {
  JWT_SECRET: 'sightline-development-jwt-secret',
  INTERNAL_SECRET: 'sightline-development-internal-secret',
  HLS_LINK_SECRET: 'sightline-development-hls-link-secret',
} as const;

export type SecretName = keyof typeof DEVELOPMENT_SECRETS;

/** Shortest secret production accepts (an HS256 key should be at least as long as its 256-bit hash). */
const PRODUCTION_SECRET_MIN_LENGTH = 32;
/** Shortest secret accepted outside production. */
const DEVELOPMENT_SECRET_MIN_LENGTH = 16;

/** Whether a listen address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase();
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name) || /^(0{1,4}:){7}0{0,3}1$/.test(name);
  return false;
}

/**
 * What is wrong with the secrets in use (empty when nothing is), as lines naming the variables to
 * set. `secrets` holds the secrets the process will use, as read (defaults applied); a secret that is
 * not used (JWT_SECRET when tokens are checked against a JWKS) is left out.
 *
 * Production refuses a development default and anything shorter than PRODUCTION_SECRET_MIN_LENGTH.
 * Any other NODE_ENV accepts the development defaults only while the services listen on loopback.
 */
export function secretProblems(production: boolean, host: string, secrets: Partial<Record<SecretName, string>>): string[] {
  const problems: string[] = [];
  const inUse = Object.entries(secrets) as Array<[SecretName, string]>;
  if (production) {
    for (const [name, value] of inUse) {
      if (value === DEVELOPMENT_SECRETS[name])
        problems.push(`${name} is the public development default: set a secret of your own (at least ${PRODUCTION_SECRET_MIN_LENGTH} characters)`);
      else if (value.length < PRODUCTION_SECRET_MIN_LENGTH)
        problems.push(`${name} must be set to at least ${PRODUCTION_SECRET_MIN_LENGTH} characters in production`);
    }
    return problems;
  }
  for (const [name, value] of inUse) {
    if (name !== 'JWT_SECRET' && value.length < DEVELOPMENT_SECRET_MIN_LENGTH)
      problems.push(`${name} must be set (at least ${DEVELOPMENT_SECRET_MIN_LENGTH} characters)`);
  }
  const defaults = inUse.filter(([name, value]) => value === DEVELOPMENT_SECRETS[name]).map(([name]) => name);
  if (defaults.length > 0 && !isLoopbackHost(host)) {
    problems.push(
      `SIGHTLINE_HOST=${host} is not a loopback address, and ${defaults.join(', ')} ${defaults.length === 1 ? 'is a public development default' : 'are public development defaults'}: ` +
        `set ${defaults.join(', ')} (or listen on 127.0.0.1)`,
    );
  }
  return problems;
}
