import http from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { INTERNAL_HEADER } from '../../lib/auth/internal-token';

// Hive Gateway over the same subgraphs, for bench/gateway only. Our subgraphs refuse anything
// without the gateway's signed header, so the bench client sends one (signed with the development
// INTERNAL_SECRET) and Hive propagates it: a test-only arrangement, never a production setup.
const supergraph = process.env.HIVE_SUPERGRAPH_FILE;
const port = Number(process.env.HIVE_PORT);
if (!supergraph || !Number.isInteger(port)) throw new Error('HIVE_SUPERGRAPH_FILE and HIVE_PORT are required');

const runtime = createGatewayRuntime({
  supergraph,
  logging: 'error',
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ [INTERNAL_HEADER]: request.headers.get(INTERNAL_HEADER) }),
  },
});
http.createServer(runtime).listen(port, '127.0.0.1', () => process.stdout.write(`hive gateway on ${port}\n`));
