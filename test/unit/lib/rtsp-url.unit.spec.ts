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

  it('masks the values of credential parameters in the query string and the path', () => {
    expect(maskRtspUrl('rtsp://10.0.0.1/stream?user=admin&password=secret&channel=1')).toBe('rtsp://10.0.0.1/stream?user=***&password=***&channel=1');
    expect(maskRtspUrl('rtsp://10.0.0.1/videoMain?usr=admin&pwd=s3cr%26t')).toBe('rtsp://10.0.0.1/videoMain?usr=***&pwd=***');
    expect(maskRtspUrl('rtsp://a:b@10.0.0.1/s?Token=abc;auth=x&API_KEY=k&subtype=0')).toBe('rtsp://***@10.0.0.1/s?Token=***;auth=***&API_KEY=***&subtype=0');
    expect(maskRtspUrl('rtsp://10.0.0.1:554/user=admin&password=tlJwpbo6&channel=1&stream=0.sdp')).toBe(
      'rtsp://10.0.0.1:554/user=***&password=***&channel=1&stream=0.sdp',
    );
    expect(maskRtspUrl('rtsp://10.0.0.1/s?channel=1&subtype=0&password=')).toBe('rtsp://10.0.0.1/s?channel=1&subtype=0&password=');
    // Masking what is already masked changes nothing (read paths may mask stored, masked values again).
    const once = maskRtspUrl('rtsp://u:p@10.0.0.1/s?password=x');
    expect(maskRtspUrl(once)).toBe(once);
  });

  it('knows credential parameter names without case or punctuation, and leaves ordinary ones', () => {
    // A parameter is a credential exactly when redaction hides its value.
    const isCredentialParameter = (name: string) => redactCredentials(`rtsp://10.0.0.1/s?${name}=v`) === `rtsp://10.0.0.1/s?${name}=***`;
    for (const name of [
      'user',
      'password',
      'PWD',
      'pass',
      'passwd',
      'token',
      'access_token',
      'auth',
      'Authorization',
      'apikey',
      'api-key',
      'secret',
      'client_secret',
      'u',
      'p',
      'sig',
      'pass%77ord',
    ]) {
      expect([name, isCredentialParameter(name)]).toEqual([name, true]);
    }
    for (const name of ['channel', 'subtype', 'stream', 'resolution', 'fps', 'profile', 'unicast', 'proto']) {
      expect([name, isCredentialParameter(name)]).toEqual([name, false]);
    }
  });

  it('redacts credential parameters inside free text, up to the end of the URL', () => {
    const line = "Input #0, rtsp, from 'rtsp://127.0.0.1:8554/s?user=admin&password=hunter2': 401 Unauthorized; retry rtsp://h/x?token=t0k3n done";
    const redacted = redactCredentials(line);
    expect(redacted).toBe("Input #0, rtsp, from 'rtsp://127.0.0.1:8554/s?user=***&password=***': 401 Unauthorized; retry rtsp://h/x?token=*** done");
  });
});
