/**
 * The servers of the floor bench (floor-bench.ts), each run alone in a child process so its CPU is
 * its own: `node floor-servers.js http|graphql`. Listens on a free loopback port and sends it to
 * the parent over IPC. No Sightline code on the request path: only what any Node server of this
 * shape needs.
 *
 * - `http`: a bare `node:http` server answering a fixed small JSON to any POST (the body is read,
 *   not parsed): the transport of one hop.
 * - `graphql`: Express + `express.json()` + Apollo Server through lib/graphql/graphql-handler.ts,
 *   as the subgraphs serve /graphql, with a subgraph schema of one mutation whose resolver returns
 *   a constant: Apollo's request pipeline (parse, validate, coerce the input, execute, serialise).
 */
import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express from 'express';
import { parse } from 'graphql';
import { graphqlHandler } from '../../lib/graphql/graphql-handler';
import { scalarResolvers } from '../../lib/graphql/scalars';

/** What a recordEvent answers, about the same size. */
const ANSWER = Buffer.from('{"data":{"recordEvent":{"id":"0f9a8a4e-6a55-4f4b-9d55-1b2a4b7c9d10","version":1,"position":123456}}}');

/** Same keep-alive as the subgraphs (lib/graphql/subgraph-server.ts): pooled connections stay open. */
const KEEP_ALIVE_MS = 65_000;

const TYPE_DEFS = parse(`
  scalar DateTime
  scalar JSON
  enum Severity { LOW MEDIUM HIGH CRITICAL }
  input RecordInput { id: ID, cameraId: ID!, type: String!, severity: Severity!, occurredAt: DateTime!, attributes: JSON }
  type Recorded { id: ID!, version: Int!, position: Float! }
  type Query { ok: Boolean }
  type Mutation { record(input: RecordInput!): Recorded! }
`);

const RECORDED = { id: '0f9a8a4e-6a55-4f4b-9d55-1b2a4b7c9d10', version: 1, position: 123456 };

function bareHttpServer(): http.Server {
  return http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
      res.end(ANSWER);
    });
  });
}

async function graphqlServer(): Promise<http.Server> {
  const app = express();
  app.disable('x-powered-by');
  const server = new ApolloServer({
    schema: buildSubgraphSchema([{ typeDefs: TYPE_DEFS, resolvers: { ...scalarResolvers, Mutation: { record: () => RECORDED } } }]),
  });
  await server.start();
  app.use(
    '/graphql',
    express.json({ limit: '2mb' }),
    graphqlHandler(server, async () => ({})),
  );
  return http.createServer(app);
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  if (kind !== 'http' && kind !== 'graphql') throw new Error('usage: floor-servers.js http|graphql');
  const server = kind === 'http' ? bareHttpServer() : await graphqlServer();
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  // The parent ends this process; losing the parent ends it too.
  process.on('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
