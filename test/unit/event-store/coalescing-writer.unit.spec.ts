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
    await Promise.resolve();
    expect(writes).toEqual([[1]]);
    writer.add(2);
    writer.add(3);
    release();
    await writer.flush();
    expect(writes).toEqual([[1], [2, 3]]);
  });

  it('writes an item added at any moment around the end of a write (none is left waiting for the next add)', async () => {
    // One writer per moment: an add landing `depth` microtasks after the write's end, i.e. also
    // after the loop saw nothing pending; a later add would rescue a stranded item, so only one.
    for (let depth = 0; depth < 12; depth += 1) {
      const written: number[] = [];
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const writer = new CoalescingWriter<number>(async (items) => {
        written.push(...items);
        if (items.includes(0)) await gate;
      }, 0);
      writer.add(0);
      await Promise.resolve();
      let chain = gate;
      for (let i = 0; i < depth; i += 1) chain = chain.then(() => undefined);
      void chain.then(() => writer.add(1));
      release();
      await new Promise((resolve) => setImmediate(resolve));
      await writer.flush();
      expect({ depth, written }).toEqual({ depth, written: [0, 1] });
    }
  });

  it('keeps going after a failed write and flush resolves once all is written', async () => {
    const written: number[] = [];
    const writer = new CoalescingWriter<number>(async (items) => {
      if (items.includes(1)) throw new Error('engine down');
      written.push(...items);
    }, 1);
    writer.add(1);
    await writer.flush();
    writer.add(2);
    await writer.flush();
    expect(written).toEqual([2]);
    writer.add(3);
    await writer.flush();
    expect(written).toEqual([2, 3]);
  });
});
