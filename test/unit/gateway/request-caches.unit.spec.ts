import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { INTERNAL_HEADER, verifyInternalToken } from '../../../lib/auth/internal-token';
import type { RequestContext } from '../../../lib/auth/identity';
import type { Config } from '../../../lib/config/config';
import { internalHeaderCache } from '../../../gateway/src/auth/internal-header';
import { createTokenVerifier as createVerifier } from '../../../gateway/src/auth/user-token';
import { createTokenVerifier } from './identity-verifier';
import { SignedSubgraphDataSource } from '../../../gateway/src/subgraph-data-source';
import { SessionFloors } from '../../../gateway/src/session-floors';
import { Lru } from '../../../lib/cache/lru';

const SECRET = 'unit-test-jwt-secret-long-enough-for-hs256';
const INTERNAL = 'unit-test-internal-secret-long-enough';
const auth = { jwtSecret: SECRET, internalSecret: INTERNAL } as Config['auth'];
const tokenFor = (sub: string, roles: string[], expiresIn = 3600) => jwt.sign({ roles }, SECRET, { algorithm: 'HS256', subject: sub, expiresIn });

describe('Lru', () => {
  it('forgets the least recently used entry beyond its bound', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.size).toBe(2);
  });
});

describe('user token verification cache', () => {
  it('answers a repeated token from the cache until its expiry, then checks it again', async () => {
    let now = Date.now();
    const verify = createTokenVerifier(auth, { now: () => now });
    const token = tokenFor('alice', ['operator'], 60);
    const first = await verify(`Bearer ${token}`);
    expect(first).toEqual({ subject: 'alice', role: 'operator' });
    // The cache answers with the very identity it stored.
    await expect(verify(token)).resolves.toBe(first);
    now += 61_000;
    // Past exp the cache no longer answers: the full check runs again (and passes here only because
    // jsonwebtoken reads the real clock, which has not moved), giving a new identity object.
    const again = await verify(token);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it('never caches a refusal', async () => {
    const verify = createTokenVerifier(auth);
    const forged = jwt.sign({ roles: ['admin'] }, 'another-secret-entirely-of-some-length', { algorithm: 'HS256', subject: 'eve', expiresIn: 60 });
    await expect(verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const expired = tokenFor('bob', ['viewer'], -10);
    await expect(verify(expired)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(tokenFor('carol', ['nobody']))).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('says when the token expires (its exp), answered from the cache too', async () => {
    const verify = createVerifier(auth);
    const token = tokenFor('dora', ['viewer'], 120);
    const { exp } = jwt.decode(token) as jwt.JwtPayload;
    const first = await verify(token);
    expect(first).toEqual({ identity: { subject: 'dora', role: 'viewer' }, expiresAt: (exp as number) * 1000 });
    await expect(verify(`Bearer ${token}`)).resolves.toBe(first);
  });

  it('keeps distinct tokens apart', async () => {
    const verify = createTokenVerifier(auth);
    await expect(verify(tokenFor('a', ['viewer']))).resolves.toEqual({ subject: 'a', role: 'viewer' });
    await expect(verify(tokenFor('b', ['admin']))).resolves.toEqual({ subject: 'b', role: 'admin' });
  });
});

describe('internal header cache', () => {
  it('signs once per identity for half the token lifetime, and subgraphs verify it', () => {
    let now = 0;
    const header = internalHeaderCache(INTERNAL, { now: () => now });
    const alice = { subject: 'alice', role: 'operator' } as const;
    const first = header(alice);
    expect(header(alice)).toBe(first);
    expect(header({ subject: 'alice', role: 'admin' })).not.toBe(first);
    expect(verifyInternalToken(INTERNAL, first).identity).toEqual(alice);
    now += 31_000;
    // jwt's own clock decides iat/exp; what matters is that a new token was asked for.
    const later = header(alice);
    expect(verifyInternalToken(INTERNAL, later).identity).toEqual(alice);
  });
});

describe('subgraph calls', () => {
  let server: http.Server;
  let url: string;
  const seen: Array<{ body: string; internal: string | undefined; correlation: string | undefined }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ body, internal: req.headers[INTERNAL_HEADER] as string | undefined, correlation: req.headers['x-correlation-id'] as string | undefined });
        setTimeout(
          () => {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify({ data: { n: seen.length } }));
          },
          body.includes('slow') ? 300 : 100,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
  });

  const context = (subject: string, receivedAt: number): RequestContext & { receivedAt: number } => ({
    identity: { subject, role: 'viewer' },
    correlationId: `c-${subject}-${receivedAt}`,
    receivedAt,
  });
  const call = (source: SignedSubgraphDataSource, query: string, ctx: RequestContext) =>
    // The gateway's own request shape; only what this data source reads is filled in.
    source.process({ kind: 'incoming operation', request: { query, variables: {} }, context: ctx } as never);

  it('sends the identity in a header subgraphs verify, and the correlation id in its own header', async () => {
    const source = new SignedSubgraphDataSource(url, INTERNAL, 'test');
    await expect(call(source, 'query A { a }', context('alice', performance.now()))).resolves.toEqual({ data: { n: 1 } });
    expect(verifyInternalToken(INTERNAL, seen[0]?.internal).identity).toEqual({ subject: 'alice', role: 'viewer' });
    expect(seen[0]?.correlation).toMatch(/^c-alice-/);
  });

  it('shares an identical query in flight for the same identity when it left after the request arrived', async () => {
    const source = new SignedSubgraphDataSource(url, INTERNAL, 'test');
    const arrived = performance.now();
    const [a, b] = await Promise.all([call(source, 'query A { a }', context('alice', arrived)), call(source, 'query A { a }', context('alice', arrived))]);
    expect(seen).toHaveLength(1);
    expect(a).toEqual(b);
    // Each caller has its own copy.
    expect(a).not.toBe(b);
  });

  it('does not share across identities, with mutations, or with a call that left before the request arrived', async () => {
    const source = new SignedSubgraphDataSource(url, INTERNAL, 'test');
    const early = call(source, 'query A { a }', context('alice', performance.now()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.all([
      early,
      call(source, 'query A { a }', context('alice', performance.now())),
      call(source, 'query A { a }', context('bob', performance.now())),
      call(source, 'mutation M { m }', context('alice', performance.now())),
      call(source, 'mutation M { m }', context('alice', performance.now())),
    ]);
    expect(seen).toHaveLength(5);
  });

  describe('with session scope (the query subgraph)', () => {
    const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it('shares a call that left before the request arrived, within one identity only', async () => {
      const source = new SignedSubgraphDataSource(url, INTERNAL, 'test', { shareScope: 'session' });
      const early = call(source, 'query A { a }', context('alice', performance.now()));
      await later(20);
      await Promise.all([
        early,
        call(source, 'query A { a }', context('alice', performance.now())),
        call(source, 'query A { a }', context('bob', performance.now())),
      ]);
      expect(seen).toHaveLength(2);
    });

    it("does not share a call that left before the identity's last mutation was answered", async () => {
      const sessions = new SessionFloors();
      const reads = new SignedSubgraphDataSource(url, INTERNAL, 'query', { shareScope: 'session', sessions });
      const writes = new SignedSubgraphDataSource(url, INTERNAL, 'command', { sessions });
      const early = call(reads, 'query S { slow }', context('alice', performance.now()));
      await call(writes, 'mutation M { m }', context('alice', performance.now()));
      await Promise.all([early, call(reads, 'query S { slow }', context('alice', performance.now()))]);
      expect(seen).toHaveLength(3);
    });

    it("does not share a call older than the one behind the identity's last answer", async () => {
      const source = new SignedSubgraphDataSource(url, INTERNAL, 'query', { shareScope: 'session' });
      const early = call(source, 'query S { slow }', context('alice', performance.now()));
      await later(20);
      // Answered from a call that left after `early`'s: a later read must not go back before it.
      await call(source, 'query B { b }', context('alice', performance.now()));
      await Promise.all([early, call(source, 'query S { slow }', context('alice', performance.now()))]);
      expect(seen).toHaveLength(3);
    });
  });

  it('reports a subgraph that does not answer as UNAVAILABLE', async () => {
    const source = new SignedSubgraphDataSource('http://127.0.0.1:1/graphql', INTERNAL, 'media');
    await expect(call(source, '{ a }', context('alice', performance.now()))).rejects.toMatchObject({ extensions: { code: 'UNAVAILABLE' } });
  });
});
