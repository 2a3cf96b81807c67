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

/**
 * `target` with `pause()` awaited after every method call that returns a promise: a paced view
 * of an adapter, so a job pauses between its engine calls rather than between whole units of
 * work (one rollup hour is five Elasticsearch calls, ~80 ms of 1.5 cores in a burst with 1M events
 * stored). Other members, and methods that return anything else (e.g. async iterables), pass
 * through unchanged.
 */
export function pacedMethods<T extends object>(target: T, pause: () => Promise<void>): T {
  return new Proxy(target, {
    get(object, key) {
      const member: unknown = Reflect.get(object, key);
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        const result: unknown = Reflect.apply(member, object, args);
        if (!(result instanceof Promise)) return result;
        return result.then(async (value: unknown) => {
          await pause();
          return value;
        });
      };
    },
  });
}
