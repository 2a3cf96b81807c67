import { sleep } from '../../lib/async/sleep';
import { enginePids, cpuSeconds as processCpuSeconds } from '../process-cpu';

/** CPU seconds of a process and its children; undefined once it is gone. */
const cpuSeconds = (pid: number): number | undefined => {
  const seconds = processCpuSeconds(pid, { children: true });
  return Number.isFinite(seconds) ? seconds : undefined;
};

/**
 * CPU time the engines and this process spend during a phase: on two shared cores, who burns the
 * CPU tells more than wall time (e.g. how much Elasticsearch work a projected event costs next to a
 * raw `_bulk` one).
 */
export function cpuMeter(): () => Record<string, number> {
  const pids = enginePids();
  pids.set('node (bench process)', process.pid);
  const before = new Map([...pids].map(([name, pid]) => [name, cpuSeconds(pid)]));
  return () => {
    const used: Record<string, number> = {};
    for (const [name, pid] of pids) {
      const start = before.get(name);
      const end = cpuSeconds(pid);
      if (start !== undefined && end !== undefined) used[name] = Math.round((end - start) * 100) / 100;
    }
    return used;
  };
}

/**
 * Waits (at most `maxMs`) until an engine uses less than 5 % of a core over 250 ms; returns the wait.
 * RabbitMQ goes on writing a just-published backlog to its queue index for a second or more after
 * confirming it, and a consumer that starts meanwhile pays about twice the CPU per message.
 */
export async function waitUntilIdle(engine: string, maxMs = 15_000): Promise<number> {
  const pid = enginePids().get(engine);
  const started = performance.now();
  if (pid === undefined) return 0;
  let last = cpuSeconds(pid) ?? 0;
  while (performance.now() - started < maxMs) {
    await sleep(250);
    const now = cpuSeconds(pid) ?? 0;
    if (now - last < 0.0125) break;
    last = now;
  }
  return performance.now() - started;
}
