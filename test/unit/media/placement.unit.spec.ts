import { assignOrphans, liveMembers, loadOf, placeSession, type Member, type Slot } from '../../../subgraphs/media/src/cluster/placement';

const now = new Date('2026-12-02T12:00:00Z');
const member = (id: string, capacity = 10, expiresInMs = 5000): Member => ({
  id,
  url: `http://127.0.0.1:1/${id}`,
  capacity,
  expiresAt: new Date(now.getTime() + expiresInMs),
});
const slot = (cameraId: string, owner: string | null, active = true): Slot => ({ cameraId, sessionId: `s-${cameraId}`, owner, active });

describe('placement of sessions over media services', () => {
  it('knows a member dead once its expiry has passed', () => {
    expect(liveMembers([member('a'), member('b', 10, -1)], now).map((m) => m.id)).toEqual(['a']);
  });

  it('counts only active sessions with an owner', () => {
    expect(loadOf([slot('c1', 'a'), slot('c2', 'a'), slot('c3', 'b', false), slot('c4', null)])).toEqual(new Map([['a', 2]]));
  });

  it('places a new session on the least loaded member with room, ties to the one asked, then the lowest id', () => {
    const members = [member('a'), member('b'), member('c', 1)];
    expect(
      placeSession(
        members,
        new Map([
          ['a', 2],
          ['b', 1],
          ['c', 0],
        ]),
        'a',
      )?.id,
    ).toBe('c');
    expect(
      placeSession(
        members,
        new Map([
          ['a', 1],
          ['b', 1],
          ['c', 1],
        ]),
        'b',
      )?.id,
    ).toBe('b');
    expect(
      placeSession(
        members,
        new Map([
          ['a', 1],
          ['b', 1],
          ['c', 1],
        ]),
        'x',
      )?.id,
    ).toBe('a');
    expect(placeSession([member('a', 1)], new Map([['a', 1]]), 'a')).toBeUndefined();
  });

  it('places the session of a recorded camera on the member recording it while that one has room (it serves the recording)', () => {
    const members = [member('a'), member('b', 2), member('c')];
    const load = new Map([
      ['a', 0],
      ['b', 1],
      ['c', 0],
    ]);
    expect(placeSession(members, load, 'a', 'b')?.id).toBe('b');
    // Full, or not a live member: the ordinary rule.
    expect(placeSession(members, new Map([...load, ['b', 2]]), 'c', 'b')?.id).toBe('c');
    expect(placeSession(members, load, 'c', 'gone')?.id).toBe('c');
    expect(placeSession(members, load, 'c', undefined)?.id).toBe('c');
  });

  it("spreads a dead member's sessions over the live ones, the same way for every member that computes it", () => {
    const slots = [slot('c1', 'dead'), slot('c2', 'dead'), slot('c3', 'dead'), slot('c4', 'a'), slot('c5', null), slot('c6', 'dead', false)];
    const members = [member('a'), member('b')];
    const assigned = assignOrphans(slots, members);
    // b starts empty, a with one: b, then a and b alternate; the inactive (FAILED) one is nobody's to run.
    expect(assigned.get('b')?.map((s) => s.cameraId)).toEqual(['c1', 'c3']);
    expect(assigned.get('a')?.map((s) => s.cameraId)).toEqual(['c2', 'c5']);
    expect(assignOrphans([...slots].reverse(), [...members].reverse())).toEqual(assigned);
  });

  it('leaves orphans no member has room for', () => {
    const assigned = assignOrphans([slot('c1', 'dead'), slot('c2', 'dead'), slot('c3', 'a')], [member('a', 2)]);
    expect(assigned.get('a')?.map((s) => s.cameraId)).toEqual(['c1']);
  });
});
