import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * CPU profile of one phase of a benchmark (the inspector's sampling profiler, same data as
 * `--cpu-prof` but limited to the phase that is timed). Writes the `.cpuprofile` (open it in
 * Chrome DevTools) and returns the functions with the most self time.
 */
export async function profiled<T>(file: string | undefined, run: () => Promise<T>): Promise<{ result: T; top: string[] }> {
  if (!file) return { result: await run(), top: [] };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  let result: T;
  let profile: Profile;
  try {
    result = await run();
  } finally {
    // The inspector's own typings return a protocol type; only these fields are read.
    profile = ((await session.post('Profiler.stop')) as unknown as { profile: Profile }).profile;
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
  return { result, top: topSelf(profile) };
}

/** Self time per function (name and file:line), largest first, as "12.3% name file:line". */
export function topSelf(profile: Profile, limit = 25): string[] {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    if (time === 0) continue;
    const url = node.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/');
    const key = `${node.callFrame.functionName || '(anonymous)'} ${url}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  }
  return [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, time]) => `${((time / total) * 100).toFixed(1).padStart(5)}% ${(time / 1000).toFixed(0).padStart(6)} ms  ${key}`);
}
