import { buildSchema, parse, type FormattedExecutionResult } from 'graphql';
import { MessageType, stringifyMessage } from 'graphql-ws';
import type { WebSocket } from 'ws';
import { EventRecordedSubscriptions } from '../../../gateway/src/subscriptions/event-recorded';
import type { GatewayExecutor } from '../../../gateway/src/context/gateway-executor';
import { SOCKET_BUFFER_MAX_BYTES } from '../../../gateway/src/subscriptions/frame-writer';
import { readSubscriptionRequest } from '../../../gateway/src/subscriptions/inner-query';
import { FakeFeed, noHooks } from './fake-feed';

const schema = buildSchema(`
  type Camera { id: ID! name: String! site: String }
  type Event { id: ID! type: String! status: String camera: Camera! }
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
    recordedAt: '2026-11-25T10:00:01Z',
    metadata: { correlationId: `c-${eventId}` },
    data: { eventId, cameraId: 'cam-1', type: 'motion', severity: 'HIGH', occurredAt: '2026-11-25T10:00:00Z', source: 'graphql', attributes: null, ...data },
  },
});

/** An executor that answers (batched) payload queries like the gateway would, after a delay chosen per event. */
function fakeGateway(delayOf: (id: string) => number = () => 0) {
  const calls: Array<{ query: string; variables: Record<string, unknown> }> = [];
  const executor: GatewayExecutor = async (query, variables) => {
    calls.push({ query, variables });
    const fields = [...query.matchAll(/\n {2}(\w+): event\(id: \$(\w+)/g)].map(([, alias, variable]) => ({
      alias: alias as string,
      id: String(variables[variable as string]),
    }));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, ...fields.map((f) => delayOf(f.id)))));
    const entity = (id: string) => ({
      id,
      type: 'motion',
      camera: { name: 'Gate', site: id.endsWith('b') ? 'north' : 'south' },
      sightlineSiteProbe: { site: id.endsWith('b') ? 'north' : 'south' },
    });
    return { data: Object.fromEntries(fields.map((f) => [f.alias, entity(f.id)])) };
  };
  return { executor, calls };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quick = { windowMs: 1, max: 64 };

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
    const hub = new EventRecordedSubscriptions(executor, feed, noHooks, 100, quick);
    const iterators = await Promise.all(Array.from({ length: 1000 }, () => subscribe(hub, 'subscription { eventRecorded { id status camera { name } } }')));
    await hub.handle(envelope('e1', 7));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.variables).toMatchObject({ sightlineId0: 'e1', sightlineMinPosition: '7' });
    for (const iterator of iterators)
      expect((await iterator.next()).value).toEqual({
        data: { eventRecorded: { id: 'e1', type: 'motion', camera: { name: 'Gate', site: 'south' }, sightlineSiteProbe: { site: 'south' } } },
      });
  });

  it('resolves the events of a batch in one query per selection, minPosition the highest', async () => {
    const { executor, calls } = fakeGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, { windowMs: 20, max: 64 });
    const ids = await subscribe(hub, 'subscription { eventRecorded { id status camera { name } } }');
    const types = await subscribe(hub, 'subscription { eventRecorded { type status camera { name } } }');
    await Promise.all([1, 2, 3, 4, 5].map((i) => hub.handle(envelope(`e${i}`, 10 + i))));
    expect(calls).toHaveLength(2);
    expect(calls[0]?.variables).toMatchObject({ sightlineId0: 'e1', sightlineId4: 'e5', sightlineMinPosition: '15' });
    expect((await drain(ids, 5)).map((r) => (r.data?.eventRecorded as { id: string }).id)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect((await drain(types, 1))[0]).toMatchObject({ data: { eventRecorded: { type: 'motion' } } });
  });

  it('asks again only for the events the read model had not reached', async () => {
    const calls: Array<Record<string, unknown>> = [];
    let first = true;
    const executor: GatewayExecutor = async (_query, variables) => {
      calls.push(variables);
      if (first) {
        first = false;
        return {
          data: { sightlineItem0: { id: 'e1' }, sightlineItem1: null },
          errors: [{ message: 'stale', path: ['sightlineItem1'], extensions: { code: 'STALE_READ' } }],
        };
      }
      return { data: { sightlineItem0: { id: String(variables.sightlineId0) } } };
    };
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, { windowMs: 20, max: 64 });
    const iterator = await subscribe(hub, 'subscription { eventRecorded { id status camera { name } } }');
    await Promise.all([hub.handle(envelope('e1', 1)), hub.handle(envelope('e2', 2))]);
    expect(calls[1]).toMatchObject({ sightlineId0: 'e2' });
    expect(calls[1]).not.toHaveProperty('sightlineId1');
    expect(await drain(iterator, 2)).toEqual([{ data: { eventRecorded: { id: 'e1' } } }, { data: { eventRecorded: { id: 'e2' } } }]);
  });

  it('delivers in envelope order even when later payloads resolve first', async () => {
    const { executor } = fakeGateway((id) => (id === 'e1' ? 50 : 0));
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, quick);
    const iterator = await subscribe(hub, 'subscription { eventRecorded { id } }');
    const early = hub.handle(envelope('e1', 1));
    await sleep(10);
    await Promise.all([early, hub.handle(envelope('e2', 2)), hub.handle(envelope('e3', 3))]);
    const ids = (await drain(iterator, 3)).map((r) => (r.data?.eventRecorded as { id: string }).id);
    expect(ids).toEqual(['e1', 'e2', 'e3']);
  });

  it('applies filters on the server, sites on the resolved camera, and strips the probe', async () => {
    const { executor, calls } = fakeGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, quick);
    const high = await subscribe(hub, 'subscription { eventRecorded(filter: { severities: [HIGH], types: ["motion"] }) { id } }');
    const low = await subscribe(hub, 'subscription { eventRecorded(filter: { severities: [LOW] }) { id } }');
    const north = await subscribe(hub, 'subscription { eventRecorded(filter: { sites: ["north"] }) { id } }');
    await hub.handle(envelope('e1a', 1));
    await hub.handle(envelope('e2b', 2));
    await hub.handle(envelope('e3', 3, { severity: 'LOW' }));
    expect((await drain(high, 2)).map((r) => (r.data?.eventRecorded as { id: string }).id)).toEqual(['e1a', 'e2b']);
    expect((await drain(low, 1)).map((r) => (r.data?.eventRecorded as { id: string }).id)).toEqual(['e3']);
    expect((await drain(north, 1))[0]).toEqual({ data: { eventRecorded: { id: 'e2b', type: 'motion', camera: { name: 'Gate', site: 'north' } } } });
    // Two selections (with and without the site probe) per batch, never one per subscriber.
    expect(calls.length).toBeLessThanOrEqual(6);
  });

  it('binds the feed for the first subscriber and unbinds after the last leaves; a slow one stays bounded', async () => {
    const { executor } = fakeGateway();
    const feed = new FakeFeed();
    const opened: number[] = [];
    const hub = new EventRecordedSubscriptions(executor, feed, { onOpen: (_f, d) => opened.push(d), onPush: () => undefined }, 10, quick);
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

  it("sends the next batch's query while an earlier batch still waits to be delivered", async () => {
    // e1's query answers late; e2's answers at once but is delivered after e1 (message order).
    const { executor, calls } = fakeGateway((id) => (id === 'e1' ? 60 : 0));
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, { windowMs: 1, max: 1, maxInFlight: 2 });
    const iterator = await subscribe(hub, 'subscription { eventRecorded { id status camera { name } } }');
    const handled = [hub.handle(envelope('e1', 1))];
    await sleep(5);
    handled.push(hub.handle(envelope('e2', 2)));
    await sleep(5);
    handled.push(hub.handle(envelope('e3', 3)));
    await sleep(5);
    // e2 answered, so its slot went to e3 although e2 is not delivered yet (e1 is still resolving).
    expect(calls.map((c) => c.variables.sightlineId0)).toEqual(['e1', 'e2', 'e3']);
    await Promise.all(handled);
    expect((await drain(iterator, 3)).map((r) => (r.data?.eventRecorded as { id: string }).id)).toEqual(['e1', 'e2', 'e3']);
  });

  it('passes payload errors (e.g. STALE_READ) to the subscriber instead of hiding them', async () => {
    const executor: GatewayExecutor = async () => ({ data: { eventRecorded: null }, errors: [{ message: 'stale', extensions: { code: 'STALE_READ' } }] });
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 10, quick);
    const iterator = await subscribe(hub, 'subscription { eventRecorded { id camera { name } } }');
    await hub.handle(envelope('e1', 1));
    expect((await iterator.next()).value).toEqual({ data: null, errors: [{ message: 'stale', extensions: { code: 'STALE_READ' } }] });
  });
});

describe('eventRecorded answered from the envelope', () => {
  it('answers a selection of immutable fields at once, with no query, as the query subgraph would', async () => {
    const { executor, calls } = fakeGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, quick);
    const iterator = await subscribe(hub, 'subscription { e: eventRecorded { __typename id kind: type severity occurredAt recordedAt source attributes } }');
    const handled = hub.handle(envelope('e1', 5, { attributes: { zone: 2 } }));
    // Queued before the batch window even closes.
    expect((await iterator.next()).value).toEqual({
      data: {
        e: {
          __typename: 'Event',
          id: 'e1',
          kind: 'motion',
          severity: 'HIGH',
          occurredAt: '2026-11-25T10:00:00.000Z',
          recordedAt: '2026-11-25T10:00:01.000Z',
          source: 'graphql',
          attributes: { zone: 2 },
        },
      },
    });
    await handled;
    expect(calls).toHaveLength(0);
  });

  it('queries for anything that can change after the event was recorded', async () => {
    const { executor, calls } = fakeGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, quick);
    await subscribe(hub, 'subscription { eventRecorded { id status camera { name } } }');
    await hub.handle(envelope('e1', 1));
    expect(calls).toHaveLength(1);
  });
});

describe('eventRecorded of immutable fields and the camera', () => {
  /** Answers batched `camera(id: …)` and `event(id: …)` items; `missing` cameras answer null. */
  const cameraGateway = (missing: string[] = []) => {
    const calls: Array<{ query: string; variables: Record<string, unknown> }> = [];
    const executor: GatewayExecutor = async (query, variables) => {
      calls.push({ query, variables });
      const data: Record<string, unknown> = {};
      for (const [, alias, field, variable] of query.matchAll(/\n {2}(\w+): (camera|event)\(id: \$(\w+)/g)) {
        const id = String(variables[variable as string]);
        if (field === 'camera') data[alias as string] = missing.includes(id) ? null : { name: `Cam ${id}` };
        else data[alias as string] = { id, kind: 'from-query', cam: { name: 'placeholder' }, severity: 'HIGH' };
      }
      return { data };
    };
    return { executor, calls };
  };

  it('reads each camera of a batch once and takes the other fields from the envelope', async () => {
    const { executor, calls } = cameraGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, { windowMs: 20, max: 64 });
    const iterator = await subscribe(hub, 'subscription { eventRecorded { id kind: type cam: camera { name } severity } }');
    await Promise.all([
      hub.handle(envelope('e1', 5, { cameraId: 'cam-1' })),
      hub.handle(envelope('e2', 6, { cameraId: 'cam-2' })),
      hub.handle(envelope('e3', 7, { cameraId: 'cam-1' })),
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.query).toContain('sightlineItem0: camera(id: $sightlineId0, minPosition: $sightlineMinPosition)');
    expect(calls[0]?.query).not.toContain('event(');
    expect(calls[0]?.query).toMatch(/^query Sightline_eventRecorded_batch\(/);
    expect(calls[0]?.variables).toEqual({ sightlineMinPosition: '7', sightlineId0: 'cam-1', sightlineId1: 'cam-2' });
    // Field for field and in the client's order, as event(id) { … } answers.
    expect((await drain(iterator, 3)).map((r) => JSON.stringify(r))).toEqual([
      '{"data":{"eventRecorded":{"id":"e1","kind":"motion","cam":{"name":"Cam cam-1"},"severity":"HIGH"}}}',
      '{"data":{"eventRecorded":{"id":"e2","kind":"motion","cam":{"name":"Cam cam-2"},"severity":"HIGH"}}}',
      '{"data":{"eventRecorded":{"id":"e3","kind":"motion","cam":{"name":"Cam cam-1"},"severity":"HIGH"}}}',
    ]);
  });

  it('resolves by the full event query the items whose camera the read model does not hold', async () => {
    const { executor, calls } = cameraGateway(['cam-2']);
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, { windowMs: 20, max: 64 });
    const iterator = await subscribe(hub, 'subscription { eventRecorded { id kind: type cam: camera { name } severity } }');
    await Promise.all([hub.handle(envelope('e1', 5, { cameraId: 'cam-1' })), hub.handle(envelope('e2', 6, { cameraId: 'cam-2' }))]);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.query).toContain('sightlineItem0: event(id: $sightlineId0, minPosition: $sightlineMinPosition)');
    expect(calls[1]?.variables).toEqual({ sightlineMinPosition: '6', sightlineId0: 'e2' });
    expect(await drain(iterator, 2)).toEqual([
      { data: { eventRecorded: { id: 'e1', kind: 'motion', cam: { name: 'Cam cam-1' }, severity: 'HIGH' } } },
      { data: { eventRecorded: { id: 'e2', kind: 'from-query', cam: { name: 'placeholder' }, severity: 'HIGH' } } },
    ]);
  });

  it('keeps a camera read for the next batches until an event of that camera comes', async () => {
    const { executor, calls } = cameraGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, quick);
    const iterator = await subscribe(hub, 'subscription { eventRecorded { id cam: camera { name } } }');
    await hub.handle(envelope('e1', 5, { cameraId: 'cam-1' }));
    await hub.handle(envelope('e2', 6, { cameraId: 'cam-1' }));
    await hub.handle(envelope('e3', 7, { cameraId: 'cam-2' }));
    expect(calls.map((c) => c.variables)).toEqual([
      { sightlineMinPosition: '5', sightlineId0: 'cam-1' },
      { sightlineMinPosition: '7', sightlineId0: 'cam-2' },
    ]);
    await hub.handle({ routingKey: 'camera.CameraUpdated', body: { type: 'CameraUpdated', position: '8', data: { cameraId: 'cam-1', name: 'Renamed' } } });
    await hub.handle(envelope('e4', 9, { cameraId: 'cam-1' }));
    await hub.handle(envelope('e5', 10, { cameraId: 'cam-2' }));
    // cam-1 changed: read again at the new event's position; cam-2 did not.
    expect(calls.map((c) => c.variables).slice(2)).toEqual([{ sightlineMinPosition: '9', sightlineId0: 'cam-1' }]);
    expect((await drain(iterator, 5)).map((r) => (r.data?.eventRecorded as { id: string }).id)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
  });

  it('reads the camera for every batch where the selection has fields that change without camera events', async () => {
    const { executor, calls } = cameraGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, quick);
    await subscribe(hub, 'subscription { eventRecorded { id camera { name stats { total } } } }');
    await hub.handle(envelope('e1', 5, { cameraId: 'cam-1' }));
    await hub.handle(envelope('e2', 6, { cameraId: 'cam-1' }));
    expect(calls).toHaveLength(2);
  });

  it('keeps the full event query for a second camera field, a fragment, a directive or a site filter', async () => {
    const { executor, calls } = cameraGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, quick);
    await subscribe(hub, 'subscription { eventRecorded { id a: camera { name } b: camera { site } } }');
    await subscribe(hub, 'subscription { eventRecorded { id ...C } } fragment C on Event { camera { name } }');
    await subscribe(hub, 'subscription($on: Boolean!) { eventRecorded { id camera @include(if: $on) { name } } }', { on: true });
    await subscribe(hub, 'subscription { eventRecorded(filter: { sites: ["north"] }) { id camera { name } } }');
    await hub.handle(envelope('e1', 1));
    expect(calls.map((c) => /: (camera|event)\(/.exec(c.query)?.[1])).toEqual(['event', 'event', 'event', 'event']);
  });
});

describe('eventRecorded frames written by the gateway', () => {
  /** A ws socket as the frame outbox sees it: through ws.send, or (`direct`) its TCP socket. */
  const fakeSocket = (bufferedAmount = 0, direct = false) => {
    const sent: string[] = [];
    const writes: Buffer[] = [];
    const socket = {
      OPEN: 1,
      readyState: 1,
      bufferedAmount,
      extensions: '',
      send: (data: Buffer | string) => void sent.push(String(data)),
      ...(direct ? { _socket: { destroyed: false, write: (data: Buffer) => void writes.push(data) } } : {}),
    };
    return { socket: socket as unknown as WebSocket, sent, writes };
  };

  /** Reads unmasked text frames back from the bytes written. */
  const framesOf = (buffers: Buffer[]): string[] => {
    const bytes = Buffer.concat(buffers);
    const out: string[] = [];
    for (let at = 0; at < bytes.length;) {
      expect(bytes[at]).toBe(0x81);
      let length = bytes[at + 1] as number;
      let start = at + 2;
      if (length === 126) {
        length = bytes.readUInt16BE(at + 2);
        start = at + 4;
      } else if (length === 127) {
        length = Number(bytes.readBigUInt64BE(at + 2));
        start = at + 10;
      }
      out.push(bytes.subarray(start, start + length).toString('utf8'));
      at = start + length;
    }
    return out;
  };

  it('writes all frames of a round to a connection in one write, as valid WebSocket text frames', async () => {
    const { executor } = fakeGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, { windowMs: 20, max: 64 });
    const conn = fakeSocket(0, true);
    const request = readSubscriptionRequest(schema, parse('subscription { eventRecorded { id type camera { name } } }'), undefined, {});
    await hub.subscribe(request, { identity, correlationId: 'c', channel: { socket: conn.socket, id: 'a' } });
    await hub.subscribe(request, { identity, correlationId: 'c', channel: { socket: conn.socket, id: 'b' } });
    const long = 'x'.repeat(70000);
    await Promise.all([hub.handle(envelope('e1', 1)), hub.handle(envelope(`e2${long}`, 2))]);
    expect(conn.writes).toHaveLength(1);
    const entity = (id: string) => ({ id, type: 'motion', camera: { name: 'Gate', site: 'south' }, sightlineSiteProbe: { site: 'south' } });
    expect(framesOf(conn.writes)).toEqual([
      stringifyMessage({ id: 'a', type: MessageType.Next, payload: { data: { eventRecorded: entity('e1') } } }),
      stringifyMessage({ id: 'b', type: MessageType.Next, payload: { data: { eventRecorded: entity('e1') } } }),
      stringifyMessage({ id: 'a', type: MessageType.Next, payload: { data: { eventRecorded: entity(`e2${long}`) } } }),
      stringifyMessage({ id: 'b', type: MessageType.Next, payload: { data: { eventRecorded: entity(`e2${long}`) } } }),
    ]);
    expect(conn.sent).toHaveLength(0);
  });

  it('writes exactly the graphql-ws next message, the payload serialized once per selection', async () => {
    const { executor } = fakeGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, quick);
    const a = fakeSocket();
    const b = fakeSocket();
    const request = (query: string) => readSubscriptionRequest(schema, parse(query), undefined, {});
    const stringify = jest.spyOn(JSON, 'stringify');
    await hub.subscribe(request('subscription { eventRecorded { id camera { name } } }'), {
      identity,
      correlationId: 'c',
      channel: { socket: a.socket, id: 'op-"1"' },
    });
    await hub.subscribe(request('subscription { eventRecorded { id camera { name } } }'), {
      identity,
      correlationId: 'c',
      channel: { socket: b.socket, id: '2' },
    });
    stringify.mockClear();
    await hub.handle(envelope('e1', 1));
    const payloadSerializations = stringify.mock.calls.filter(([value]) => typeof value === 'object' && value !== null && 'data' in value);
    stringify.mockRestore();
    expect(payloadSerializations).toHaveLength(1);
    const payload = { data: { eventRecorded: { id: 'e1', type: 'motion', camera: { name: 'Gate', site: 'south' }, sightlineSiteProbe: { site: 'south' } } } };
    expect(a.sent).toEqual([stringifyMessage({ id: 'op-"1"', type: MessageType.Next, payload })]);
    expect(b.sent).toEqual([stringifyMessage({ id: '2', type: MessageType.Next, payload })]);
  });

  it('writes a large batch in slices, letting other work run between them, in order', async () => {
    const { executor, calls } = fakeGateway();
    const hub = new EventRecordedSubscriptions(executor, new FakeFeed(), noHooks, 100, { windowMs: 20, max: 64 });
    const conns = Array.from({ length: 50 }, () => fakeSocket(0, true));
    const request = readSubscriptionRequest(schema, parse('subscription { eventRecorded { id status camera { name } } }'), undefined, {});
    for (const [c, conn] of conns.entries())
      for (let i = 0; i < 20; i++) await hub.subscribe(request, { identity, correlationId: 'c', channel: { socket: conn.socket, id: `${c}-${i}` } });
    // 12 events to 1,000 subscribers: 12,000 frames, more than one turn of the event loop may write (10,000).
    const ids = Array.from({ length: 12 }, (_, i) => `e${i + 1}`);
    let writesWhenOtherWorkRan = -1;
    const handled = Promise.all(ids.map((id, i) => hub.handle(envelope(id, i + 1))));
    // Other work, one turn at a time (a timer needs 1 ms to pass, which a fast slice may not take).
    let watching = true;
    const watch = () => {
      const written = conns[0]!.writes.length;
      if (written > 0 && writesWhenOtherWorkRan < 0) writesWhenOtherWorkRan = written;
      if (watching) setImmediate(watch);
    };
    setImmediate(watch);
    await handled;
    watching = false;
    // Other work ran after the first slice was written and before the last.
    expect(writesWhenOtherWorkRan).toBeGreaterThan(0);
    expect(writesWhenOtherWorkRan).toBeLessThan(conns[0]!.writes.length);
    expect(calls).toHaveLength(1);
    const frames = framesOf(conns[0]!.writes).map((frame) => JSON.parse(frame) as { id: string; payload: { data: { eventRecorded: { id: string } } } });
    expect(frames).toHaveLength(12 * 20);
    for (let i = 0; i < 20; i++) expect(frames.filter((f) => f.id === `0-${i}`).map((f) => f.payload.data.eventRecorded.id)).toEqual(ids);
  });

  it('drops frames for a connection with too much waiting, and stops after the subscription ends', async () => {
    const { executor } = fakeGateway();
    const pushes: Array<[number, number]> = [];
    const hub = new EventRecordedSubscriptions(
      executor,
      new FakeFeed(),
      { onOpen: () => undefined, onPush: (_f, pushed, dropped) => void pushes.push([pushed, dropped]) },
      100,
      quick,
    );
    const slow = fakeSocket(SOCKET_BUFFER_MAX_BYTES + 1);
    const fine = fakeSocket();
    const request = readSubscriptionRequest(schema, parse('subscription { eventRecorded { id } }'), undefined, {});
    await hub.subscribe(request, { identity, correlationId: 'c', channel: { socket: slow.socket, id: '1' } });
    const ending = await hub.subscribe(request, { identity, correlationId: 'c', channel: { socket: fine.socket, id: '2' } });
    await hub.handle(envelope('e1', 1));
    expect(slow.sent).toHaveLength(0);
    expect(fine.sent).toHaveLength(1);
    expect(pushes).toEqual([[2, 1]]);
    await ending.return?.();
    await hub.handle(envelope('e2', 2));
    expect(fine.sent).toHaveLength(1);
  });
});
