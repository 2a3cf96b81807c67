import type { EventEnvelope } from '../../../lib/events/envelope';
import { Checkpoint } from '../../../subgraphs/query/src/projection/checkpoint';

/** A fake event store at the boundary: a list of stored positions (with gaps). */
function fakeStore(positions: number[]) {
  const envelopes = positions.map(
    (position) => ({ position, streamId: `event-${position}`, version: 1, type: position === 7 ? 'Bogus' : 'EventRecorded' }) as unknown as EventEnvelope,
  );
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
    const checkpoint = new Checkpoint(
      {
        store: fakeStore([1, 2, 4, 5, 7, 8, 10]),
        projectable: (e) => String(e.type) !== 'Bogus',
        appliedInViews: async (envelopes) => envelopes.map((e) => elsewhere.has(e.position)),
      },
      0,
      50,
    );
    checkpoint.markApplied([1, 2, 5, 8]);
    await checkpoint.advance();
    // 3 is a gap, 4 applied by another process, 6 a gap, 7 dead-lettered; 10 not applied yet. The
    // store is read only up to the highest applied position (8): beyond it a slot may be in flight.
    expect(checkpoint.position).toBe(8);
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

  it("advances over what it applied even while the store's head hint still trails the commit", async () => {
    const store = { ...fakeStore([1000]), headPosition: async () => 0 };
    const checkpoint = new Checkpoint({ store, projectable: () => true, appliedInViews: async (e) => e.map(() => false) });
    checkpoint.markApplied([1000]);
    await checkpoint.advance();
    expect(checkpoint.position).toBe(1000);
  });
});

describe('checkpoint with events no delivery brings', () => {
  function stranding(positions: number[], strandedMs: number, marks = true) {
    const applied: number[][] = [];
    const checkpoint: Checkpoint = new Checkpoint(
      {
        store: fakeStore(positions),
        projectable: () => true,
        appliedInViews: async (e) => e.map(() => false),
        applyStranded: async (envelopes) => {
          applied.push(envelopes.map((e) => e.position));
          if (marks) checkpoint.markApplied(envelopes.map((e) => e.position));
        },
      },
      0,
      50,
      strandedMs,
    );
    return { checkpoint, applied };
  }

  it('applies from the store what stayed missing past the wait, and moves on past it', async () => {
    const { checkpoint, applied } = stranding([1, 2, 3, 4, 5], 40);
    checkpoint.markApplied([1, 3, 5]);
    await checkpoint.advance();
    // 2 is missing: its delivery may still come, so nothing is read for it yet.
    expect(checkpoint.position).toBe(1);
    expect(applied).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await checkpoint.advance();
    // Still missing after the wait: 2 and every later one nobody applied (4) come from the store at once.
    expect(applied).toEqual([[2, 4]]);
    expect(checkpoint.position).toBe(5);
    expect(checkpoint.strandedApplied).toBe(2);
  });

  it('starts the wait again for the next missing event, and never applies one a delivery brought meanwhile', async () => {
    const { checkpoint, applied } = stranding([1, 2, 3, 4, 5], 50);
    checkpoint.markApplied([1, 3, 5]);
    await checkpoint.advance();
    await new Promise((resolve) => setTimeout(resolve, 30));
    // 2's delivery comes: the position moves to the next missing one (4), whose wait starts now.
    checkpoint.markApplied([2]);
    await checkpoint.advance();
    expect(checkpoint.position).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await checkpoint.advance();
    expect(applied).toEqual([]);
    expect(checkpoint.position).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await checkpoint.advance();
    expect(applied).toEqual([[4]]);
    expect(checkpoint.position).toBe(5);
  });

  it('does not pass stranded events whose apply was cut short', async () => {
    const { checkpoint, applied } = stranding([1, 2, 3], 0, false);
    checkpoint.markApplied([1, 3]);
    await checkpoint.advance();
    await checkpoint.advance();
    expect(applied.length).toBeGreaterThan(0);
    expect(checkpoint.position).toBe(1);
  });
});

describe('checkpoint with batches in flight', () => {
  it('does not ask the store about a gap that a batch still being applied will fill, and does once that batch is done', async () => {
    let reads = 0;
    const store = fakeStore([1, 2, 3, 4, 5, 6]);
    const counting = {
      headPosition: store.headPosition,
      async *readAll(from: number, options: { toPosition?: number } = {}) {
        reads += 1;
        yield* store.readAll(from, options);
      },
    };
    const checkpoint = new Checkpoint({ store: counting, projectable: () => true, appliedInViews: async (e) => e.map(() => false) }, 0, 50);
    const release = checkpoint.hold(1);
    // The later batch lands first.
    checkpoint.markApplied([4, 5, 6]);
    await checkpoint.advance();
    expect(reads).toBe(0);
    expect(checkpoint.position).toBe(0);
    release();
    checkpoint.markApplied([1, 2, 3]);
    await checkpoint.advance();
    expect(checkpoint.position).toBe(6);
    expect(reads).toBe(0);
    // Without a batch in flight, a gap is looked up in the store at once.
    checkpoint.markApplied([8]);
    await checkpoint.advance();
    expect(reads).toBe(1);
  });
});

describe("checkpoint following the relay's previous-position links", () => {
  const countingStore = (positions: number[]) => {
    const store = fakeStore(positions);
    const counter = { reads: 0 };
    return {
      counter,
      store: {
        headPosition: store.headPosition,
        async *readAll(from: number, options: { toPosition?: number } = {}) {
          counter.reads += 1;
          yield* store.readAll(from, options);
        },
      },
    };
  };

  it('moves across commit boundaries without reading the store when each event names the one before it', async () => {
    const { store, counter } = countingStore([1000, 2000, 2001, 5000]);
    const checkpoint = new Checkpoint({ store, projectable: () => true, appliedInViews: async (e) => e.map(() => false) }, 0, 50);
    // Delivered out of order, as two batches in flight may land.
    checkpoint.markApplied([5000], new Map([[5000, 2001]]));
    checkpoint.markApplied(
      [1000, 2000, 2001],
      new Map([
        [1000, 0],
        [2000, 1000],
        [2001, 2000],
      ]),
    );
    await checkpoint.advance();
    expect(checkpoint.position).toBe(5000);
    expect(counter.reads).toBe(0);
  });

  it('stops where the chain breaks and asks the store from there', async () => {
    // 3000 was taken by another process (applied there); this one never saw its message.
    const { store, counter } = countingStore([1000, 3000, 4000]);
    const elsewhere = new Set([3000]);
    const checkpoint = new Checkpoint({ store, projectable: () => true, appliedInViews: async (e) => e.map((x) => elsewhere.has(x.position)) }, 0, 50);
    checkpoint.markApplied(
      [1000, 4000],
      new Map([
        [1000, 0],
        [4000, 3000],
      ]),
    );
    await checkpoint.advance();
    expect(checkpoint.position).toBe(4000);
    expect(counter.reads).toBeGreaterThan(0);
  });

  it('never passes an event that is not applied, whatever the links say about later ones', async () => {
    const { store } = countingStore([1000, 2000, 3000]);
    const checkpoint = new Checkpoint({ store, projectable: () => true, appliedInViews: async (e) => e.map(() => false) }, 0, 50);
    // 2000 is not applied: the link 2000 -> 3000 cannot be used, and the store shows 2000 missing.
    checkpoint.markApplied(
      [1000, 3000],
      new Map([
        [1000, 0],
        [3000, 2000],
      ]),
    );
    await checkpoint.advance();
    expect(checkpoint.position).toBe(1999);
  });
});
