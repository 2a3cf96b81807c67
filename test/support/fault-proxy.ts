import net from 'node:net';

/**
 * A TCP proxy in front of a real engine that a fault test can cut and restore: to the process
 * under test the engine goes away (connections reset, new ones refused) and comes back, while the
 * shared engine keeps serving every other test. The engine itself is never faked.
 */
export interface FaultProxy {
  port: number;
  url(template: string): string;
  /** Resets every open connection and refuses new ones until restore(). */
  cut(): void;
  /**
   * The engine seems to hang: requests still reach it (writes land), but no reply comes back
   * until restore() (which delivers them) or cut().
   */
  hold(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  /** Each connection's engine side and client side: replies flow from the first to the second. */
  const replies = new Map<net.Socket, net.Socket>();
  let open = true;
  let holding = false;
  const server = net.createServer((client) => {
    if (!open) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    replies.set(upstream, client);
    const drop = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      replies.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    if (holding) upstream.pause();
    else upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: (template) => template.replace(/:(\d+)(?=\/|$)/, `:${port}`),
    cut() {
      open = false;
      holding = false;
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
      replies.clear();
    },
    hold() {
      holding = true;
      for (const upstream of replies.keys()) {
        upstream.unpipe();
        upstream.pause();
      }
    },
    restore() {
      open = true;
      if (holding) for (const [upstream, client] of replies) upstream.pipe(client);
      holding = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'mongodb:': 27017, 'amqp:': 5672 };

/** A fault proxy in front of the engine an engine URL names (e.g. `ENGINE_URLS.amqp`). */
export function startFaultProxyFor(engineUrl: string): Promise<FaultProxy> {
  const url = new URL(engineUrl);
  const port = Number(url.port) || DEFAULT_PORTS[url.protocol];
  if (!port) throw new Error(`no port known for ${url.protocol}`);
  return startFaultProxy(port, url.hostname);
}
