interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A batch being handled: `freed` settles when its slot may take the next batch (for payloads: once
 * the query answered), `done` when its items are handled (delivered); each `add` resolves with it.
 */
export interface BatchWork {
  freed: Promise<unknown>;
  done: Promise<void>;
}

/**
 * Gathers items for a short window (or until `max` are waiting) and hands them over as one batch;
 * each `add` resolves when its batch has been handled. At most `maxInFlight` batches hold a slot at
 * once: while they do, new items gather, so batches grow with the load (fewer, larger units of work
 * when busy) and stay small when idle (no item waits longer than the window then). A handler that
 * returns a BatchWork gives its slot back before it is done (`freed`): the next batch's query then
 * runs while the previous one is still being delivered.
 */
export class MicroBatcher<T> {
  private items: T[] = [];
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The window of the oldest waiting item has passed. */
  private due = false;
  private inFlight = 0;

  constructor(
    private readonly handle: (batch: T[]) => Promise<void> | BatchWork,
    private readonly windowMs: number,
    private readonly max: number,
    private readonly maxInFlight = 2,
  ) {}

  add(item: T): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.items.push(item);
    if (this.items.length >= this.max) this.due = true;
    if (this.due) this.flush();
    else this.timer ??= setTimeout(() => this.onWindow(), this.windowMs);
    return done;
  }

  private onWindow(): void {
    this.timer = undefined;
    this.due = true;
    this.flush();
  }

  private flush(): void {
    while (this.due && this.items.length > 0 && this.inFlight < this.maxInFlight) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      const items = this.items.splice(0, this.max);
      const waiters = this.waiters.splice(0, items.length);
      // What is left over a full batch is already past its window.
      this.due = this.items.length > 0;
      this.inFlight += 1;
      const work = this.start(items);
      const free = () => this.free();
      work.freed.then(free, free);
      work.done.then(
        () => settle(waiters, undefined),
        (error: unknown) => settle(waiters, error ?? new Error('batch failed')),
      );
    }
  }

  private start(items: T[]): BatchWork {
    try {
      const work = this.handle(items);
      return work instanceof Promise ? { freed: work, done: work } : work;
    } catch (error) {
      const failed = Promise.reject(error);
      return { freed: failed, done: failed };
    }
  }

  private free(): void {
    this.inFlight -= 1;
    this.flush();
    // Items that arrived while every slot was busy and whose window has not started.
    if (this.items.length > 0 && !this.timer && !this.due) this.timer = setTimeout(() => this.onWindow(), this.windowMs);
  }
}

function settle(waiters: Waiter[], error: unknown): void {
  for (const waiter of waiters) {
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
  }
}
