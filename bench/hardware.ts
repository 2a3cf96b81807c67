import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** One line describing the machine, printed at the top of every benchmark's output. */
export function hardwareLine(): string {
  const cpus = os.cpus();
  let engines = '';
  try {
    engines = execFileSync('bash', ['scripts/engines/engines.sh', 'status'], { encoding: 'utf8' }).trim().split('\n').join('; ');
  } catch {
    engines = 'engine status unknown';
  }
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
