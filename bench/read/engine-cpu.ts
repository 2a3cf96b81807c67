import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Pids of the local engines, from `engines.sh status` (empty when unknown). */
function enginePids(): Map<string, number> {
  const pids = new Map<string, number>();
  try {
    const status = execFileSync('bash', ['scripts/engines/engines.sh', 'status'], { encoding: 'utf8' });
    for (const match of status.matchAll(/^(\S+)\s+running\s+pid\s+(\d+)/gm)) pids.set(match[1]!, Number(match[2]));
  } catch {
    // no engines script: no CPU figures
  }
  return pids;
}

/** CPU seconds (user + system) a process, its threads and its children used so far; Linux /proc only. */
function cpuSeconds(pid: number, depth = 0): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    let total = (Number(fields[11]) + Number(fields[12])) / 100;
    // Engines run behind launchers (Elasticsearch's CLI, rabbitmq-server): the work is in a child.
    // (Each thread lists the children it forked.)
    const children = depth < 2 ? readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(' ').filter(Boolean)) : [];
    for (const child of children) total += cpuSeconds(Number(child), depth + 1) ?? 0;
    return total;
  } catch {
    return undefined;
  }
}

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
      if (start !== undefined && end !== undefined && name !== 'camera') used[name] = Math.round((end - start) * 100) / 100;
    }
    return used;
  };
}
