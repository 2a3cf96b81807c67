import { PushQueue } from '../../../gateway/src/subscriptions/push-queue';

describe('a subscriber queue', () => {
  it('keeps at most max items, dropping the oldest, whatever is pushed while nobody reads', async () => {
    const queue = new PushQueue<number>(100, () => undefined);
    let kept = 0;
    for (let i = 0; i < 100000; i++) if (queue.push(i)) kept += 1;
    expect(queue.pending).toBe(100);
    expect(queue.dropped).toBe(100000 - 100);
    expect(kept).toBe(100);
    expect(await queue.next()).toEqual({ value: 99900, done: false });
  });

  it('hands an item straight to a waiting reader, and ends readers and releases on return', async () => {
    let released = 0;
    const queue = new PushQueue<string>(10, () => (released += 1));
    const waiting = queue.next();
    queue.push('a');
    expect(await waiting).toEqual({ value: 'a', done: false });
    const pending = queue.next();
    await queue.return();
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(released).toBe(1);
    queue.push('late');
    expect(queue.pending).toBe(0);
  });
});
