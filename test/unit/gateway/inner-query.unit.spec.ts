import { buildSchema, parse, validate } from 'graphql';
import { buildInnerQuery, readSubscriptionRequest } from '../../../gateway/src/subscriptions/inner-query';

const schema = buildSchema(`
  type Camera { id: ID! name: String! site: String stats(from: String): Stats! }
  type Stats { total: Int! }
  type Event { id: ID! type: String! camera: Camera! }
  input EventFilter { types: [String!] }
  type Query { event(id: ID!, minPosition: String): Event }
  type Subscription { eventRecorded(filter: EventFilter): Event! }
`);

const request = (query: string, variables: Record<string, unknown> = {}) => readSubscriptionRequest(schema, parse(query), undefined, variables);
const target = { field: 'event', arguments: { id: 'ID!', minPosition: 'String' } };

describe('the query that resolves a subscription payload', () => {
  it('keeps the client alias, its fragments and only the variables the selection uses', () => {
    const req = request(
      `subscription S($f: EventFilter, $from: String, $unused: Int) {
         live: eventRecorded(filter: $f) { id ...Cam cam2: camera { stats(from: $from) { total } } }
       }
       fragment Cam on Event { camera { name } }
       fragment Unrelated on Camera { id }`,
      { f: { types: ['motion'] }, from: '2026-01-01', unused: 3 },
    );
    expect(req.responseKey).toBe('live');
    expect(req.arguments).toEqual({ filter: { types: ['motion'] } });
    const inner = buildInnerQuery(req, target);
    expect(validate(schema, parse(inner.text))).toEqual([]);
    expect(inner.text).toContain('live: event(id: $sightlineId, minPosition: $sightlineMinPosition)');
    expect(inner.text).toContain('fragment Cam on Event');
    expect(inner.text).not.toContain('Unrelated');
    expect(inner.variables).toEqual({ from: '2026-01-01' });
  });

  it('gives the same key to the same selection, and a different key to different variables', () => {
    const a = buildInnerQuery(request('subscription { eventRecorded { id camera { name } } }'), target);
    const b = buildInnerQuery(request('subscription { eventRecorded(filter: { types: ["x"] }) { id camera { name } } }'), target);
    expect(a.key).toBe(b.key);
    const q = 'subscription($from: String) { eventRecorded { camera { stats(from: $from) { total } } } }';
    expect(buildInnerQuery(request(q, { from: 'a' }), target).key).not.toBe(buildInnerQuery(request(q, { from: 'b' }), target).key);
  });

  it('adds an extra selection that stays valid', () => {
    const inner = buildInnerQuery(request('subscription { eventRecorded { id } }'), target, 'probe: camera { site }');
    expect(validate(schema, parse(inner.text))).toEqual([]);
  });

  it('refuses a subscription whose variables do not coerce', () => {
    expect(request('subscription($f: EventFilter) { eventRecorded(filter: $f) { id } }', { f: { types: 'motion' } }).arguments).toEqual({
      filter: { types: ['motion'] },
    });
    expect(() => request('subscription($f: EventFilter) { eventRecorded(filter: $f) { id } }', { f: { nope: 1 } })).toThrow(/nope/);
  });
});
