import http from 'node:http';
import express from 'express';

/** Idle keep-alive of client connections (a common load-balancer idle timeout is 60 s: stay above it). */
const CLIENT_KEEP_ALIVE_MS = 65_000;

/** The gateway's Express app on a Node HTTP server (graphql-ws shares the server), not listening yet. */
export function createHttpServer(): { app: express.Express; httpServer: http.Server } {
  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are POST bodies no client revalidates: hashing each one for an ETag is wasted work.
  app.set('etag', false);
  const httpServer = http.createServer(app);
  // Clients' idle keep-alive connections stay open between bursts (Node's default 5 s made a client
  // pool open new connections after every lull; a request waiting on a connect lands in the tail).
  httpServer.keepAliveTimeout = CLIENT_KEEP_ALIVE_MS;
  return { app, httpServer };
}

/** Listens on host:port (0: any free port) and answers the port it got. */
export async function listen(httpServer: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const address = httpServer.address();
  return typeof address === 'object' && address ? address.port : port;
}
