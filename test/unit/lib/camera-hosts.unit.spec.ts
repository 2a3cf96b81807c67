import { CameraHostAllowList, type HostResolver, type ResolvedAddress } from '../../../lib/security/camera-hosts';

/** A resolver that answers from a table and never asks DNS (tests send nothing off the machine). */
const table =
  (entries: Record<string, readonly ResolvedAddress[] | string>): HostResolver =>
  async (host) => {
    const answer = entries[host] ?? 'ENOTFOUND';
    if (typeof answer === 'string') throw Object.assign(new Error(`getaddrinfo ${answer} ${host}`), { code: answer });
    return answer;
  };
const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

const allowList = (raw: string, resolve: HostResolver = table({})) => {
  const { allowList: parsed, problems } = CameraHostAllowList.parse(raw, resolve);
  expect(problems).toEqual([]);
  return parsed;
};
const refusal = (list: CameraHostAllowList, url: string) =>
  list.check(url).then(
    () => undefined,
    (error: unknown) => error,
  );

describe('camera host allow-list (CAMERA_ALLOWED_HOSTS)', () => {
  it('allows any host when empty, without resolving anything', async () => {
    const resolve = jest.fn(table({}));
    const any = allowList('', resolve);
    expect(any.allowsAnyHost).toBe(true);
    await expect(any.check('rtsp://cam.example.org/s')).resolves.toBeUndefined();
    await expect(any.check('rtsp://10.9.8.7/s')).resolves.toBeUndefined();
    expect(allowList(' , ').allowsAnyHost).toBe(true);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('matches IPv4 addresses against networks and single addresses', async () => {
    const list = allowList('10.0.0.0/8, 192.168.1.0/24,127.0.0.2');
    for (const url of ['rtsp://10.1.2.3:554/s', 'rtsp://u:p@10.255.255.255/s', 'rtsps://192.168.1.77/s', 'rtsp://127.0.0.2:8554/s']) {
      await expect(list.check(url)).resolves.toBeUndefined();
    }
    for (const url of ['rtsp://11.0.0.1/s', 'rtsp://192.168.2.1/s', 'rtsp://127.0.0.1:8554/s', 'rtsp://169.254.169.254/latest']) {
      const host = new URL(url).hostname;
      expect(await refusal(list, url)).toMatchObject({
        code: 'BAD_USER_INPUT',
        message: expect.stringContaining(`camera host ${host} is not allowed`),
        details: { host },
      });
    }
  });

  it('matches IPv6 addresses and networks, and IPv4-mapped IPv6 addresses as IPv4', async () => {
    const list = allowList('fd00::/8,[2001:db8::1],10.0.0.0/8');
    await expect(list.check('rtsp://[fd12:3456::1]:554/s')).resolves.toBeUndefined();
    await expect(list.check('rtsp://[2001:db8::1]/s')).resolves.toBeUndefined();
    await expect(list.check('rtsp://[::ffff:10.1.1.1]/s')).resolves.toBeUndefined();
    expect(await refusal(list, 'rtsp://[2001:db8::2]/s')).toMatchObject({ code: 'BAD_USER_INPUT', details: { host: '2001:db8::2' } });
    expect(await refusal(list, 'rtsp://[::1]/s')).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await refusal(list, 'rtsp://[::ffff:127.0.0.1]/s')).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('allows a listed host name as named, in any case and with a trailing dot, without resolving it', async () => {
    const resolve = jest.fn(table({}));
    const list = allowList('cam.example.org,10.0.0.0/8', resolve);
    await expect(list.check('rtsp://cam.example.org:554/s')).resolves.toBeUndefined();
    await expect(list.check('rtsp://CAM.Example.ORG./s')).resolves.toBeUndefined();
    expect(resolve).not.toHaveBeenCalled();
  });

  it('resolves any other name and requires every address it resolves to inside a listed network', async () => {
    const resolve = table({
      'inside.example.org': [v4('10.1.2.3'), v6('fd00::5')],
      'split.example.org': [v4('10.1.2.3'), v4('203.0.113.9')],
      'nowhere.example.org': 'ENOTFOUND',
      'flaky.example.org': 'EAI_AGAIN',
      localhost: [v4('127.0.0.1')],
    });
    const list = allowList('10.0.0.0/8,fd00::/8,127.0.0.2', resolve);
    await expect(list.check('rtsp://inside.example.org/s')).resolves.toBeUndefined();
    expect(await refusal(list, 'rtsp://split.example.org/s')).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/camera host split\.example\.org is not allowed .*resolves to 203\.0\.113\.9\)$/),
    });
    expect(await refusal(list, 'rtsp://localhost:8554/s')).toMatchObject({ code: 'BAD_USER_INPUT', details: { host: 'localhost' } });
    expect(await refusal(list, 'rtsp://nowhere.example.org/s')).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('cannot be resolved'),
    });
    expect(await refusal(list, 'rtsp://flaky.example.org/s')).toMatchObject({ code: 'UNAVAILABLE', details: { host: 'flaky.example.org' } });
  });

  it('judges a numeric host by what it resolves to, not by how it is written', async () => {
    // getaddrinfo reads 2130706433 and 127.1 as 127.0.0.1; the URL parser leaves rtsp hosts as written.
    const resolve = table({ '2130706433': [v4('127.0.0.1')], '127.1': [v4('127.0.0.1')] });
    const list = allowList('10.0.0.0/8', resolve);
    expect(await refusal(list, 'rtsp://2130706433:8554/s')).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(await refusal(list, 'rtsp://127.1:8554/s')).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('still refuses URLs that are not RTSP', async () => {
    expect(await refusal(allowList('10.0.0.0/8'), 'file:///etc/passwd')).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('reports every entry that is not a name, an address or a network', () => {
    const { problems } = CameraHostAllowList.parse('10.0.0.0/33,10.1,fd00::/129,cam_1.example.org,*.example.org,ok.example.org,10.0.0.0/x,::/0');
    expect(problems).toEqual([
      expect.stringContaining('"10.0.0.0/33"'),
      expect.stringContaining('"10.1"'),
      expect.stringContaining('"fd00::/129"'),
      expect.stringContaining('"cam_1.example.org"'),
      expect.stringContaining('"*.example.org"'),
      expect.stringContaining('"10.0.0.0/x"'),
    ]);
  });
});
