import { RecentOutcomes } from '../../../lib/event-store/recent-outcomes';

describe('RecentOutcomes', () => {
  it('is bounded by the events it holds, dropping the oldest commits first', () => {
    const recent = new RecentOutcomes(5);
    recent.remember({ seq: 1, events: ['a', 'b', 'c'] });
    recent.remember({ seq: 2, events: ['d', 'e'] });
    expect(recent.get(1)?.events).toEqual(['a', 'b', 'c']);
    recent.remember({ seq: 3, events: ['f'] });
    expect(recent.get(1)).toBeUndefined();
    expect(recent.get(2)?.events).toEqual(['d', 'e']);
    expect(recent.get(3)?.events).toEqual(['f']);
  });

  it('keeps the newest commit even when it alone is larger than the bound', () => {
    const recent = new RecentOutcomes(2);
    recent.remember({ seq: 1, events: ['a'] });
    recent.remember({ seq: 2, events: ['b', 'c', 'd'] });
    expect(recent.get(1)).toBeUndefined();
    expect(recent.get(2)?.events).toHaveLength(3);
  });
});
