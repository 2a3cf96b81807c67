import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Where listening ports for test processes are picked: below the kernel's ephemeral range. A port
 * the OS hands out for `listen(0)` comes from that range, which every outgoing connection of every
 * process also draws its source port from; between the check here and the child process binding
 * it, a client could take it (EADDRINUSE in a stack test). Outside it, only another test could.
 */
function pickRange(): { from: number; to: number } {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && low > 12000) return { from: 10000, to: low };
  } catch {
    // Not Linux: fall back to a range below the usual ephemeral ones.
  }
  return { from: 20000, to: 32000 };
}

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A port free on loopback right now, outside the ephemeral range (see pickRange). */
export async function freePort(): Promise<number> {
  const { from, to } = pickRange();
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = from + Math.floor(Math.random() * (to - from));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port in ${from}-${to}`);
}

/** `count` consecutive ports free on loopback right now (an engine cluster's nodes take base, base+1, ...). */
export async function freePortRun(count: number): Promise<number> {
  const { from, to } = pickRange();
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const base = from + Math.floor(Math.random() * (to - from - count));
    let free = true;
    for (let i = 0; i < count && free; i += 1) free = await canListen(base + i);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free loopback ports in ${from}-${to}`);
}
