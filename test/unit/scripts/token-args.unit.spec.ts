import { readTokenCommand, TOKEN_USAGE } from '../../../scripts/token-args';

describe('npm run -s token: the command line', () => {
  it('answers --help and -h with the usage, which names every option', () => {
    expect(readTokenCommand(['--help'])).toEqual({ kind: 'help' });
    expect(readTokenCommand(['-h'])).toEqual({ kind: 'help' });
    expect(readTokenCommand(['--role', 'admin', '--help'])).toEqual({ kind: 'help' });
    for (const option of ['--role', '--subject', '--ttl', '--help']) expect(TOKEN_USAGE).toContain(option);
  });

  it('says what is wrong instead of throwing: unknown options, missing values, stray arguments, bad role or ttl', () => {
    expect(readTokenCommand(['--bogus'])).toEqual({ kind: 'problem', problem: expect.stringContaining("'--bogus'") });
    expect(readTokenCommand(['--role'])).toEqual({ kind: 'problem', problem: expect.stringContaining('--role') });
    expect(readTokenCommand(['admin'])).toEqual({ kind: 'problem', problem: expect.stringContaining("'admin'") });
    expect(readTokenCommand(['--role', 'root'])).toEqual({ kind: 'problem', problem: '--role must be viewer, operator or admin, got "root"' });
    for (const ttl of ['0', '-5', '1.5', 'soon']) {
      expect(readTokenCommand([`--ttl=${ttl}`])).toEqual({ kind: 'problem', problem: '--ttl must be a positive number of seconds' });
    }
  });

  it('reads the token to sign, with its defaults', () => {
    expect(readTokenCommand([])).toEqual({ kind: 'token', request: { role: 'viewer', subject: 'dev-viewer', ttlSeconds: 86400 } });
    expect(readTokenCommand(['--role', 'operator', '--subject', 'alice', '--ttl', '600'])).toEqual({
      kind: 'token',
      request: { role: 'operator', subject: 'alice', ttlSeconds: 600 },
    });
  });
});
