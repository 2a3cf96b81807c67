import { signDevelopmentToken } from '../../../lib/auth/development-token';
import { can, expiryText, readToken, TokenError } from '../../../web/src/session/token';

const SECRET = 'unit-secret';

describe('dashboard token reading (UI only: the gateway verifies)', () => {
  it('reads the highest role, the subject and the expiry', () => {
    const token = signDevelopmentToken(SECRET, { subject: 'alice', role: 'operator', expiresInSeconds: 600 });
    const info = readToken(`Bearer ${token}\n`);
    expect(info).toMatchObject({ token, subject: 'alice', role: 'operator' });
    expect(info.expiresAt).toBeGreaterThan(Date.now());
    expect(can(info.role, 'viewer')).toBe(true);
    expect(can(info.role, 'admin')).toBe(false);
  });

  it('refuses garbage, a token without a Sightline role and an expired token, saying why', () => {
    expect(() => readToken('not-a-token')).toThrow(new TokenError('This is not a token: a token has three parts separated by dots.'));
    const payload = Buffer.from(JSON.stringify({ sub: 'x', roles: ['superuser'] })).toString('base64url');
    expect(() => readToken(`e30.${payload}.sig`)).toThrow(/no Sightline role/);
    const expired = signDevelopmentToken(SECRET, { subject: 'late', role: 'viewer', expiresInSeconds: -10 });
    expect(() => readToken(expired)).toThrow(/expired/);
  });

  it('reads non-ASCII subjects (base64url of UTF-8)', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'zoë', roles: ['viewer', 'admin'] })).toString('base64url');
    expect(readToken(`e30.${payload}.sig`)).toMatchObject({ subject: 'zoë', role: 'admin', expiresAt: undefined });
  });

  it('shows an expiry with its date and time zone, not only a time', () => {
    const at = Date.parse('2026-07-12T14:30:00Z');
    expect(expiryText(at, 'en-GB', 'UTC')).toBe('until 12 Jul 2026, 14:30 UTC');
    // Some ICU versions put a narrow no-break space before AM.
    expect(expiryText(at, 'en-US', 'America/New_York')).toMatch(/^until Jul 12, 2026, 10:30\sAM EDT$/);
  });
});
