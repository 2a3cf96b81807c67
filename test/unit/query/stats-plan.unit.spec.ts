import { AppError } from '../../../lib/errors/app-error';
import { Freshness } from '../../../subgraphs/query/src/read/freshness';
import { decodeCursor, encodeCursor } from '../../../subgraphs/query/src/read/cursor';
import { bucketStarts, splitForRollups } from '../../../subgraphs/query/src/read/stats-plan';
import { addPartials, emptyPartial, toBuckets } from '../../../subgraphs/query/src/read/stats-partial';

const H = 3_600_000;

describe('stats planning', () => {
  it('fills one bucket per interval and refuses too many', () => {
    expect(bucketStarts({ from: 90 * 60_000, to: 4 * H }, 'HOUR')).toEqual([H, 2 * H, 3 * H]);
    expect(bucketStarts({ from: 0, to: 365 * 24 * H }, 'HOUR')).toHaveLength(8760);
    expect(() => bucketStarts({ from: 0, to: 365 * 24 * H }, 'MINUTE')).toThrow(AppError);
  });

  it('splits a long range into rollup hours and raw edges plus dirty hours', () => {
    const split = splitForRollups({ from: 30 * 60_000, to: 10 * H + 5 * 60_000 }, [3 * H, 4 * H, 20 * H]);
    expect(split).toEqual({
      rollupFrom: H,
      rollupTo: 10 * H,
      dirtyHours: [3 * H, 4 * H],
      raw: [
        { from: 30 * 60_000, to: H },
        { from: 3 * H, to: 5 * H },
        { from: 10 * H, to: 10 * H + 5 * 60_000 },
      ],
      days: [],
      builds: [],
      hourSpans: [{ from: H, to: 10 * H }],
    });
    expect(splitForRollups({ from: 0, to: 3 * H }, [])).toBeUndefined();
  });

  it('serves whole clean days from day documents and the partial days around them from hours', () => {
    const D = 24 * H;
    const clean = new Map([
      [0, 'b0'],
      [D, 'b1'],
      [2 * D, 'b2'],
      [3 * D, 'b3'],
      [4 * D, 'b4'],
    ]);
    // From 05:30 on day 0 to 07:10 on day 4: days 1 to 3 are whole; day 2 holds a dirty hour.
    const split = splitForRollups({ from: 5.5 * H, to: 4 * D + 7 * H + 10 * 60_000 }, [2 * D + 3 * H], clean);
    expect(split?.days).toEqual([D, 3 * D]);
    expect(split?.builds).toEqual(['b1', 'b3']);
    expect(split?.hourSpans).toEqual([
      { from: 6 * H, to: D },
      { from: 2 * D, to: 3 * D },
      { from: 4 * D, to: 4 * D + 7 * H },
    ]);
    expect(split?.dirtyHours).toEqual([2 * D + 3 * H]);
    // Whole days only: a range of exactly one day is served by its day document alone.
    expect(splitForRollups({ from: D, to: 2 * D }, [], clean)).toMatchObject({ days: [D], builds: ['b1'], hourSpans: [], raw: [] });
  });

  it('adds partials exactly and orders buckets deterministically', () => {
    const a = {
      ...emptyPartial(),
      total: 2,
      byType: new Map([
        ['b', 1],
        ['a', 1],
      ]),
      ackSum: 10,
      ackCount: 1,
    };
    const b = { ...emptyPartial(), total: 1, byType: new Map([['a', 1]]), ackSum: 20, ackCount: 1 };
    const sum = addPartials([a, b]);
    expect(sum.total).toBe(3);
    expect(toBuckets(sum.byType)).toEqual([
      { key: 'a', count: 2 },
      { key: 'b', count: 1 },
    ]);
    expect(sum.ackSum / sum.ackCount).toBe(15);
  });
});

describe('read-your-writes and cursors', () => {
  it('waits for the position or fails with STALE_READ and the position it has', async () => {
    const freshness = new Freshness(5);
    await freshness.waitFor(5, 10);
    const waiting = freshness.waitFor(7, 5000);
    freshness.advanced(7);
    await waiting;
    await expect(freshness.waitFor(9, 20)).rejects.toMatchObject({ code: 'STALE_READ', details: { position: '7' } });
    expect(() => Freshness.parse('abc')).toThrow(AppError);
  });

  it('round-trips cursors and refuses forged ones', () => {
    expect(decodeCursor(encodeCursor([1700000000000, 'id-1']))).toEqual([1700000000000, 'id-1']);
    expect(() => decodeCursor('bm90IGpzb24')).toThrow(AppError);
  });
});
