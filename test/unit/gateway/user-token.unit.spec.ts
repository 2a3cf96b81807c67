import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import type { Config } from '../../../lib/config/config';
import { createTokenVerifier } from './identity-verifier';

const SECRET = 'unit-test-jwt-secret-long-enough-for-hs256';

const rsaKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A local identity provider's JWKS endpoint whose key set a test changes, counting its reads. */
async function jwksServer(): Promise<{
  url: string;
  reads: () => number;
  publish: (keys: Array<{ kid: string; key: KeyObject }>) => void;
  close: () => Promise<void>;
}> {
  let body = JSON.stringify({ keys: [] });
  let reads = 0;
  const server = http.createServer((_req, res) => {
    reads += 1;
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    reads: () => reads,
    publish: (keys) => {
      body = JSON.stringify({ keys: keys.map(({ kid, key }) => ({ ...key.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' })) });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('user tokens', () => {
  const auth = { jwtSecret: SECRET } as Config['auth'];

  it('refuses a token without exp', async () => {
    const verify = createTokenVerifier(auth);
    const forever = jwt.sign({ roles: ['admin'] }, SECRET, { algorithm: 'HS256', subject: 'eternal' });
    await expect(verify(`Bearer ${forever}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/exp/) as unknown });
    const expiring = jwt.sign({ roles: ['admin'] }, SECRET, { algorithm: 'HS256', subject: 'mortal', expiresIn: 60 });
    await expect(verify(`Bearer ${expiring}`)).resolves.toEqual({ subject: 'mortal', role: 'admin' });
  });

  it('checks the issuer and the audience when they are configured', async () => {
    const verify = createTokenVerifier({ ...auth, jwtIssuer: 'https://issuer.test/', jwtAudience: 'sightline' });
    const sign = (options: jwt.SignOptions) => jwt.sign({ roles: ['viewer'] }, SECRET, { algorithm: 'HS256', subject: 's', expiresIn: 60, ...options });
    await expect(verify(sign({ issuer: 'https://issuer.test/', audience: 'sightline' }))).resolves.toEqual({ subject: 's', role: 'viewer' });
    await expect(verify(sign({ issuer: 'https://other.test/', audience: 'sightline' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(sign({ issuer: 'https://issuer.test/', audience: 'other' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify(sign({ audience: 'sightline' }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  describe('against a JWKS', () => {
    const real = rsaKey();
    const attacker = rsaKey();
    let idp: Awaited<ReturnType<typeof jwksServer>>;
    beforeEach(async () => {
      idp = await jwksServer();
      idp.publish([{ kid: 'real-1', key: real.publicKey }]);
    });
    afterEach(() => idp.close());

    const sign = (key: KeyObject, kid: string, subject = 'alice') =>
      jwt.sign({ roles: ['viewer'] }, key, { algorithm: 'RS256', keyid: kid, subject, expiresIn: 600 });

    it('keeps verifying real users while a flood of unknown kids costs one read of the key set', async () => {
      const verify = createTokenVerifier({ jwtSecret: '', jwksUrl: idp.url } as Config['auth']);
      // Made-up kids first, before any real user was seen, many at once and then one after another.
      const flood = Array.from({ length: 40 }, () => verify(sign(attacker.privateKey, randomUUID(), 'mallory')).catch((error: unknown) => error));
      for (const error of await Promise.all(flood)) expect(error).toMatchObject({ code: 'UNAUTHENTICATED' });
      for (let i = 0; i < 20; i++) await expect(verify(sign(attacker.privateKey, randomUUID(), 'mallory'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(idp.reads()).toBe(1);
      // A real user's first token: its kid was in the set that one read brought.
      await expect(verify(sign(real.privateKey, 'real-1', 'alice'))).resolves.toEqual({ subject: 'alice', role: 'viewer' });
      await expect(verify(sign(real.privateKey, 'real-1', 'bob'))).resolves.toEqual({ subject: 'bob', role: 'viewer' });
      // A known kid with another key's signature is still refused.
      await expect(verify(sign(attacker.privateKey, 'real-1', 'mallory'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(idp.reads()).toBe(1);
    });

    it('reads the set again for an unknown kid at most once per interval: a rotated-in key works after it', async () => {
      let now = 1_000_000;
      const verify = createTokenVerifier({ jwtSecret: '', jwksUrl: idp.url } as Config['auth'], {}, { now: () => now, minRefetchMs: 30_000 });
      await expect(verify(sign(real.privateKey, 'real-1'))).resolves.toMatchObject({ subject: 'alice' });
      const next = rsaKey();
      idp.publish([
        { kid: 'real-1', key: real.publicKey },
        { kid: 'real-2', key: next.publicKey },
      ]);
      now += 1_000;
      await expect(verify(sign(next.privateKey, 'real-2', 'carol'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      for (let i = 0; i < 10; i++) await expect(verify(sign(attacker.privateKey, randomUUID(), 'mallory'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(idp.reads()).toBe(1);
      now += 30_000;
      await expect(verify(sign(next.privateKey, 'real-2', 'carol'))).resolves.toEqual({ subject: 'carol', role: 'viewer' });
      expect(idp.reads()).toBe(2);
      await expect(verify(sign(real.privateKey, 'real-1', 'dave'))).resolves.toMatchObject({ subject: 'dave' });
      expect(idp.reads()).toBe(2);
    });

    it('keeps the known keys when the identity provider cannot be read', async () => {
      let now = 1_000_000;
      const verify = createTokenVerifier({ jwtSecret: '', jwksUrl: idp.url } as Config['auth'], {}, { now: () => now, minRefetchMs: 1_000, maxAgeMs: 5_000 });
      await expect(verify(sign(real.privateKey, 'real-1'))).resolves.toMatchObject({ subject: 'alice' });
      await idp.close();
      now += 60_000;
      await expect(verify(sign(real.privateKey, 'real-1', 'erin'))).resolves.toMatchObject({ subject: 'erin' });
      idp = await jwksServer();
    });
  });
});
