import { MicroBatcher } from '../../../gateway/src/subscriptions/micro-batch';

describe('MicroBatcher', () => {
  it('hands over what arrived within the window as one batch, and resolves each add after it', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number>(async (batch) => void batches.push(batch), 5, 100);
    await Promise.all([1, 2, 3].map((n) => batcher.add(n)));
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('cuts at max, and grows the next batch while the in-flight slots are busy', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new MicroBatcher<number>(
      async (batch) => {
        batches.push(batch);
        await gate;
      },
      1,
      3,
      1,
    );
    const first = [1, 2, 3].map((n) => batcher.add(n));
    const later = [4, 5, 6, 7, 8].map((n) => batcher.add(n));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // One slot: only the first full batch runs; the rest waits however long the window was.
    expect(batches).toEqual([[1, 2, 3]]);
    release();
    await Promise.all([...first, ...later]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8],
    ]);
  });

  it('rejects the adds of a batch that failed', async () => {
    const batcher = new MicroBatcher<number>(async () => Promise.reject(new Error('no')), 1, 10);
    await expect(batcher.add(1)).rejects.toThrow('no');
  });
});
