import { sleep as realSleep } from './sleep';

/**
 * Spaces the steps of a background job so it is busy at most `share` of the wall time: after a
 * step that took `t` ms it waits `t * (1 / share - 1)`. On a machine whose cores the live path
 * shares, a catch-up (e.g. recomputing hundreds of rollup hours after a bulk import) then takes
 * longer instead of taking the cores from what users wait for.
 */
export function dutyCyclePacer(
  share: number,
  clock: { now: () => number; sleep: (ms: number) => Promise<void> } = { now: () => performance.now(), sleep: realSleep },
): () => Promise<void> {
  if (!(share > 0 && share <= 1)) throw new RangeError(`a duty cycle is a share in (0, 1], not ${share}`);
  let since = clock.now();
  return async () => {
    const busy = clock.now() - since;
    if (share < 1 && busy > 0) await clock.sleep(busy * (1 / share - 1));
    since = clock.now();
  };
}
