import { randomUUID } from 'node:crypto';
import type { AppendCandidate, AppendResult } from '../../../lib/event-store/event-store';
import { GroupAppender } from '../../../lib/event-store/group-appender';

const candidate = (streamId: string): AppendCandidate => ({
  streamId, version: 1, eventId: randomUUID(), occurredAt: '2026-01-01T00:00:00.000Z',
  metadata: { correlationId: 'c', causationId: null, actor: 'a' },
  event: { type: 'CameraDecommissioned', data: { cameraId: streamId } },
});

/** A fake writer (the boundary): records each physical append and answers "written" for all. */
function fakeWriter() {
  const calls: string[][] = [];
  let release: (() => void) | undefined;
  const write = async (candidates: readonly AppendCandidate[]): Promise<AppendResult> => {
    calls.push(candidates.map((c) => c.streamId));
    if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
    return { outcomes: candidates.map((c, i) => ({ status: 'written', envelope: { ...c, position: i, type: c.event.type, schemaVersion: 1, recordedAt: '', data: c.event.data } })) };
  };
  return { calls, write, release: () => release?.() };
}

describe('group commit', () => {
  it('sends appends that arrive during a write as one next write, each caller getting its own outcomes', async () => {
    const writer = fakeWriter();
    const group = new GroupAppender(writer.write, 1000);
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
    const group = new GroupAppender(writer.write, 2);
    const all = [group.append([candidate('a')]), group.append([candidate('a')]), group.append([candidate('b')]), group.append([candidate('c')])];
    await new Promise((resolve) => setImmediate(resolve));
    writer.release();
    await Promise.all(all);
    expect(writer.calls).toEqual([['a'], ['a', 'b'], ['c']]);
  });

  it('fails every caller of a failed write, and keeps going', async () => {
    let fail = true;
    const group = new GroupAppender(async (candidates) => {
      if (fail) throw new Error('engine down');
      return { outcomes: candidates.map(() => ({ status: 'conflict' as const, existing: {} as never })) };
    }, 10);
    await expect(group.append([candidate('a')])).rejects.toThrow('engine down');
    fail = false;
    await expect(group.append([candidate('a')])).resolves.toMatchObject({ outcomes: [{ status: 'conflict' }] });
  });
});
