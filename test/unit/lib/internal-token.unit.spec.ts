import jwt from 'jsonwebtoken';
import { signInternalToken, verifyInternalToken } from '../../../lib/auth/internal-token';

const secret = 'a-test-internal-secret-of-some-length';

describe('internal gateway token', () => {
  it('round-trips identity and correlation id', () => {
    const token = signInternalToken(secret, { subject: 'alice', role: 'operator' }, 'corr-1');
    expect(verifyInternalToken(secret, token)).toEqual({ identity: { subject: 'alice', role: 'operator' }, correlationId: 'corr-1' });
  });

  it('refuses a missing, forged or user token', () => {
    expect(() => verifyInternalToken(secret, undefined)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    const forged = signInternalToken('another-secret-entirely-here', { subject: 'eve', role: 'admin' }, 'x');
    expect(() => verifyInternalToken(secret, forged)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    const userToken = jwt.sign({ roles: ['admin'] }, secret, { subject: 'eve' });
    expect(() => verifyInternalToken(secret, userToken)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  describe('verified tokens are remembered until they expire', () => {
    afterEach(() => jest.restoreAllMocks());

    it('checks the signature of a token once, then answers the same string from memory', () => {
      const token = signInternalToken(secret, { subject: 'carol', role: 'viewer' }, 'corr-2');
      const verify = jest.spyOn(jwt, 'verify');
      for (let i = 0; i < 3; i += 1) expect(verifyInternalToken(secret, token).identity).toEqual({ subject: 'carol', role: 'viewer' });
      expect(verify).toHaveBeenCalledTimes(1);
      // The same token under another secret is a different question.
      expect(() => verifyInternalToken('yet-another-secret-of-some-length', token)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    });

    it('refuses a remembered token once it has expired', () => {
      const token = signInternalToken(secret, { subject: 'dave', role: 'operator' }, 'corr-3');
      expect(verifyInternalToken(secret, token).identity.subject).toBe('dave');
      const { exp } = jwt.decode(token) as { exp: number };
      jest.spyOn(Date, 'now').mockReturnValue(exp * 1000);
      expect(() => verifyInternalToken(secret, token)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    });
  });
});
