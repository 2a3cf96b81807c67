import { SubscriptionCaps } from '../../../gateway/src/protection/subscription-caps';

describe('subscription caps', () => {
  it('admits up to the cap per connection, then refuses that connection only', () => {
    const caps = new SubscriptionCaps({ perConnection: 2, perIdentity: 10 });
    const a = caps.connection('alice');
    const b = caps.connection('alice');
    const [t1, t2, t3] = [{}, {}, {}];
    expect(a.admit(t1)).toBeUndefined();
    expect(a.admit(t2)).toBeUndefined();
    expect(a.admit(t3)).toEqual({ scope: 'connection', max: 2 });
    expect(b.admit({})).toBeUndefined();
    expect(caps.countOf('alice')).toBe(3);
    a.release(t1);
    expect(a.admit(t3)).toBeUndefined();
  });

  it('caps an identity across its connections, not other identities', () => {
    const caps = new SubscriptionCaps({ perConnection: 3, perIdentity: 4 });
    const first = caps.connection('alice');
    const second = caps.connection('alice');
    for (let i = 0; i < 3; i++) expect(first.admit({})).toBeUndefined();
    expect(second.admit({})).toBeUndefined();
    expect(second.admit({})).toEqual({ scope: 'identity', max: 4 });
    expect(caps.connection('bob').admit({})).toBeUndefined();
    // A closed connection gives back every place it held.
    first.releaseAll();
    expect(caps.countOf('alice')).toBe(1);
    expect(second.admit({})).toBeUndefined();
  });

  it('frees a place once per subscription, however often it is released', () => {
    const caps = new SubscriptionCaps({ perConnection: 5, perIdentity: 5 });
    const connection = caps.connection('alice');
    const token = {};
    connection.admit(token);
    connection.admit(token);
    expect(caps.countOf('alice')).toBe(1);
    connection.release(token);
    connection.release(token);
    connection.release({});
    connection.releaseAll();
    expect(caps.countOf('alice')).toBe(0);
    // A subscription re-using an operation id is another subscribe message, hence another token:
    // finishing the old one does not free the new one's place.
    const old = {};
    const reused = {};
    connection.admit(old);
    connection.admit(reused);
    connection.release(old);
    expect(connection.size).toBe(1);
    expect(caps.countOf('alice')).toBe(1);
  });
});
