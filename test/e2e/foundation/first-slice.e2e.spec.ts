import { startStack, type Stack } from '../../support/stack';

// The first slice across all three engines: a camera registered through the gateway is stored in
// MongoDB, published to RabbitMQ, projected into Elasticsearch and read back through the gateway.
describe('first slice: registerCamera then camera(id, minPosition)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ services: ['command', 'query', 'media', 'gateway'], label: 'slice' });
  });
  afterAll(() => stack?.stop());

  it('returns the registered camera, credentials masked, once the projection reached the write', async () => {
    const registered = await stack.graphql<{ registerCamera: { id: string; version: number; position: string } }>(
      `mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id version position } }`,
      { input: { name: 'Front gate', site: 'hq', rtspUrl: 'rtsp://admin:s3cret@127.0.0.1:8554/gate', tags: ['entrance'] } },
      'admin',
    );
    expect(registered.errors).toBeUndefined();
    const { id, version, position } = registered.data!.registerCamera;
    expect(version).toBe(1);
    expect(position).toMatch(/^\d+$/);

    const read = await stack.graphql<{ camera: Record<string, unknown> }>(
      `query($id: ID!, $min: String) { camera(id: $id, minPosition: $min) { id name site rtspUrl tags status version } }`,
      { id, min: position },
      'viewer',
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.camera).toEqual({
      id,
      name: 'Front gate',
      site: 'hq',
      rtspUrl: 'rtsp://***@127.0.0.1:8554/gate',
      tags: ['entrance'],
      status: 'ACTIVE',
      version: 1,
    });
    expect(JSON.stringify(read)).not.toContain('s3cret');
  });

  it('serves /healthz and a /readyz that reports every subgraph and engine', async () => {
    const health = await fetch(`${stack.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${stack.baseUrl}/readyz`);
    const body = (await ready.json()) as { ready: boolean; subgraphs: Record<string, { ready: boolean; engines?: Record<string, boolean> }> };
    expect(ready.status).toBe(200);
    expect(body.ready).toBe(true);
    expect(Object.keys(body.subgraphs)).toEqual(expect.arrayContaining(['command', 'query', 'media']));
    expect(body.subgraphs.command?.engines).toEqual(expect.objectContaining({ mongodb: true }));
    expect(body.subgraphs.query?.engines).toEqual(expect.objectContaining({ elasticsearch: true }));
  });
});
