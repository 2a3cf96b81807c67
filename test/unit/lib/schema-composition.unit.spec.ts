import { readFileSync } from 'node:fs';
import { composeSupergraph, SUPERGRAPH_FILE } from '../../../schema/compose';

describe('schema composition', () => {
  it('composes the subgraph SDLs, and the committed supergraph is up to date', () => {
    const supergraph = composeSupergraph();
    expect(supergraph).toContain('type Mutation');
    // If this fails: run `npm run build && npm run compose` and commit schema/supergraph.graphql.
    expect(readFileSync(SUPERGRAPH_FILE, 'utf8')).toBe(supergraph);
  });
});
