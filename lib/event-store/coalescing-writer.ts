import { sleep } from '../async/sleep';

/**
 * Background writes that may be merged: items added while a write is in flight, or within
 * `spacingMs` of the last one, go out together in the next write. The first item after a quiet
 * spell is written at once, so a lone append sees no delay; under load the engine sees one write
 * per `spacingMs` instead of one per item. Each engine write is a write transaction (an fsync on
 * FerretDB's SQLite) and a round trip costing CPU on both sides, which is what this saves.
 * `write` handles its own failures: nothing written here is needed for correctness.
 */
export class CoalescingWriter<T> {
  private pending: T[] = [];
  private running: Promise<void> | undefined;
  private lastWrite = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly spacingMs: number,
  ) {}

  add(item: T): void {
    this.pending.push(item);
    this.running ??= this.run();
  }

  /** Resolves once everything added so far was written (or failed). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async run(): Promise<void> {
    // `running` is assigned before anything below runs, and cleared in the same turn as the loop
    // sees nothing pending: an item added in between (a `.finally` runs a microtask later) would
    // otherwise wait, unwritten, for the next add.
    await Promise.resolve();
    try {
      while (this.pending.length > 0) {
        const wait = this.lastWrite + this.spacingMs - Date.now();
        if (wait > 0) await sleep(wait);
        const items = this.pending;
        this.pending = [];
        this.lastWrite = Date.now();
        try {
          await this.write(items);
        } catch {
          // `write` handles its own failures; nothing written here is needed for correctness.
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
