import type { DecidedCommit } from './documents';

/**
 * Outcomes this process decided, by commit sequence: decided commits never change, so the relay
 * running beside the writer reads fresh commits from memory instead of the engine. Bounded by the
 * number of events held (a commit holds up to 1,000), oldest commits dropped first.
 */
export class RecentOutcomes {
  private readonly bySeq = new Map<number, DecidedCommit>();
  private events = 0;

  constructor(private readonly capacity: number) {}

  remember(outcome: DecidedCommit): void {
    const replaced = this.bySeq.get(outcome.seq);
    if (replaced) this.events -= Math.max(1, replaced.events.length);
    this.bySeq.set(outcome.seq, outcome);
    this.events += Math.max(1, outcome.events.length);
    while (this.events > this.capacity && this.bySeq.size > 1) {
      const oldest = this.bySeq.entries().next();
      if (oldest.done) break;
      this.bySeq.delete(oldest.value[0]);
      this.events -= Math.max(1, oldest.value[1].events.length);
    }
  }

  get(seq: number): DecidedCommit | undefined {
    return this.bySeq.get(seq);
  }
}
