import { maskRtspUrl, parseRtspUrl, redactCredentials } from '../../../lib/security/rtsp-url';

describe('rtsp urls', () => {
  it.each(['rtsp://127.0.0.1:8554/cam', 'rtsps://cam.example.test/stream', 'rtsp://user:pa%40ss@127.0.0.1/live'])('accepts %s', (url) => {
    expect(parseRtspUrl(url).toString()).toContain('://');
  });

  it.each([
    'file:///etc/passwd',
    'http://127.0.0.1/',
    'concat:rtsp://a|file:/etc/passwd',
    'subfile:,,start,0,end,0,,:/etc/passwd',
    'rtsp://',
    'rtsp://127.0.0.1/a b',
    'rtsp://127.0.0.1/a\nb',
    '',
    `rtsp://127.0.0.1/${'a'.repeat(3000)}`,
  ])('refuses %j with BAD_USER_INPUT', (url) => {
    expect(() => parseRtspUrl(url)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('masks credentials and leaves other URLs alone', () => {
    expect(maskRtspUrl('rtsp://admin:secret@10.0.0.1:554/s')).toBe('rtsp://***@10.0.0.1:554/s');
    expect(maskRtspUrl('rtsp://10.0.0.1:554/s')).toBe('rtsp://10.0.0.1:554/s');
    expect(maskRtspUrl('not a url //admin:secret@host')).not.toContain('secret');
  });

  it('redacts credentials inside free text', () => {
    const text = 'ffmpeg -i rtsp://admin:secret@127.0.0.1/s -f hls; also rtsps://u:p@h/x';
    expect(redactCredentials(text)).toBe('ffmpeg -i rtsp://***@127.0.0.1/s -f hls; also rtsps://***@h/x');
  });
});
