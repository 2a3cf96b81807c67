import type http from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { RequestHandler } from 'express';

/**
 * Apollo Server on an Express route: what `@as-integrations/express5` does, without its per-request
 * `url.parse` and Express's `res.send` (content negotiation of a body that is always JSON already);
 * both showed in the gateway's CPU profile under load (bench/gateway), and `url.parse` took ~4 % of
 * the command subgraph's at 200 recordEvent/s (bench/write). Needs `express.json()` before it.
 */
export function graphqlHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  context: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<TContext>,
): RequestHandler {
  server.assertStarted('graphqlHandler()');
  return async (req, res) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const query = req.url.indexOf('?');
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: query >= 0 ? req.url.slice(query) : '', body: req.body as unknown },
      context: () => context(req, res),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
