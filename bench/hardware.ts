import os from 'node:os';
import { enginePids } from './process-cpu';

/** One line describing the machine, printed at the top of every benchmark's output. */
export function hardwareLine(): string {
  const cpus = os.cpus();
  // Found by the configured ports, not by this checkout's pid files: the engines may have been
  // started from another checkout (a worktree's bench then printed them all as stopped).
  const pids = enginePids();
  const engines = ['rabbitmq', 'ferretdb', 'elasticsearch'].map((name) => `${name} ${pids.has(name) ? `pid ${pids.get(name)}` : 'not found'}`).join(', ');
  return [
    `cpu: ${cpus[0]?.model ?? 'unknown'} x${cpus.length}`,
    `memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `node: ${process.version}`,
    `kernel: ${os.release()}`,
    `load: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `engines: ${engines}`,
  ].join(' | ');
}

/** The load average now, e.g. "load: 1.20 0.90 0.50" (printed beside figures: the machine is shared). */
export function loadLine(): string {
  return `load: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

/** p-th percentile (0..100) of a sample, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
