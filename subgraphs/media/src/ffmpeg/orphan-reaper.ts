import { readdirSync, readFileSync } from 'node:fs';

/**
 * The second net behind PR_SET_PDEATHSIG: at start-up, kill every ffmpeg left running whose command
 * line writes under this process's HLS folder. Such a process can only be ours (the folder is this
 * deployment's), from a previous media process that died in the instant before its guard was set.
 */
export function findOrphanFfmpeg(hlsDir: string, procDir = '/proc'): number[] {
  const marker = `${hlsDir.replace(/\/+$/, '')}/`;
  const pids: number[] = [];
  for (const entry of safeReaddir(procDir)) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`${procDir}/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    const program = argv[0] ?? '';
    if (!/ffmpeg/.test(program) && !/setpriv/.test(program)) continue;
    if (argv.some((arg) => arg.startsWith(marker))) pids.push(pid);
  }
  return pids;
}

export function killOrphanFfmpeg(hlsDir: string): number[] {
  const pids = findOrphanFfmpeg(hlsDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
