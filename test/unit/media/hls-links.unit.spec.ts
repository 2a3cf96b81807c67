import { LinkSigner } from '../../../subgraphs/media/src/hls/link-signer';
import { signPlaylist } from '../../../subgraphs/media/src/hls/playlist-signing';

const SESSION = '0b6f2a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const OTHER = '1b6f2a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

describe('LinkSigner', () => {
  let now = 1_800_000_000_000;
  const signer = new LinkSigner('a-test-secret-of-some-length', 60, () => now);

  it('accepts its own link until it expires, then refuses it as expired', () => {
    const { exp, sig } = signer.sign(SESSION);
    expect(signer.verify(SESSION, String(exp), sig)).toBe('ok');
    now += 61_000;
    expect(signer.verify(SESSION, String(exp), sig)).toBe('expired');
  });

  it('refuses a link for another session, a moved expiry, a flipped signature, or missing parts', () => {
    const { exp, sig } = signer.sign(SESSION);
    expect(signer.verify(OTHER, String(exp), sig)).toBe('invalid');
    expect(signer.verify(SESSION, String(exp + 3600), sig)).toBe('invalid');
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`;
    expect(signer.verify(SESSION, String(exp), flipped)).toBe('invalid');
    expect(signer.verify(SESSION, undefined, sig)).toBe('invalid');
    expect(signer.verify(SESSION, String(exp), ['a', 'b'])).toBe('invalid');
  });

  it('refuses a link signed with another secret', () => {
    const foreign = new LinkSigner('another-secret-of-some-length', 60, () => now);
    const { exp, sig } = foreign.sign(SESSION);
    expect(signer.verify(SESSION, String(exp), sig)).toBe('invalid');
  });
});

describe('signPlaylist', () => {
  it('appends the query to every segment line and leaves tags alone', () => {
    const playlist = ['#EXTM3U', '#EXT-X-MEDIA-SEQUENCE:3', '#EXTINF:1.000000,', 'seg_00003.ts', '#EXTINF:1.000000,', 'seg_00004.ts', ''].join('\n');
    expect(signPlaylist(playlist, 'exp=1&sig=abc').split('\n')).toEqual([
      '#EXTM3U',
      '#EXT-X-MEDIA-SEQUENCE:3',
      '#EXTINF:1.000000,',
      'seg_00003.ts?exp=1&sig=abc',
      '#EXTINF:1.000000,',
      'seg_00004.ts?exp=1&sig=abc',
      '',
    ]);
  });
});
