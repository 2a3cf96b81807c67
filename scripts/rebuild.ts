import { parseArgs } from 'node:util';
import { sleep } from '../lib/async/sleep';
import { signDevelopmentToken } from '../lib/auth/development-token';
import { loadConfig } from '../lib/config/config';

// `npm run rebuild -- <cameras|events|rollups> [--url http://127.0.0.1:4000/graphql]`: asks the
// running query service (through the gateway, as an admin) to rebuild a projection with zero
// downtime, and shows its progress on stderr until the new index version is live.
const { values, positionals } = parseArgs({ allowPositionals: true, options: { url: { type: 'string' }, token: { type: 'string' } } });
const name = positionals[0];
if (!name) {
  console.error('usage: npm run rebuild -- <cameras|events|rollups> [--url <gateway /graphql url>] [--token <admin JWT>]');
  process.exit(2);
}
const config = loadConfig();
const url = values.url ?? `http://127.0.0.1:${config.ports.gateway}/graphql`;
const { jwtSecret, jwtIssuer: issuer, jwtAudience: audience } = config.auth;
const token =
  values.token ??
  (jwtSecret ? signDevelopmentToken(jwtSecret, { subject: 'rebuild-cli', role: 'admin', expiresInSeconds: 3600, issuer, audience }) : undefined);
if (!token) {
  console.error('JWT_SECRET is empty: pass an admin token with --token');
  process.exit(2);
}

interface Status {
  name: string;
  state: string;
  index: string;
  rebuildProgress: number | null;
  lastError: string | null;
}

async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
  return body.data as T;
}

const tty = process.stderr.isTTY === true;
let lastPrinted = -1;
function show(progress: number, label: string): void {
  const percent = Math.floor(progress * 100);
  if (tty) {
    const width = 30;
    const filled = Math.round(progress * width);
    process.stderr.write(`\r${name} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${label}   `);
  } else if (percent >= lastPrinted + 10 || (percent === 100 && lastPrinted !== 100)) {
    lastPrinted = percent;
    process.stderr.write(`${name} ${percent}% ${label}\n`);
  }
}

async function main(): Promise<void> {
  const STATUS = 'name state index rebuildProgress lastError';
  const started = await graphql<{ rebuildProjection: Status }>(`mutation($name: String!) { rebuildProjection(name: $name) { ${STATUS} } }`, { name });
  const begin = Date.now();
  show(started.rebuildProjection.rebuildProgress ?? 0, 'replaying');
  for (;;) {
    await sleep(500);
    const { projections } = await graphql<{ projections: Status[] }>(`query { projections { ${STATUS} } }`);
    const status = projections.find((p) => p.name === name);
    if (!status) throw new Error(`no projection ${name}`);
    if (status.state !== 'REBUILDING') {
      show(1, `done in ${((Date.now() - begin) / 1000).toFixed(1)} s, index ${status.index}`);
      if (tty) process.stderr.write('\n');
      if (status.lastError) throw new Error(status.lastError);
      return;
    }
    show(status.rebuildProgress ?? 0, (status.rebuildProgress ?? 0) >= 0.99 ? 'catching up and swapping' : 'replaying');
  }
}

main().catch((error: unknown) => {
  if (tty) process.stderr.write('\n');
  console.error(`rebuild failed: ${(error as Error).message}`);
  process.exit(1);
});
