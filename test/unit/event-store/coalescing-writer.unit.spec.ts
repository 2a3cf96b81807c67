import { CoalescingWriter } from '../../../lib/event-store/coalescing-writer';

describe('CoalescingWriter', () => {
  it('writes the first item at once and merges the items added while that write is in flight', async () => {
    const writes: number[][] = [];
    let release: () => void = () => undefined;
    const writer = new CoalescingWriter<number>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
    }, 0);
    writer.add(1);
    expect(writes).toEqual([[1]]);
    writer.add(2);
    writer.add(3);
    release();
    await writer.flush();
    expect(writes).toEqual([[1], [2, 3]]);
  });

  it('keeps going after a failed write and flush resolves once all is written', async () => {
    const written: number[] = [];
    const writer = new CoalescingWriter<number>(async (items) => {
      if (items.includes(1)) throw new Error('engine down');
      written.push(...items);
    }, 1);
    writer.add(1);
    writer.add(2);
    await writer.flush();
    expect(written).toEqual([2]);
    writer.add(3);
    await writer.flush();
    expect(written).toEqual([2, 3]);
  });
});
