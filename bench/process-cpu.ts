import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { loadConfig } from '../lib/config/config';

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

  /**
   * `alone`: processes counted without their children, e.g. a bench that started the stack it
   * measures (its children are the services, counted on their own).
   */
  constructor(
    private readonly pids: ReadonlyMap<string, number | undefined>,
    private readonly alone: ReadonlySet<string> = new Set(),
  ) {}

  private seconds(name: string, pid: number | undefined): number {
    return cpuSeconds(pid, { children: !this.alone.has(name) });
  }

  start(): void {
    this.started = performance.now();
    this.before = new Map([...this.pids].map(([name, pid]) => [name, this.seconds(name, pid)]));
  }

  /** e.g. "RabbitMQ 61 µs (78%), FerretDB 52 µs (66%) ... per event; all 190 µs". */
  report(units: number, unit: string): string {
    const seconds = (performance.now() - this.started) / 1000;
    let all = 0;
    const parts: string[] = [];
    for (const [name, pid] of this.pids) {
      const used = this.seconds(name, pid) - (this.before.get(name) ?? Number.NaN);
      if (!Number.isFinite(used)) continue;
      all += used;
      parts.push(`${name} ${((used * 1e6) / units).toFixed(0)} µs (${((100 * used) / seconds).toFixed(0)}% of a core)`);
    }
    return `${parts.join(', ')}; all ${((all * 1e6) / units).toFixed(0)} µs CPU per ${unit}`;
  }
}

/**
 * Pids of the running engines (RabbitMQ, FerretDB, Elasticsearch): the processes listening on the
 * ports of the configured URLs, so engines started from any checkout are found (pid files belong to
 * the checkout that started them). Empty for an engine that is not listening.
 */
export function enginePids(): Map<string, number> {
  const { amqp, mongodb, elasticsearch } = loadConfig();
  const engines: Array<[string, string, number]> = [
    ['rabbitmq', amqp.url, 5672],
    ['ferretdb', mongodb.url, 27017],
    ['elasticsearch', elasticsearch.url, 9200],
  ];
  const pids = new Map<string, number>();
  for (const [name, urls, defaultPort] of engines) {
    const port = Number(new URL(urls.split(',')[0]!).port) || defaultPort;
    const pid = pidListening(port);
    if (pid !== undefined) pids.set(name, pid);
  }
  return pids;
}
