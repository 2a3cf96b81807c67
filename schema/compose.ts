import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { schemaDir } from '../lib/paths';

export const SUBGRAPHS = [
  { name: 'command', defaultUrl: 'http://127.0.0.1:4001/graphql' },
  { name: 'query', defaultUrl: 'http://127.0.0.1:4002/graphql' },
  { name: 'media', defaultUrl: 'http://127.0.0.1:4003/graphql' },
] as const;

export const SUPERGRAPH_FILE = path.join(schemaDir, 'supergraph.graphql');

/** Composes the subgraph SDLs in schema/ into a supergraph; throws with every composition error. */
export function composeSupergraph(): string {
  const result = composeServices(
    SUBGRAPHS.map(({ name, defaultUrl }) => ({
      name,
      url: defaultUrl,
      typeDefs: parse(readFileSync(path.join(schemaDir, `${name}.graphql`), 'utf8')),
    })),
  );
  if (result.errors) throw new Error(`composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  return result.supergraphSdl;
}

// `npm run compose` writes schema/supergraph.graphql; `-- --check` fails when it is out of date.
if (require.main === module) {
  const supergraph = composeSupergraph();
  if (process.argv.includes('--check')) {
    if (readFileSync(SUPERGRAPH_FILE, 'utf8') !== supergraph) {
      console.error('schema/supergraph.graphql is out of date: run `npm run compose`');
      process.exit(1);
    }
  } else {
    writeFileSync(SUPERGRAPH_FILE, supergraph);
    console.log(`wrote ${SUPERGRAPH_FILE}`);
  }
}
