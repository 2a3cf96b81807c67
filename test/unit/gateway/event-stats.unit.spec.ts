import { buildSchema, parse, type FormattedExecutionResult } from 'graphql';
import { EventStatsSubscriptions } from '../../../gateway/src/subscriptions/event-stats';
import type { GatewayExecutor } from '../../../gateway/src/context/gateway-executor';
import { readSubscriptionRequest } from '../../../gateway/src/subscriptions/inner-query';
import { FakeFeed, noHooks } from './fake-feed';

const schema = buildSchema(`
  enum Interval { MINUTE HOUR DAY }
  input EventFilter { types: [String!] }
  type EventStats { total: Int! position: String! }
  type Query { eventStats(filter: EventFilter, interval: Interval!, minPosition: String): EventStats! }
  type Subscription { eventStatsUpdated(filter: EventFilter, interval: Interval!): EventStats! }
`);
const context = { identity: { subject: 'v', role: 'viewer' as const }, correlationId: 'c' };
const message = (position: number) => ({ routingKey: 'event.EventRecorded', body: { type: 'EventRecorded', position: String(position) } });

describe('eventStatsUpdated', () => {
  let now = 0;
  let total = 0;
  let calls: Array<Record<string, unknown>> = [];
  const executor: GatewayExecutor = async (_query, variables) => {
    calls.push(variables);
    return { data: { eventStatsUpdated: { total, position: String(variables.sightlineMinPosition ?? '0') } } };
  };
  let hub: EventStatsSubscriptions;
  beforeEach(() => {
    now = 10000;
    total = 0;
    calls = [];
    hub = new EventStatsSubscriptions(executor, new FakeFeed(), noHooks, 10, () => now);
  });
  const afterTest: Array<() => void> = [];
  afterEach(() => {
    hub.close();
    for (const close of afterTest.splice(0)) close();
  });

  const subscribe = (query: string) => hub.subscribe(readSubscriptionRequest(schema, parse(query), undefined, {}), context);
  const pending = (iterator: AsyncIterableIterator<FormattedExecutionResult>) => (iterator as unknown as { pending: number }).pending;

  it('pushes the current answer first, then at most once a second, only after events and only on change', async () => {
    const a = await subscribe('subscription { eventStatsUpdated(interval: HOUR) { total } }');
    const b = await subscribe('subscription { eventStatsUpdated(interval: HOUR) { total } }');
    await hub.tick();
    expect(calls).toHaveLength(1);
    expect(pending(a)).toBe(1);
    expect(pending(b)).toBe(1);

    total = 1;
    await hub.handle(message(5));
    now += 400;
    await hub.tick();
    expect(calls).toHaveLength(1); // within the second: waits
    now += 600;
    await hub.tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ sightlineInterval: 'HOUR', sightlineMinPosition: '5' });
    expect(pending(a)).toBe(2);

    now += 5000;
    await hub.tick();
    expect(calls).toHaveLength(2); // nothing new arrived: no query at all

    await hub.handle(message(6));
    now += 1000;
    total = 1;
    await hub.tick();
    expect(calls).toHaveLength(3);
    // position changed, so the answer changed; same total and same position would not push
    expect(pending(a)).toBe(3);
  });

  it('does not push an unchanged answer', async () => {
    const executorSame: GatewayExecutor = async (_q, variables) => {
      calls.push(variables);
      return { data: { eventStatsUpdated: { total: 3 } } };
    };
    const same = new EventStatsSubscriptions(executorSame, new FakeFeed(), noHooks, 10, () => now);
    const a = await same.subscribe(
      readSubscriptionRequest(schema, parse('subscription { eventStatsUpdated(interval: DAY) { total } }'), undefined, {}),
      context,
    );
    await same.tick();
    await same.handle(message(1));
    now += 1000;
    await same.tick();
    expect(calls).toHaveLength(2);
    expect(pending(a)).toBe(1);
    same.close();
  });

  it('keeps different filters apart and gives a late subscriber the last answer at once', async () => {
    await subscribe('subscription { eventStatsUpdated(interval: HOUR, filter: { types: ["a"] }) { total } }');
    await subscribe('subscription { eventStatsUpdated(interval: HOUR, filter: { types: ["b"] }) { total } }');
    await hub.tick();
    expect(calls).toHaveLength(2);
    const late = await subscribe('subscription { eventStatsUpdated(interval: HOUR, filter: { types: ["a"] }) { total } }');
    expect(pending(late)).toBe(1);
    await hub.tick();
    expect(calls).toHaveLength(2);
  });

  it('caps the distinct groups: joining one is always possible, one more is refused until one ends', async () => {
    const capped = new EventStatsSubscriptions(executor, new FakeFeed(), noHooks, 10, () => now, 2);
    // Closed however the test ends: an open hub keeps its timer.
    afterTest.push(() => capped.close());
    const subscribeTo = (type: string) =>
      capped.subscribe(
        readSubscriptionRequest(schema, parse(`subscription { eventStatsUpdated(interval: HOUR, filter: { types: ["${type}"] }) { total } }`), undefined, {}),
        context,
      );
    const a = await subscribeTo('a');
    await subscribeTo('b');
    await expect(subscribeTo('c')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', details: { maxGroups: 2 } });
    const alsoA = await subscribeTo('a');
    await capped.tick();
    expect(calls).toHaveLength(2);
    await a.return?.();
    // Group "a" still has its second subscriber.
    await expect(subscribeTo('c')).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
    await alsoA.return?.();
    await expect(subscribeTo('c')).resolves.toBeDefined();
  });
});
