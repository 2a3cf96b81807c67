import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Where listening ports for test processes are picked: below the kernel's ephemeral range. A port
 * the OS hands out for `listen(0)` comes from that range, which every outgoing connection of every
 * process also draws its source port from; between the check here and the child process binding
 * it, a client could take it (EADDRINUSE in a stack test). Outside it, only another test could.
 */
function wholeRange(): { from: number; to: number } {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && low > 12000) return { from: 10000, to: low };
  } catch {
    // Not Linux: fall back to a range below the usual ephemeral ones.
  }
  return { from: 20000, to: 32000 };
}

/**
 * This process's share of that range. A port is only checked free, then handed to a child that
 * binds it later: two picks in that window (two services of one stack, or stacks of two jest
 * workers) could get the same port, and the second service then failed to bind while the first
 * answered its health check (a gateway composed the media schema twice). Each jest worker picks in
 * its own slice, and a process never hands out a port twice.
 */
function pickRange(): { from: number; to: number } {
  const { from, to } = wholeRange();
  const worker = Number(process.env.JEST_WORKER_ID);
  if (!Number.isInteger(worker) || worker < 1) return { from, to };
  const slice = Math.floor((to - from) / WORKER_SLICES);
  const start = from + ((worker - 1) % WORKER_SLICES) * slice;
  return { from: start, to: start + slice };
}

const WORKER_SLICES = 8;
const handedOut = new Set<number>();

const take = (ports: readonly number[]): void => {
  for (const port of ports) handedOut.add(port);
};

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
    if (handedOut.has(port) || !(await canListen(port))) continue;
    take([port]);
    return port;
  }
  throw new Error(`no free loopback port in ${from}-${to}`);
}

/** `count` consecutive ports free on loopback right now (an engine cluster's nodes take base, base+1, ...). */
export async function freePortRun(count: number): Promise<number> {
  const { from, to } = pickRange();
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const base = from + Math.floor(Math.random() * (to - from - count));
    const run = Array.from({ length: count }, (_, i) => base + i);
    let free = run.every((port) => !handedOut.has(port));
    for (let i = 0; i < count && free; i += 1) free = await canListen(base + i);
    if (!free) continue;
    take(run);
    return base;
  }
  throw new Error(`no ${count} consecutive free loopback ports in ${from}-${to}`);
}
