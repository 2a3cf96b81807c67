import type { OutcomeDoc } from './documents';

/**
 * Outcomes this process decided, by first position: decided commits never change, so the relay
 * running beside the writer reads fresh commits from memory instead of the engine. Bounded.
 */
export class RecentOutcomes {
  private readonly byFirst = new Map<number, OutcomeDoc>();

  constructor(private readonly capacity: number) {}

  remember(outcome: OutcomeDoc): void {
    this.byFirst.set(outcome.first, outcome);
    if (this.byFirst.size > this.capacity) {
      const oldest = this.byFirst.keys().next();
      if (!oldest.done) this.byFirst.delete(oldest.value);
    }
  }

  get(first: number): OutcomeDoc | undefined {
    return this.byFirst.get(first);
  }
}
