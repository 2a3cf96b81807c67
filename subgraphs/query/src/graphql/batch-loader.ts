/**
 * Collects the ids asked for in one tick and loads them in one call (one `mget` per entity type
 * per request instead of one per row), caching results for the request.
 */
export class BatchLoader<T> {
  private readonly cache = new Map<string, Promise<T | undefined>>();
  private queued: Array<{ id: string; resolve: (value: T | undefined) => void; reject: (error: unknown) => void }> = [];

  constructor(private readonly loadMany: (ids: string[]) => Promise<Map<string, T>>) {}

  load(id: string): Promise<T | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const promise = new Promise<T | undefined>((resolve, reject) => {
      this.queued.push({ id, resolve, reject });
      if (this.queued.length === 1) queueMicrotask(() => void this.flush());
    });
    this.cache.set(id, promise);
    return promise;
  }

  private async flush(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    try {
      const found = await this.loadMany([...new Set(batch.map((q) => q.id))]);
      for (const q of batch) q.resolve(found.get(q.id));
    } catch (error) {
      for (const q of batch) {
        this.cache.delete(q.id);
        q.reject(error);
      }
    }
  }
}
