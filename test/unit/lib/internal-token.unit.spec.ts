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
});
