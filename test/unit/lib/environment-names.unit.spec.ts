import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../../lib/paths';

/** Every environment variable the code reads: `read.<kind>('NAME'` in config and `process.env.NAME` elsewhere. */
function namesReadByCode(): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const file = path.join(dir, entry);
      if (statSync(file).isDirectory()) visit(file);
      else if (file.endsWith('.ts')) {
        const source = readFileSync(file, 'utf8');
        for (const match of source.matchAll(/read\.\w+\('([A-Z][A-Z0-9_]*)'/g)) names.add(match[1] as string);
        for (const match of source.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) names.add(match[1] as string);
      }
    }
  };
  for (const dir of ['lib', 'gateway/src', 'subgraphs']) visit(path.join(repoRoot, dir));
  return names;
}

const SIGHTLINE_SERVICES = ['command', 'query', 'media', 'gateway'];

describe('environment variable names', () => {
  const code = namesReadByCode();

  it('docker-compose.yml sets only variables the code reads', () => {
    const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, unknown> }>;
    };
    for (const service of SIGHTLINE_SERVICES) {
      const environment = compose.services[service]?.environment ?? {};
      const unknown = Object.keys(environment).filter((name) => !code.has(name));
      expect({ service, unknown }).toEqual({ service, unknown: [] });
    }
  });

  it('docker-compose.yml gives the services the engines and secrets they need', () => {
    const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, unknown> }>;
    };
    for (const service of SIGHTLINE_SERVICES) {
      const names = Object.keys(compose.services[service]?.environment ?? {});
      expect(names).toEqual(expect.arrayContaining(['MONGODB_URL', 'AMQP_URL', 'ELASTICSEARCH_URL', 'INTERNAL_SECRET', 'NODE_ENV']));
    }
  });

  it('README documents every variable the configuration reads', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const config = readFileSync(path.join(repoRoot, 'lib/config/config.ts'), 'utf8');
    const configNames = [...config.matchAll(/read\.\w+\('([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1] as string);
    expect(configNames.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
