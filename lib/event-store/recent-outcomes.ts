import type { DecidedCommit } from './documents';

/**
 * Outcomes this process decided, by commit sequence: decided commits never change, so the relay
 * running beside the writer reads fresh commits from memory instead of the engine. Bounded.
 */
export class RecentOutcomes {
  private readonly bySeq = new Map<number, DecidedCommit>();

  constructor(private readonly capacity: number) {}

  remember(outcome: DecidedCommit): void {
    this.bySeq.set(outcome.seq, outcome);
    if (this.bySeq.size > this.capacity) {
      const oldest = this.bySeq.keys().next();
      if (!oldest.done) this.bySeq.delete(oldest.value);
    }
  }

  get(seq: number): DecidedCommit | undefined {
    return this.bySeq.get(seq);
  }
}
