import { sleep } from '../../lib/async/sleep';
import type { Config } from '../../lib/config/config';

export interface ReadinessReport {
  ready: boolean;
  subgraphs: Record<string, { ready: boolean; engines?: Record<string, boolean>; error?: string }>;
}

const readyzUrlOf = (graphqlUrl: string): string => new URL('/readyz', graphqlUrl).toString();

/** Ready only when every subgraph answers ready, which each does only when its engines answer. */
export async function checkReadiness(urls: Config['subgraphUrls'], extra: Record<string, boolean> = {}): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => {
      try {
        const response = await fetch(readyzUrlOf(url), { signal: AbortSignal.timeout(3000) });
        const body = (await response.json()) as { engines?: Record<string, boolean> };
        return [name, { ready: response.ok, engines: body.engines }] as const;
      } catch (error) {
        return [name, { ready: false, error: (error as Error).message }] as const;
      }
    }),
  );
  const subgraphs = Object.fromEntries(entries);
  const ready = entries.every(([, status]) => status.ready) && Object.values(extra).every(Boolean);
  return { ready, subgraphs: { ...subgraphs, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { ready: v }])) } };
}

/** Waits until every subgraph answers /healthz, so composition at start does not race their start. */
export async function waitForSubgraphs(urls: Config['subgraphUrls'], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const url of Object.values(urls)) {
    const healthz = new URL('/healthz', url).toString();
    for (;;) {
      try {
        const response = await fetch(healthz, { signal: AbortSignal.timeout(1000) });
        if (response.ok) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`subgraph at ${url} did not answer within ${timeoutMs} ms`);
      await sleep(250);
    }
  }
}
