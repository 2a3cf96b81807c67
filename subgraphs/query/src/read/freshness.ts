import { AppError } from '../../../../lib/errors/app-error';

/**
 * The position up to which everything is applied AND searchable, and the bounded wait behind
 * `minPosition` (read your writes).
 *
 * The position is only worth what Elasticsearch still holds. While the projection cannot vouch for
 * it (Elasticsearch was unreachable, so it may have restarted and lost writes), the position is
 * `held`: every read waits until it is verified (`release`) or moved back to what is durable
 * (`rewind`), instead of answering a count that claims a position the views no longer reach.
 */
export class Freshness {
  /** Each waiting read's wake-up, with the position it waits for. */
  private waiters = new Map<() => void, number>();
  private gate: { opened: Promise<void>; open: () => void } | undefined;
  /**
   * Called when a read starts waiting for a position that is not searchable yet: the projection
   * makes applied events searchable on demand (ProjectionRuntime), not after every batch.
   */
  onWait: (() => void) | undefined;

  constructor(public searchable = 0) {}

  /** Whether a read waits for a position at or below `position` (a refresh up to it would answer it). */
  awaitedUpTo(position: number): boolean {
    for (const min of this.waiters.values()) if (min <= position) return true;
    return false;
  }

  advanced(position: number): void {
    if (position <= this.searchable) return;
    this.searchable = position;
    for (const wake of [...this.waiters.keys()]) wake();
  }

  /** The views may have lost what the position claims: reads wait until `release`. */
  hold(): void {
    if (this.gate) return;
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.gate = { opened, open };
  }

  release(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.open();
  }

  get held(): boolean {
    return this.gate !== undefined;
  }

  /** Moves the position back to one known to be durable (after a loss, before a replay). */
  rewind(position: number): void {
    if (position < this.searchable) this.searchable = position;
  }

  /** Parses a `minPosition` argument: a decimal string of a safe positive integer. */
  static parse(minPosition: string | null | undefined): number | undefined {
    if (minPosition === null || minPosition === undefined) return undefined;
    if (!/^\d{1,16}$/.test(minPosition) || !Number.isSafeInteger(Number(minPosition))) {
      throw new AppError('BAD_USER_INPUT', 'minPosition must be a decimal position, e.g. "42"');
    }
    return Number(minPosition);
  }

  /**
   * Resolves once the position is verified and the searchable position reaches `min` (if given);
   * STALE_READ after `timeoutMs`, or UNAVAILABLE if the views could not be verified by then.
   */
  async waitFor(min: number | undefined, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.gate) await this.passGate(this.gate.opened, deadline);
    if (min === undefined || this.searchable >= min) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.searchable < min) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.waiters.delete(check);
          reject(
            new AppError('STALE_READ', `the read model is at position ${this.searchable}, not yet at ${min}`, {
              position: String(this.searchable),
              minPosition: String(min),
            }),
          );
        },
        Math.max(0, deadline - performance.now()),
      );
      this.waiters.set(check, min);
      this.onWait?.();
    });
  }

  private async passGate(opened: Promise<void>, deadline: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - performance.now()));
    });
    const outcome = await Promise.race([opened.then(() => 'open' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      throw new AppError('UNAVAILABLE', 'elasticsearch is unavailable: the read model cannot yet verify what it holds after an outage', {
        engine: 'elasticsearch',
        retryable: true,
      });
    }
  }
}
