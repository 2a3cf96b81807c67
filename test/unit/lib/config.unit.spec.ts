import { loadConfig } from '../../../lib/config/config';
import { DEVELOPMENT_SECRETS, secretProblems } from '../../../lib/config/secrets';
import { nodeUrls } from '../../../lib/engines/node-urls';

/** Production settings that pass, to vary one thing at a time. */
const PRODUCTION = {
  NODE_ENV: 'production',
  JWKS_URL: 'http://127.0.0.1:9/jwks.json',
  JWT_ISSUER: 'https://issuer.test/',
  JWT_AUDIENCE: 'sightline',
  INTERNAL_SECRET: 'i'.repeat(32),
  HLS_LINK_SECRET: 'h'.repeat(32),
};
const OWN_SECRETS = { JWT_SECRET: 'my-own-jwt-secret', INTERNAL_SECRET: 'my-own-internal-secret', HLS_LINK_SECRET: 'my-own-hls-link-secret' };

describe('configuration', () => {
  it('has working local defaults in development', () => {
    const config = loadConfig({});
    expect(config.ports).toEqual({ gateway: 4000, command: 4001, query: 4002, media: 4003 });
    expect(config.mongodb.url).toBe('mongodb://127.0.0.1:27017');
    expect(config.amqp.url).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(config.elasticsearch.url).toBe('http://127.0.0.1:9200');
    expect(config.namespace).toBe('sightline');
    expect(config.gateway).toMatchObject({ subscriptionsPerConnectionMax: 100, subscriptionsPerIdentityMax: 500, eventStatsGroupsMax: 50 });
  });

  it('reads AMQP_URL and ELASTICSEARCH_URL as comma-separated node lists, checking every entry', () => {
    const config = loadConfig({
      AMQP_URL: 'amqp://u:p@127.0.0.1:5672, amqp://u:p@127.0.0.1:5673 ,amqp://u:p@127.0.0.1:5674',
      ELASTICSEARCH_URL: 'http://127.0.0.1:9200,http://127.0.0.1:9201',
    });
    expect(nodeUrls(config.amqp.url)).toEqual(['amqp://u:p@127.0.0.1:5672', 'amqp://u:p@127.0.0.1:5673', 'amqp://u:p@127.0.0.1:5674']);
    expect(nodeUrls(config.elasticsearch.url)).toEqual(['http://127.0.0.1:9200', 'http://127.0.0.1:9201']);
    const attempt = () => loadConfig({ AMQP_URL: 'amqp://127.0.0.1:5672,,http://127.0.0.1:5673', ELASTICSEARCH_URL: 'http://127.0.0.1:9200,nope' });
    expect(attempt).toThrow(/AMQP_URL: entry 2 of the comma-separated list is empty/);
    expect(attempt).toThrow(/AMQP_URL must use amqp: or amqps:, got "http:" \(entry 3\)/);
    expect(attempt).toThrow(/ELASTICSEARCH_URL: entry 2 is not a valid URL/);
  });

  it('lists every invalid variable at once', () => {
    const attempt = () => loadConfig({ GATEWAY_PORT: 'x', MONGODB_URL: 'http://nope', SIGHTLINE_NAMESPACE: 'Bad Name' });
    expect(attempt).toThrow(/GATEWAY_PORT/);
    expect(attempt).toThrow(/MONGODB_URL/);
    expect(attempt).toThrow(/SIGHTLINE_NAMESPACE/);
  });

  it('refuses to run production on development secrets', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/INTERNAL_SECRET/);
  });

  it('reads CAMERA_ALLOWED_HOSTS (any host by default) and refuses an invalid entry', () => {
    expect(loadConfig({}).cameraAllowedHosts.allowsAnyHost).toBe(true);
    expect(loadConfig({ CAMERA_ALLOWED_HOSTS: '10.0.0.0/8, cam.example.org,127.0.0.1' }).cameraAllowedHosts.describe()).toBe(
      '10.0.0.0/8,cam.example.org,127.0.0.1',
    );
    expect(() => loadConfig({ CAMERA_ALLOWED_HOSTS: '10.0.0.0/8,10.0.0.0/40' })).toThrow(/CAMERA_ALLOWED_HOSTS: "10\.0\.0\.0\/40"/);
  });

  it('starts in production with its own secrets, issuer and audience', () => {
    expect(loadConfig(PRODUCTION).auth).toMatchObject({ jwtSecret: '', jwtIssuer: 'https://issuer.test/', jwtAudience: 'sightline' });
    expect(loadConfig({ ...PRODUCTION, JWKS_URL: '', JWT_SECRET: 'j'.repeat(32) }).auth.jwtSecret).toBe('j'.repeat(32));
  });

  it('refuses production with a development default secret, whichever it is', () => {
    for (const [name, value] of Object.entries(DEVELOPMENT_SECRETS)) {
      expect(() => loadConfig({ ...PRODUCTION, [name]: value })).toThrow(new RegExp(`${name} is the public development default`));
    }
  });

  it('refuses production with a secret shorter than 32 characters', () => {
    for (const name of ['JWT_SECRET', 'INTERNAL_SECRET', 'HLS_LINK_SECRET']) {
      expect(() => loadConfig({ ...PRODUCTION, [name]: 'x'.repeat(31) })).toThrow(new RegExp(`${name} must be set to at least 32 characters`));
    }
  });

  it('refuses production without JWT_ISSUER or JWT_AUDIENCE, and names both', () => {
    const attempt = () => loadConfig({ ...PRODUCTION, JWT_ISSUER: '', JWT_AUDIENCE: '' });
    expect(attempt).toThrow(/JWT_ISSUER/);
    expect(attempt).toThrow(/JWT_AUDIENCE/);
    expect(() => loadConfig({ ...PRODUCTION, JWT_AUDIENCE: '' })).toThrow(/JWT_AUDIENCE/);
  });

  it('allows the development defaults outside production only on loopback', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) expect(loadConfig({ SIGHTLINE_HOST: host }).host).toBe(host);
    for (const env of [{ SIGHTLINE_HOST: '0.0.0.0' }, { SIGHTLINE_HOST: '::', NODE_ENV: 'staging' }, { SIGHTLINE_HOST: '192.168.1.20', NODE_ENV: 'test' }]) {
      const attempt = () => loadConfig(env);
      expect(attempt).toThrow(/not a loopback address/);
      for (const name of ['JWT_SECRET', 'INTERNAL_SECRET', 'HLS_LINK_SECRET']) expect(attempt).toThrow(new RegExp(`set .*${name}`));
    }
    // Only the variables still on their defaults are named.
    expect(() => loadConfig({ ...OWN_SECRETS, SIGHTLINE_HOST: '0.0.0.0', INTERNAL_SECRET: DEVELOPMENT_SECRETS.INTERNAL_SECRET })).toThrow(
      /and INTERNAL_SECRET is a public development default: set INTERNAL_SECRET/,
    );
    expect(loadConfig({ ...OWN_SECRETS, SIGHTLINE_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    // With a JWKS there is no JWT secret, so none to set.
    expect(loadConfig({ ...OWN_SECRETS, JWT_SECRET: '', JWKS_URL: 'http://127.0.0.1:9/jwks.json', SIGHTLINE_HOST: '0.0.0.0' }).auth.jwtSecret).toBe('');
  });

  it('tells loopback addresses from others', () => {
    // The development defaults are accepted on a listen address exactly when it is loopback.
    const isLoopbackHost = (host: string) => secretProblems(false, host, DEVELOPMENT_SECRETS).length === 0;
    expect(['127.0.0.1', '127.255.0.9', 'LOCALHOST', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.test', '::ffff:10.0.0.1', ''].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
