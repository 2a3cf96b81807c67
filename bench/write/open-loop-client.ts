import { Agent, request } from 'node:http';

export interface OpenLoopResult {
  /** Sorted latencies (ms) of the requests that succeeded. */
  latencies: number[];
  failures: number;
}

/**
 * An open-loop HTTP load generator that costs its machine little: the load and the stack share
 * 2 cores, and a client that spends 4 ms of CPU per request (fetch, a token signed and a body
 * serialised per request, the answer parsed) takes a core from the processes it measures.
 *
 * Bodies are serialised before the clock starts, the headers are fixed, connections are kept alive
 * and reused, and an answer is only scanned for `"errors"` (a GraphQL error or a refused request
 * is a failure, counted, not a crash). Requests leave on a 2 ms timer, all that are due at once: a
 * slow answer does not delay the next request.
 */
export async function openLoopPost(url: string, headers: Record<string, string>, bodies: readonly Buffer[], ratePerSecond: number): Promise<OpenLoopResult> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, keepAliveMsecs: 10_000, maxSockets: 512 });
  const latencies: number[] = [];
  let failures = 0;
  const send = (body: Buffer) =>
    new Promise<void>((resolve) => {
      const sent = performance.now();
      const fail = () => {
        failures += 1;
        resolve();
      };
      const req = request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...headers, 'content-length': body.length } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', fail);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('latin1');
            if (response.statusCode !== 200 || text.includes('"errors"')) failures += 1;
            else latencies.push(performance.now() - sent);
            resolve();
          });
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  await openLoop(bodies.length, ratePerSecond, (i) => send(bodies[i]!));
  agent.destroy();
  return { latencies: latencies.sort((a, b) => a - b), failures };
}

/**
 * Starts `count` operations at `ratePerSecond`, each on its own schedule: they leave on a 2 ms
 * timer, all that are due at once, so a slow one does not delay the next. Resolves when all have
 * settled; `operation` must not reject (count its failures itself).
 */
export async function openLoop(count: number, ratePerSecond: number, operation: (i: number) => Promise<void>): Promise<void> {
  const pending: Array<Promise<void>> = [];
  const interval = 1000 / ratePerSecond;
  const start = performance.now();
  await new Promise<void>((done) => {
    let next = 0;
    const timer = setInterval(() => {
      const due = Math.min(count, Math.floor((performance.now() - start) / interval) + 1);
      for (; next < due; next += 1) pending.push(operation(next));
      if (next >= count) {
        clearInterval(timer);
        done();
      }
    }, 2);
  });
  await Promise.all(pending);
}
