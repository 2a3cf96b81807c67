import { loadConfig } from '../../../lib/config/config';

describe('configuration', () => {
  it('has working local defaults in development', () => {
    const config = loadConfig({});
    expect(config.ports).toEqual({ gateway: 4000, command: 4001, query: 4002, media: 4003 });
    expect(config.mongodb.url).toBe('mongodb://127.0.0.1:27017');
    expect(config.amqp.url).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(config.elasticsearch.url).toBe('http://127.0.0.1:9200');
    expect(config.namespace).toBe('sightline');
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
    expect(loadConfig({ CAMERA_ALLOWED_HOSTS: '10.0.0.0/8, cam.example.org,127.0.0.1' }).cameraAllowedHosts.describe()).toBe('10.0.0.0/8,cam.example.org,127.0.0.1');
    expect(() => loadConfig({ CAMERA_ALLOWED_HOSTS: '10.0.0.0/8,10.0.0.0/40' })).toThrow(/CAMERA_ALLOWED_HOSTS: "10\.0\.0\.0\/40"/);
  });
});
