import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/**
 * A process's user + system CPU seconds so far (all its threads), from /proc (Linux); with
 * `children`, plus its children's and grandchildren's (engines run behind launchers: Elasticsearch's
 * CLI, rabbitmq-server). NaN once it is gone.
 */
export function cpuSeconds(pid: number | undefined, options: { children?: boolean } = {}, depth = 0): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    let total = (Number(fields[11]) + Number(fields[12])) / 100;
    if (options.children && depth < 2) {
      // Each thread lists the children it forked.
      const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
        readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(' ').filter(Boolean),
      );
      for (const child of children) total += cpuSeconds(Number(child), options, depth + 1) || 0;
    }
    return total;
  } catch {
    return Number.NaN;
  }
}

/** The pid of the process listening on a loopback TCP port (undefined if none is found). */
export function pidListening(port: number): number | undefined {
  try {
    const match = /pid=(\d+)/.exec(execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' }));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time per process over a phase of a bench, reported per unit of work: where a rate's time
 * goes on a machine whose cores every process shares.
 */
export class CpuMeter {
  private before = new Map<string, number>();
  private started = 0;

  constructor(private readonly pids: ReadonlyMap<string, number | undefined>) {}

  start(): void {
    this.started = performance.now();
    this.before = new Map([...this.pids].map(([name, pid]) => [name, cpuSeconds(pid, { children: true })]));
  }

  /** e.g. "RabbitMQ 61 µs (78%), FerretDB 52 µs (66%) ... per event; all 190 µs". */
  report(units: number, unit: string): string {
    const seconds = (performance.now() - this.started) / 1000;
    let all = 0;
    const parts: string[] = [];
    for (const [name, pid] of this.pids) {
      const used = cpuSeconds(pid, { children: true }) - (this.before.get(name) ?? Number.NaN);
      if (!Number.isFinite(used)) continue;
      all += used;
      parts.push(`${name} ${((used * 1e6) / units).toFixed(0)} µs (${((100 * used) / seconds).toFixed(0)}% of a core)`);
    }
    return `${parts.join(', ')}; all ${((all * 1e6) / units).toFixed(0)} µs CPU per ${unit}`;
  }
}

/**
 * Pids of the running engines but the test camera, from `engines.sh status` (empty when unknown).
 * Some are launchers (Elasticsearch's CLI, rabbitmq-server): count them with their children.
 */
export function enginePids(): Map<string, number> {
  const pids = new Map<string, number>();
  try {
    const status = execFileSync('bash', ['scripts/engines/engines.sh', 'status'], { encoding: 'utf8' });
    for (const match of status.matchAll(/^(\S+)\s+running\s+pid\s+(\d+)/gm)) if (match[1] !== 'camera') pids.set(match[1]!, Number(match[2]));
  } catch {
    // no engines script: no CPU figures
  }
  return pids;
}
