import type { EventEnvelope } from '../../../lib/events/envelope';
import { createLogger } from '../../../lib/logging/logger';
import { Checkpoint } from '../../../subgraphs/query/src/projection/checkpoint';
import { RestartHealer } from '../../../subgraphs/query/src/projection/restart-healer';
import { Freshness } from '../../../subgraphs/query/src/read/freshness';
import type { SavedCheckpoint } from '../../../subgraphs/query/src/views/ports';

const logger = createLogger('test', 'silent');
const healers: RestartHealer[] = [];
afterEach(async () => {
  await Promise.all(healers.splice(0).map((healer) => healer.stop()));
});
const waitUntil = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
};

/**
 * Fakes at the boundaries: the event store (stored positions, with gaps), the views (the positions
 * they hold) and the Elasticsearch node identity. The checkpoint and the freshness are the real ones.
 */
function world(stored: number[], options: { saved: SavedCheckpoint; nodes: string }) {
  const envelopes = stored.map((position) => ({ position, streamId: `event-${position}`, version: 1, type: 'EventRecorded' }) as unknown as EventEnvelope);
  const views = new Set<number>();
  let nodes = options.nodes;
  let reachable = true;
  const checkpoint = new Checkpoint(
    {
      store: { headPosition: async () => Math.max(...stored), readAll: () => (async function* () {})() },
      projectable: () => true,
      appliedInViews: async (list) => list.map((e) => views.has(e.position)),
    },
    0,
    60_000,
  );
  const freshness = new Freshness();
  const replayed: number[] = [];
  const healer = new RestartHealer(
    {
      nodeIdentity: async () => {
        if (!reachable) throw new Error('connect ECONNREFUSED');
        return nodes;
      },
      loadCheckpoint: async () => options.saved,
      store: {
        headPosition: async () => Math.max(...stored),
        async *readAll(from: number, read: { toPosition?: number } = {}) {
          const range = envelopes.filter((e) => e.position > from && e.position <= (read.toPosition ?? Infinity));
          // Small batches: the replay's links must chain across them.
          for (let i = 0; i < range.length; i += 2) yield range.slice(i, i + 2);
        },
      },
      applyReplayed: async (batch, links) => {
        for (const e of batch) views.add(e.position);
        replayed.push(...batch.map((e) => e.position));
        checkpoint.markApplied(
          batch.map((e) => e.position),
          links,
        );
      },
      rewind: (position) => {
        freshness.rewind(position);
        return checkpoint.rewind(position);
      },
      freshness,
    },
    logger,
    60_000,
  );
  healers.push(healer);
  /** What the projection does on every tick: advance, then publish. */
  const tick = async () => {
    await checkpoint.advance();
    freshness.advanced(checkpoint.position);
  };
  return {
    views,
    checkpoint,
    freshness,
    healer,
    replayed,
    tick,
    restart(newNodes: string, lostAbove: number) {
      nodes = newNodes;
      for (const p of [...views]) if (p > lostAbove) views.delete(p);
    },
    setReachable(value: boolean) {
      reachable = value;
    },
  };
}

describe('RestartHealer', () => {
  it('after a restart of Elasticsearch, rewinds to the durable checkpoint and replays the store up to what it had applied', async () => {
    const stored = [1, 2, 3, 5, 8, 9, 12, 13, 20];
    // 25 is stored but still on the queue (never applied): the replay leaves it to the queue.
    const w = world([...stored, 25], { saved: { position: 5, nodes: 'A' }, nodes: 'A' });
    await w.healer.start({ position: 5, nodes: 'A' });
    expect(w.replayed).toEqual([]);
    // Everything applied and published before the crash...
    for (const p of stored) w.views.add(p);
    w.checkpoint.markApplied(stored, new Map(stored.map((p, i) => [p, i === 0 ? 0 : stored[i - 1]!])));
    await w.tick();
    expect(w.freshness.searchable).toBe(20);

    // ...then the node restarts and has lost what came after 8 (position 5 is the saved checkpoint).
    w.setReachable(false);
    w.healer.suspect();
    w.restart('B', 8);
    expect(w.freshness.held).toBe(true);
    let answered = false;
    const read = w.freshness.waitFor(20, 5000).then(() => {
      answered = true;
    });
    await w.healer.check();
    expect(w.freshness.held).toBe(true);
    expect(answered).toBe(false);

    w.setReachable(true);
    await w.healer.check();
    // Rewound before the readers were let go: a read at 20 waits for the replay.
    expect(w.freshness.held).toBe(false);
    expect(w.freshness.searchable).toBe(5);
    await waitUntil(() => w.healer.healing === undefined);
    expect(w.replayed).toEqual([8, 9, 12, 13, 20]);
    expect([...w.views].sort((a, b) => a - b)).toEqual(stored);
    await w.tick();
    await read;
    expect(answered).toBe(true);
    expect(w.checkpoint.position).toBe(20);
  });

  it('lets readers go without a rewind when the same node processes answer again', async () => {
    const w = world([1, 2, 3], { saved: { position: 3, nodes: 'A' }, nodes: 'A' });
    await w.healer.start({ position: 3, nodes: 'A' });
    w.checkpoint.markApplied([1, 2, 3]);
    await w.tick();
    w.healer.suspect();
    await w.healer.check();
    expect(w.freshness.held).toBe(false);
    expect(w.freshness.searchable).toBe(3);
    expect(w.replayed).toEqual([]);
  });

  it('keeps readers waiting while Elasticsearch cannot be asked, and says UNAVAILABLE after the read timeout', async () => {
    const w = world([1], { saved: { position: 0 }, nodes: 'A' });
    await w.healer.start({ position: 0 });
    w.setReachable(false);
    w.healer.suspect();
    await w.healer.check();
    await expect(w.freshness.waitFor(undefined, 50)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('at start, replays from a checkpoint saved under node processes that are gone, or under none named', async () => {
    for (const saved of [{ position: 2, nodes: 'old' }, { position: 2 }]) {
      const w = world([1, 2, 3, 4], { saved, nodes: 'new' });
      w.checkpoint.position = 2;
      await w.healer.start(saved);
      await waitUntil(() => w.healer.healing === undefined && w.replayed.length === 2);
      expect(w.replayed).toEqual([3, 4]);
      await w.tick();
      expect(w.checkpoint.position).toBe(4);
      await w.healer.stop();
    }
  });
});

describe('Checkpoint.rewind', () => {
  it('drops marks and advances that began before it', async () => {
    const checkpoint = new Checkpoint(
      {
        store: { headPosition: async () => 10, readAll: () => (async function* () {})() },
        projectable: () => true,
        appliedInViews: async (e) => e.map(() => true),
      },
      0,
      60_000,
    );
    const before = checkpoint.epoch;
    checkpoint.markApplied([1, 2, 3]);
    await checkpoint.advance();
    expect(checkpoint.position).toBe(3);
    checkpoint.rewind(1);
    expect(checkpoint.position).toBe(1);
    // A batch applied before the rewind marks late: ignored.
    checkpoint.markApplied([2, 3], undefined, before);
    await checkpoint.advance();
    expect(checkpoint.position).toBe(1);
    checkpoint.markApplied([2]);
    await checkpoint.advance();
    expect(checkpoint.position).toBe(2);
  });
});
