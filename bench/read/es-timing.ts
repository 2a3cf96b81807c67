import type { Client } from '@elastic/elasticsearch';

interface Meta {
  meta?: { request?: { id?: unknown; params?: { method?: string; path?: string; querystring?: unknown } } };
}

/**
 * Counts the requests a client makes and their wall time (request sent -> response read), per
 * method and path (index names collapsed), to see which Elasticsearch calls a phase waits on.
 */
export function esTiming(client: Client, namespace: string): { report(): string[]; stop(): void } {
  const started = new Map<unknown, number>();
  const totals = new Map<string, { count: number; ms: number }>();
  const onRequest = (_error: unknown, result: Meta | null) => {
    const id = result?.meta?.request?.id;
    if (id !== undefined) started.set(id, performance.now());
  };
  const onResponse = (_error: unknown, result: Meta | null) => {
    const request = result?.meta?.request;
    const at = request?.id !== undefined ? started.get(request.id) : undefined;
    if (at === undefined || !request) return;
    started.delete(request.id);
    const query = typeof request.params?.querystring === 'string' && request.params.querystring.includes('refresh=true') ? ' (refresh=true)' : '';
    const path = (request.params?.path ?? '?')
      .replaceAll(namespace, '<ns>')
      .replace(/-v\d+/g, '-v*')
      .replace(/\/_doc\/[^/]+$/, '/_doc/<id>');
    const key = `${request.params?.method ?? '?'} ${path}${query}`;
    const entry = totals.get(key) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += performance.now() - at;
    totals.set(key, entry);
  };
  client.diagnostic.on('request', onRequest);
  client.diagnostic.on('response', onResponse);
  return {
    report: () =>
      [...totals].sort((a, b) => b[1].ms - a[1].ms).map(([key, { count, ms }]) => `${ms.toFixed(0).padStart(6)} ms  ${String(count).padStart(5)}x  ${key}`),
    stop() {
      client.diagnostic.off('request', onRequest);
      client.diagnostic.off('response', onResponse);
    },
  };
}
