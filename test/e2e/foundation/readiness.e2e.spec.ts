import { startFaultProxyFor, type FaultProxy } from '../../support/fault-proxy';
import { startStack, type Stack } from '../../support/stack';
import { ENGINE_URLS } from '../../support/engine-urls';

// /readyz is ready only when every subgraph and engine answers: cut Elasticsearch away from the
// query subgraph and the gateway must say so, then recover when it comes back.
describe('gateway readiness follows the engines', () => {
  let stack: Stack;
  let elastic: FaultProxy;
  beforeAll(async () => {
    elastic = await startFaultProxyFor(ENGINE_URLS.elasticsearch);
    stack = await startStack({
      services: ['command', 'query', 'media', 'gateway'],
      label: 'ready',
      env: { ELASTICSEARCH_URL: `http://127.0.0.1:${elastic.port}` },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await elastic?.close();
  });

  const readiness = async () => {
    const response = await fetch(`${stack.baseUrl}/readyz`);
    return { status: response.status, body: (await response.json()) as { ready: boolean } };
  };

  it('turns 503 while Elasticsearch is unreachable and 200 again after', async () => {
    expect((await readiness()).status).toBe(200);
    elastic.cut();
    const down = await readiness();
    expect(down.status).toBe(503);
    expect(down.body.ready).toBe(false);
    elastic.restore();
    let up = await readiness();
    for (let i = 0; i < 20 && up.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      up = await readiness();
    }
    expect(up.status).toBe(200);
  });
});

describe('a subgraph that does not answer', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ services: ['command', 'query', 'media', 'gateway'], label: 'deadsub' });
  });
  afterAll(() => stack?.stop());

  it('is reported as UNAVAILABLE without internal addresses, and readiness says which', async () => {
    const query = stack.processes.get('query');
    query?.kill('SIGKILL');
    await new Promise((resolve) => query?.once('exit', resolve));
    const response = await stack.graphql('{ cameras(first: 1) { totalCount } }', {}, 'viewer');
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
    expect(JSON.stringify(response.errors)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    const ready = await fetch(`${stack.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { subgraphs: Record<string, { ready: boolean }> };
    expect(body.subgraphs.query?.ready).toBe(false);
  });
});
