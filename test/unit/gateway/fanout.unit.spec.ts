import { buildSchema, parse, type FormattedExecutionResult } from 'graphql';
import { EventRecordedSubscriptions } from '../../../gateway/src/subscriptions/event-recorded';
import type { GatewayExecutor } from '../../../gateway/src/subscriptions/fanout';
import { readSubscriptionRequest } from '../../../gateway/src/subscriptions/inner-query';
import { FakeFeed, noHooks } from './fake-feed';

const schema = buildSchema(`
  type Camera { id: ID! name: String! site: String }
  type Event { id: ID! type: String! camera: Camera! }
  enum Severity { INFO LOW MEDIUM HIGH CRITICAL }
  input EventFilter { cameraIds: [ID!] sites: [String!] types: [String!] severities: [Severity!] text: String }
  type Query { event(id: ID!, minPosition: String): Event }
  type Subscription { eventRecorded(filter: EventFilter): Event! }
`);
const identity = { subject: 'viewer-1', role: 'viewer' as const };

const envelope = (eventId: string, position: number, data: Record<string, unknown> = {}) => ({
  routingKey: 'event.EventRecorded',
  body: {
    type: 'EventRecorded',
    position: String(position),
    metadata: { correlationId: `c-${eventId}` },
    data: { eventId, cameraId: 'cam-1', type: 'motion', severity: 'HIGH', occurredAt: '2026-11-25T10:00:00Z', source: 'graphql', attributes: null, ...data },
  },
});

/** An executor that answers like the gateway would, after a delay chosen per event. */
function fakeGateway(delayOf: (id: string) => number = () => 0) {
  const calls: Array<{ query: string; variables: Record<string, unknown> }> = [];
  const executor: GatewayExecutor = async (query, variables) => {
    calls.push({ query, variables });
    const id = String(variables.sightlineId);
    await new Promise((resolve) => setTimeout(resolve, delayOf(id)));
    const key = /\n {2}(\w+): event\(/.exec(query)?.[1] ?? 'eventRecorded';
    return { data: { [key]: { id, type: 'motion', camera: { name: 'Gate', site: id.endsWith('b') ? 'north' : 'south' }, sightlineSiteProbe: { site: id.endsWith('b') ? 'north' : 'south' } } } };
  };
  return { executor, calls };
}

const subscribe = (hub: EventRecordedSubscriptions, query: string, variables: Record<string, unknown> = {}) =>
  hub.subscribe(readSubscriptionRequest(schema, parse(query), undefined, variables), { identity, correlationId: 'c' });

const drain = async (iterator: AsyncIterableIterator<FormattedExecutionResult>, count: number) => {
  const out: FormattedExecutionResult[] = [];
  for (let i = 0; i < count; i++) out.push((await iterator.next()).value as FormattedExecutionResult);
  return out;
};

describe('eventRecorded fan-out', () => {
  it('runs one payload query per event for 1,000 subscribers with the same selection', async () => {
    const { executor, calls } = fakeGateway();
    const feed = new FakeFeed();
    const hub = new EventRecordedSubscriptions(executor, feed, noHooks, 100);
    const iterators = await Promise.all(Array.from({ length: 1000 }, () => subscribe(hub, 'subscription { eventRecorded { id camera { name } } }')));
    await hub.handle(envelope('e1', 7));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.variables).toMatchObject({ sightlineId: 'e1', sightlineMinPosition: '7' });
    for (const iterator of iterators) expect((await iterator.next()).value).toEqual({ data: { eventRecorded: { id: 'e1', type: 'motion', camera: { name: 'Gate', site: 'south' }, sightlineSiteProbe: { site: 'south' } } } });
  });

  it('delivers in envelope order even when later payloads resolve first', async () => {
    const { executor } = fakeGateway((id) => (id === 'e1' ? 50 : 0));
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100);
    const iterator = await subscribe(hub, 'subscription { eventRecorded { id } }');
    await Promise.all([hub.handle(envelope('e1', 1)), hub.handle(envelope('e2', 2)), hub.handle(envelope('e3', 3))]);
    const ids = (await drain(iterator, 3)).map((r) => (r.data?.eventRecorded as { id: string }).id);
    expect(ids).toEqual(['e1', 'e2', 'e3']);
  });

  it('applies filters on the server, sites on the resolved camera, and strips the probe', async () => {
    const { executor, calls } = fakeGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100);
    const high = await subscribe(hub, 'subscription { eventRecorded(filter: { severities: [HIGH], types: ["motion"] }) { id } }');
    const low = await subscribe(hub, 'subscription { eventRecorded(filter: { severities: [LOW] }) { id } }');
    const north = await subscribe(hub, 'subscription { eventRecorded(filter: { sites: ["north"] }) { id } }');
    await hub.handle(envelope('e1a', 1));
    await hub.handle(envelope('e2b', 2));
    await hub.handle(envelope('e3', 3, { severity: 'LOW' }));
    expect((await drain(high, 2)).map((r) => (r.data?.eventRecorded as { id: string }).id)).toEqual(['e1a', 'e2b']);
    expect((await drain(low, 1)).map((r) => (r.data?.eventRecorded as { id: string }).id)).toEqual(['e3']);
    expect((await drain(north, 1))[0]).toEqual({ data: { eventRecorded: { id: 'e2b', type: 'motion', camera: { name: 'Gate', site: 'north' } } } });
    // Two selections (with and without the site probe) per event, never one per subscriber.
    expect(calls.length).toBeLessThanOrEqual(6);
  });

  it('binds the feed for the first subscriber and unbinds after the last leaves; a slow one stays bounded', async () => {
    const { executor } = fakeGateway();
    const feed = new FakeFeed();
    const opened: number[] = [];
    const hub = new EventRecordedSubscriptions(executor, feed, { onOpen: (_f, d) => opened.push(d), onPush: () => undefined }, 10);
    const slow = await subscribe(hub, 'subscription { eventRecorded { id } }');
    const other = await subscribe(hub, 'subscription { eventRecorded { type } }');
    expect(feed.holds.events).toBe(1);
    for (let i = 1; i <= 200; i++) await hub.handle(envelope(`e${i}`, i));
    expect((await slow.next()).value).toMatchObject({ data: { eventRecorded: { id: 'e191' } } });
    await slow.return?.();
    expect(feed.holds.events).toBe(1);
    await other.return?.();
    expect(feed.holds.events).toBe(0);
    expect(opened).toEqual([1, 1, -1, -1]);
  });

  it('passes payload errors (e.g. STALE_READ) to the subscriber instead of hiding them', async () => {
    const executor: GatewayExecutor = async () => ({ data: { eventRecorded: null }, errors: [{ message: 'stale', extensions: { code: 'STALE_READ' } }] });
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 10);
    const iterator = await subscribe(hub, 'subscription { eventRecorded { id } }');
    await hub.handle(envelope('e1', 1));
    expect((await iterator.next()).value).toEqual({ data: null, errors: [{ message: 'stale', extensions: { code: 'STALE_READ' } }] });
  });
});
