/**
 * What one subscriber has yet to receive: an async iterator (graphql-ws pulls from it and awaits
 * each socket write), bounded so a slow subscriber costs at most `max` pending items. Beyond it the
 * oldest are dropped: a live feed favours the newest state over a complete backlog.
 */
export class PushQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;
  dropped = 0;

  constructor(
    private readonly max: number,
    private readonly onClose: () => void,
  ) {}

  /** Queues an item; returns false when that dropped an older one. */
  push(item: T): boolean {
    if (this.closed) return true;
    if (this.waiting) {
      const wake = this.waiting;
      this.waiting = undefined;
      wake({ value: item, done: false });
      return true;
    }
    this.items.push(item);
    if (this.items.length <= this.max) return true;
    this.items.shift();
    this.dropped += 1;
    return false;
  }

  get pending(): number {
    return this.items.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** Called by graphql-ws on complete or disconnect: releases everything this subscriber held. */
  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      this.items.length = 0;
      const wake = this.waiting;
      this.waiting = undefined;
      wake?.({ value: undefined, done: true });
      this.onClose();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
