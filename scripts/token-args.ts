import { parseArgs } from 'node:util';
import { isRole, type Role } from '../lib/auth/roles';

export const TOKEN_USAGE = `Usage: npm run -s token -- [--role viewer|operator|admin] [--subject <name>] [--ttl <seconds>]

Prints a development user token (HS256, signed with JWT_SECRET) for the gateway and the dashboard.

  --role <role>      viewer, operator or admin (default viewer)
  --subject <name>   the token's subject (default dev-<role>)
  --ttl <seconds>    how long the token is valid (default 86400, one day)
  -h, --help         print this text
`;

export interface TokenRequest {
  role: Role;
  subject: string;
  ttlSeconds: number;
}

/** The command line of `npm run -s token`: a token to print, a request for help, or what is wrong with it. */
export type TokenCommand = { kind: 'token'; request: TokenRequest } | { kind: 'help' } | { kind: 'problem'; problem: string };

export function readTokenCommand(argv: readonly string[]): TokenCommand {
  let values: { role?: string; subject?: string; ttl?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        role: { type: 'string', default: 'viewer' },
        subject: { type: 'string' },
        ttl: { type: 'string', default: '86400' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // Unknown options, a missing value, a stray argument: parseArgs says which.
    return { kind: 'problem', problem: (error as Error).message };
  }
  if (values.help) return { kind: 'help' };
  const role = values.role;
  if (!isRole(role)) return { kind: 'problem', problem: `--role must be viewer, operator or admin, got "${String(role)}"` };
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) return { kind: 'problem', problem: '--ttl must be a positive number of seconds' };
  return { kind: 'token', request: { role, subject: values.subject ?? `dev-${role}`, ttlSeconds } };
}
