/**
 * Gathers items for a short window (or until `max` are waiting) and hands them over as one batch;
 * each `add` resolves when its batch has been handled. Turns a stream of messages into a few
 * larger units of work without holding any item longer than the window.
 */
export class MicroBatcher<T> {
  private items: T[] = [];
  private waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly handle: (batch: T[]) => Promise<void>,
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  add(item: T): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.items.push(item);
    if (this.items.length >= this.max) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    return done;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.items;
    const waiters = this.waiters;
    this.items = [];
    this.waiters = [];
    if (items.length === 0) return;
    this.handle(items).then(
      () => waiters.forEach((w) => w.resolve()),
      (error: unknown) => waiters.forEach((w) => w.reject(error)),
    );
  }
}
