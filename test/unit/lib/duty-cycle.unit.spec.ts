import { dutyCyclePacer, pacedMethods } from '../../../lib/async/duty-cycle';

/** A clock the test moves: `work` is a step's busy time, `sleep` records the pause asked for. */
const fakeClock = () => {
  let now = 0;
  const pauses: number[] = [];
  return {
    pauses,
    work: (ms: number) => {
      now += ms;
    },
    clock: {
      now: () => now,
      sleep: (ms: number) => {
        pauses.push(ms);
        now += ms;
        return Promise.resolve();
      },
    },
  };
};

describe('dutyCyclePacer', () => {
  it('waits after each step so the job is busy at most its share of the wall time', async () => {
    const t = fakeClock();
    const pause = dutyCyclePacer(0.1, t.clock);
    for (const step of [100, 20, 0, 50]) {
      t.work(step);
      await pause();
    }
    expect(t.pauses).toEqual([900, 180, 450]);
    expect(t.clock.now()).toBe(170 * 10);
  });

  it('does not count its own pauses as work, and never waits at a share of 1', async () => {
    const t = fakeClock();
    const pause = dutyCyclePacer(0.5, t.clock);
    t.work(10);
    await pause();
    await pause();
    expect(t.pauses).toEqual([10]);
    const full = fakeClock();
    const never = dutyCyclePacer(1, full.clock);
    full.work(10);
    await never();
    expect(full.pauses).toEqual([]);
    expect(() => dutyCyclePacer(0)).toThrow(RangeError);
  });
});

describe('pacedMethods', () => {
  it('pauses after each call that returns a promise, before its caller goes on, and passes other members through', async () => {
    const log: string[] = [];
    const adapter = {
      label: 'adapter',
      read: async (id: number) => {
        log.push(`read ${id}`);
        return id * 2;
      },
      name: () => 'plain',
      async *pages() {
        yield [1];
      },
    };
    const paced = pacedMethods(adapter, async () => {
      log.push('pause');
    });
    expect(await paced.read(1)).toBe(2);
    log.push('caller');
    expect(paced.name()).toBe('plain');
    expect(paced.label).toBe('adapter');
    const pages: number[][] = [];
    for await (const page of paced.pages()) pages.push(page);
    expect(pages).toEqual([[1]]);
    expect(log).toEqual(['read 1', 'pause', 'caller']);
  });
});
