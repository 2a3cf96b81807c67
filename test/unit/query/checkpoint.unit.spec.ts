import type { EventEnvelope } from '../../../lib/events/envelope';
import { Checkpoint } from '../../../subgraphs/query/src/projection/checkpoint';

/** A fake event store at the boundary: a list of stored positions (with gaps). */
function fakeStore(positions: number[]) {
  const envelopes = positions.map((position) => ({ position, streamId: `event-${position}`, version: 1, type: position === 7 ? 'Bogus' : 'EventRecorded' }) as unknown as EventEnvelope);
  return {
    headPosition: async () => Math.max(0, ...positions) + 2, // two allocated, never written slots at the end
    async *readAll(from: number, options: { toPosition?: number } = {}) {
      yield envelopes.filter((e) => e.position > from && e.position <= (options.toPosition ?? Infinity));
    },
  };
}

describe('checkpoint', () => {
  it('advances over local runs, gaps, dead-lettered events and events other processes applied, and stops at a missing one', async () => {
    const elsewhere = new Set([4]);
    const checkpoint = new Checkpoint({
      store: fakeStore([1, 2, 4, 5, 7, 8, 10]),
      projectable: (e) => String(e.type) !== 'Bogus',
      appliedInViews: async (envelopes) => envelopes.map((e) => elsewhere.has(e.position)),
    }, 0, 50);
    checkpoint.markApplied([1, 2, 5, 8]);
    await checkpoint.advance();
    // 3 is a gap, 4 applied by another process, 6 a gap, 7 dead-lettered; 10 not applied yet.
    expect(checkpoint.position).toBe(9);
    checkpoint.markApplied([10]);
    await checkpoint.advance();
    // 11 and 12 were allocated but never written: the store shows it once deliveries pause.
    expect(checkpoint.position).toBe(10);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await checkpoint.advance();
    expect(checkpoint.position).toBe(12);
    expect(checkpoint.head).toBe(12);
  });

  it('does not move past an event nobody applied', async () => {
    const checkpoint = new Checkpoint({ store: fakeStore([1, 2, 3]), projectable: () => true, appliedInViews: async (e) => e.map(() => false) });
    checkpoint.markApplied([1, 3]);
    await checkpoint.advance();
    expect(checkpoint.position).toBe(1);
  });

  it('advances over what it applied even while the store\'s head hint still trails the commit', async () => {
    const store = { ...fakeStore([1000]), headPosition: async () => 0 };
    const checkpoint = new Checkpoint({ store, projectable: () => true, appliedInViews: async (e) => e.map(() => false) });
    checkpoint.markApplied([1000]);
    await checkpoint.advance();
    expect(checkpoint.position).toBe(1000);
  });
});
