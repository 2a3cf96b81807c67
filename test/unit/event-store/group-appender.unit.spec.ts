import { randomUUID } from 'node:crypto';
import type { AppendCandidate, AppendResult } from '../../../lib/event-store/event-store';
import { GroupAppender, type GroupLimits } from '../../../lib/event-store/group-appender';

const candidate = (streamId: string): AppendCandidate => ({
  streamId,
  version: 1,
  id: randomUUID(),
  occurredAt: '2026-01-01T00:00:00.000Z',
  metadata: { correlationId: 'c', causationId: null, actor: 'a' },
  event: { type: 'CameraDecommissioned', data: { cameraId: streamId } },
});

/** Limits by event count only (every candidate weighs 1 byte of an unbounded budget). */
const byCount = (maxEvents: number): GroupLimits => ({ maxEvents, maxBytes: Number.POSITIVE_INFINITY, weigh: () => 1 });

/** A fake writer (the boundary): records each physical append and answers "written" for all. */
function fakeWriter() {
  const calls: string[][] = [];
  let release: (() => void) | undefined;
  const write = async (candidates: readonly AppendCandidate[]): Promise<AppendResult> => {
    calls.push(candidates.map((c) => c.streamId));
    if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
    return { outcomes: candidates.map((c, i) => ({ status: 'written', envelope: { ...c, ...c.event, position: i, schemaVersion: 1, recordedAt: '' } })) };
  };
  return { calls, write, release: () => release?.() };
}

describe('group commit', () => {
  it('sends appends that arrive during a write as one next write, each caller getting its own outcomes', async () => {
    const writer = fakeWriter();
    const group = new GroupAppender(writer.write, byCount(1000));
    const first = group.append([candidate('a')]);
    const rest = [group.append([candidate('b')]), group.append([candidate('c'), candidate('d')])];
    await new Promise((resolve) => setImmediate(resolve));
    writer.release();
    await first;
    const [b, cd] = await Promise.all(rest);
    expect(writer.calls).toEqual([['a'], ['b', 'c', 'd']]);
    expect(b!.outcomes).toHaveLength(1);
    expect(cd!.outcomes.map((o) => (o.status === 'written' ? o.envelope.streamId : ''))).toEqual(['c', 'd']);
  });

  it('never puts two events of one stream, or more than the limit, into one write', async () => {
    const writer = fakeWriter();
    const group = new GroupAppender(writer.write, byCount(2));
    const all = [group.append([candidate('a')]), group.append([candidate('a')]), group.append([candidate('b')]), group.append([candidate('c')])];
    await new Promise((resolve) => setImmediate(resolve));
    writer.release();
    await Promise.all(all);
    expect(writer.calls).toEqual([['a'], ['a', 'b'], ['c']]);
  });

  describe('a byte budget per write (MongoDB refuses a document over 16 MiB)', () => {
    /** Weights by stream id; the budget is 100. */
    const sized = (weights: Record<string, number>): GroupLimits => ({ maxEvents: 1000, maxBytes: 100, weigh: (c) => weights[c.streamId] ?? 1 });
    const streamsOf = (result: AppendResult) => result.outcomes.map((o) => (o.status === 'written' ? o.envelope.streamId : ''));

    it('writes one append heavier than the budget as several writes within it, answering every outcome in order', async () => {
      const writer = fakeWriter();
      const group = new GroupAppender(writer.write, sized({ a: 40, b: 40, c: 40, d: 40, e: 40 }));
      const appended = group.append(['a', 'b', 'c', 'd', 'e'].map(candidate));
      await new Promise((resolve) => setImmediate(resolve));
      writer.release();
      expect(streamsOf(await appended)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(writer.calls).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    });

    it('merges concurrent appends only while they fit the budget, keeping each stream in order', async () => {
      const writer = fakeWriter();
      const group = new GroupAppender(writer.write, sized({ x: 10, p: 60, q: 60, r: 30 }));
      const first = group.append([candidate('x')]);
      const pq = { ...candidate('q'), version: 2 };
      const rest = [group.append([candidate('p')]), group.append([candidate('q')]), group.append([candidate('r')]), group.append([pq])];
      await new Promise((resolve) => setImmediate(resolve));
      writer.release();
      await Promise.all([first, ...rest]);
      // q does not fit beside p: r does; the second append to q's stream waits for the first.
      expect(writer.calls).toEqual([['x'], ['p', 'r'], ['q'], ['q']]);
    });

    it('refuses an event heavier than the whole budget with BAD_USER_INPUT and writes nothing of the append', async () => {
      const writer = fakeWriter();
      const group = new GroupAppender(writer.write, sized({ a: 10, huge: 101 }));
      await expect(group.append([candidate('a'), candidate('huge')])).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(writer.calls).toEqual([]);
    });
  });

  it('fails every caller of a failed write, and keeps going', async () => {
    let fail = true;
    const group = new GroupAppender(async (candidates) => {
      if (fail) throw new Error('engine down');
      return { outcomes: candidates.map(() => ({ status: 'conflict' as const, existing: {} as never })) };
    }, byCount(10));
    await expect(group.append([candidate('a')])).rejects.toThrow('engine down');
    fail = false;
    await expect(group.append([candidate('a')])).resolves.toMatchObject({ outcomes: [{ status: 'conflict' }] });
  });
});
