import { LookupCache } from '../../../gateway/src/subscriptions/lookup-cache';

describe('LookupCache', () => {
  const setup = () => {
    let feedEpoch = 1;
    let now = 0;
    const cache = new LookupCache(
      () => feedEpoch,
      1000,
      3,
      () => now,
    );
    return { cache, reconnect: () => (feedEpoch += 1), advance: (ms: number) => (now += ms) };
  };

  it('keeps an answer per group and item until the item changes', () => {
    const { cache } = setup();
    cache.set('viewer', 'cam-1', cache.ticket('cam-1'), { name: 'A' });
    expect(cache.get('viewer', 'cam-1')).toEqual({ name: 'A' });
    expect(cache.get('admin', 'cam-1')).toBeUndefined();
    cache.changed('cam-2');
    expect(cache.get('viewer', 'cam-1')).toEqual({ name: 'A' });
    cache.changed('cam-1');
    expect(cache.get('viewer', 'cam-1')).toBeUndefined();
  });

  it('does not keep an answer read while its item changed, nor across a reconnect or a clear', () => {
    const { cache, reconnect } = setup();
    const before = cache.ticket('cam-1');
    cache.changed('cam-1');
    cache.set('viewer', 'cam-1', before, { name: 'old' });
    expect(cache.get('viewer', 'cam-1')).toBeUndefined();

    cache.set('viewer', 'cam-1', cache.ticket('cam-1'), { name: 'A' });
    reconnect();
    expect(cache.get('viewer', 'cam-1')).toBeUndefined();

    const inFlight = cache.ticket('cam-1');
    cache.clear();
    cache.set('viewer', 'cam-1', inFlight, { name: 'A' });
    expect(cache.get('viewer', 'cam-1')).toBeUndefined();
  });

  it('forgets an answer after its time to live, and everything when full', () => {
    const { cache, advance } = setup();
    cache.set('viewer', 'cam-1', cache.ticket('cam-1'), 1);
    advance(1001);
    expect(cache.get('viewer', 'cam-1')).toBeUndefined();
    for (const item of ['a', 'b', 'c']) cache.set('viewer', item, cache.ticket(item), item);
    expect(cache.get('viewer', 'c')).toBe('c');
    cache.set('viewer', 'd', cache.ticket('d'), 'd');
    expect(cache.get('viewer', 'a')).toBeUndefined();
    expect(cache.get('viewer', 'd')).toBe('d');
  });
});
