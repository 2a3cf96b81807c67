import { AppError } from '../../../../lib/errors/app-error';

/**
 * The position up to which everything is applied AND searchable, and the bounded wait behind
 * `minPosition` (read your writes).
 */
export class Freshness {
  private waiters = new Set<() => void>();

  constructor(public searchable = 0) {}

  advanced(position: number): void {
    if (position <= this.searchable) return;
    this.searchable = position;
    for (const wake of [...this.waiters]) wake();
  }

  /** Parses a `minPosition` argument: a decimal string of a safe positive integer. */
  static parse(minPosition: string | null | undefined): number | undefined {
    if (minPosition === null || minPosition === undefined) return undefined;
    if (!/^\d{1,16}$/.test(minPosition) || !Number.isSafeInteger(Number(minPosition))) {
      throw new AppError('BAD_USER_INPUT', 'minPosition must be a decimal position, e.g. "42"');
    }
    return Number(minPosition);
  }

  /** Resolves once the searchable position reaches `min`; STALE_READ after `timeoutMs`. */
  async waitFor(min: number | undefined, timeoutMs: number): Promise<void> {
    if (min === undefined || this.searchable >= min) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.searchable < min) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new AppError('STALE_READ', `the read model is at position ${this.searchable}, not yet at ${min}`, {
            position: String(this.searchable),
            minPosition: String(min),
          }),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}
