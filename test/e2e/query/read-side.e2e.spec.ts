import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../../lib/paths';
import { TEST_JWT_SECRET, startStack, type Stack } from '../../support/stack';

type Data = Record<string, unknown>;

// The read side through the gateway, fed by the real command side: commands -> event store ->
// relay -> RabbitMQ -> projector -> Elasticsearch -> queries (read your writes by position).
describe('read side through the gateway', () => {
  let stack: Stack;
  let cameraId: string;
  let eventIds: string[] = [];
  let lastPosition = '0';

  const ok = async <T = Data>(query: string, variables?: Record<string, unknown>, role: 'viewer' | 'operator' | 'admin' = 'admin'): Promise<T> => {
    const response = await stack.graphql<T>(query, variables, role);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data as T;
  };

  beforeAll(async () => {
    stack = await startStack({ services: ['command', 'query', 'media', 'gateway'], label: 'readside' });
    const registered = await ok<{ registerCamera: { id: string; position: string } }>(
      `mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id position } }`,
      { input: { name: 'Dock', site: 'harbour', rtspUrl: 'rtsp://u:pw@127.0.0.1:8554/dock', tags: ['outdoor'] } },
    );
    cameraId = registered.registerCamera.id;
    const inputs = Array.from({ length: 25 }, (_, i) => ({
      cameraId,
      type: i % 5 === 0 ? 'intrusion' : 'motion',
      severity: i % 5 === 0 ? 'CRITICAL' : 'LOW',
      occurredAt: new Date(Date.now() - i * 60_000).toISOString(),
      attributes: { zone: i % 2 ? 'quay' : 'gate' },
    }));
    const batch = await ok<{ recordEvents: { accepted: number; position: string } }>(
      `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted position } }`,
      { inputs },
      'operator',
    );
    expect(batch.recordEvents.accepted).toBe(25);
    const listed = await ok<{ events: { edges: Array<{ node: { id: string } }> } }>(
      `query($min: String) { events(first: 100, minPosition: $min, filter: { cameraIds: ["${cameraId}"] }) { edges { node { id } } } }`,
      { min: batch.recordEvents.position },
    );
    eventIds = listed.events.edges.map((e) => e.node.id);
    const ack = await ok<{ acknowledgeEvent: { position: string } }>(
      `mutation($id: ID!) { acknowledgeEvent(id: $id, note: "on it") { position } }`,
      { id: eventIds[0] },
      'operator',
    );
    lastPosition = ack.acknowledgeEvent.position;
  });
  afterAll(() => stack?.stop());

  it('reads a camera and its stats, and an event with its camera, once the projection has the write', async () => {
    const data = await ok<{ camera: Data; event: Data }>(
      `query($id: ID!, $e: ID!, $min: String) {
        camera(id: $id, minPosition: $min) { id name rtspUrl stats { total byStatus { key count } } }
        event(id: $e, minPosition: $min) { id status acknowledgeNote version position camera { id name site } }
      }`,
      { id: cameraId, e: eventIds[0], min: lastPosition },
      'viewer',
    );
    expect(data.camera).toMatchObject({ id: cameraId, name: 'Dock', rtspUrl: 'rtsp://***@127.0.0.1:8554/dock' });
    expect(data.camera.stats).toEqual({
      total: 25,
      byStatus: [
        { key: 'OPEN', count: 24 },
        { key: 'ACKNOWLEDGED', count: 1 },
      ],
    });
    expect(data.event).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgeNote: 'on it', version: 2, camera: { id: cameraId, name: 'Dock', site: 'harbour' } });
  });

  it('answers eventStats with every part, filled histogram buckets and the position', async () => {
    const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000).toISOString();
    const from = new Date(Date.parse(to) - 3 * 3_600_000).toISOString();
    const data = await ok<{ eventStats: Data & { histogram: Array<{ count: number }> } }>(
      `query($f: EventFilter, $min: String) { eventStats(filter: $f, interval: HOUR, minPosition: $min) {
        total byType { key count } bySeverity { key count } byStatus { key count } topCameras(limit: 3) { key count }
        histogram { start count } meanTimeToAcknowledgeSeconds meanTimeToResolveSeconds position } }`,
      { f: { cameraIds: [cameraId], from, to }, min: lastPosition },
      'viewer',
    );
    const stats = data.eventStats;
    expect(stats).toMatchObject({
      total: 25,
      byType: [
        { key: 'motion', count: 20 },
        { key: 'intrusion', count: 5 },
      ],
      bySeverity: [
        { key: 'LOW', count: 20 },
        { key: 'CRITICAL', count: 5 },
      ],
      topCameras: [{ key: cameraId, count: 25 }],
      meanTimeToResolveSeconds: null,
    });
    expect(stats.histogram).toHaveLength(3);
    expect(stats.histogram.reduce((n, b) => n + b.count, 0)).toBe(25);
    expect(typeof stats.meanTimeToAcknowledgeSeconds).toBe('number');
    expect(BigInt(stats.position as string) >= BigInt(lastPosition)).toBe(true);
  });

  it('searches text and pages with stable cursors while writes continue', async () => {
    const first = await ok<{
      events: { edges: Array<{ cursor: string; node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string }; totalCount: number };
    }>(`query { events(first: 10, filter: { cameraIds: ["${cameraId}"] }) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } totalCount } }`);
    expect(first.events.totalCount).toBe(25);
    expect(first.events.pageInfo.hasNextPage).toBe(true);
    // New events arrive between pages: they sort before the cursor, so no row repeats or is skipped.
    const more = await ok<{ recordEvents: { position: string } }>(
      `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { position } }`,
      { inputs: [{ cameraId, type: 'motion', severity: 'INFO', occurredAt: new Date().toISOString() }] },
      'operator',
    );
    const seen = first.events.edges.map((e) => e.node.id);
    let after: string | null = first.events.pageInfo.endCursor;
    while (after) {
      const page: { events: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } } = await ok(
        `query($after: String, $min: String) { events(first: 10, after: $after, minPosition: $min, filter: { cameraIds: ["${cameraId}"] }) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
        { after, min: more.recordEvents.position },
      );
      seen.push(...page.events.edges.map((e) => e.node.id));
      after = page.events.pageInfo.hasNextPage ? page.events.pageInfo.endCursor : null;
    }
    expect(new Set(seen).size).toBe(25);
    expect(seen.length).toBe(25);

    const text = await ok<{ events: { totalCount: number } }>(`query { events(filter: { cameraIds: ["${cameraId}"], text: "quay" }) { totalCount } }`);
    expect(text.events.totalCount).toBe(12);
  });

  it('fails with STALE_READ and the position it has when the projection cannot reach minPosition', async () => {
    const response = await stack.graphql(`query { camera(id: "${cameraId}", minPosition: "900000000000") { id } }`, undefined, 'viewer');
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'STALE_READ' });
    expect(String(response.errors?.[0]?.extensions?.position)).toMatch(/^\d+$/);
  }, 20000);

  it('refuses bad input with clear codes', async () => {
    const minute = await stack.graphql(
      `query { eventStats(interval: MINUTE, filter: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { total } }`,
      undefined,
      'viewer',
    );
    expect(minute.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const cursor = await stack.graphql(`query { events(after: "garbage") { totalCount } }`, undefined, 'viewer');
    expect(cursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const rebuild = await stack.graphql(`mutation { rebuildProjection(name: "events") { name } }`, undefined, 'operator');
    expect(rebuild.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('reports projections and rebuilds one on request', async () => {
    const status = await ok<{ projections: Array<Data> }>(
      `query { projections { name state position headPosition lag index rebuildProgress deadLettered lastError } }`,
      undefined,
      'viewer',
    );
    expect(status.projections.map((p) => p.name)).toEqual(['cameras', 'events', 'rollups']);
    expect(status.projections[1]).toMatchObject({ state: 'RUNNING', deadLettered: 0, lastError: null });
    const started = await ok<{ rebuildProjection: Data }>(`mutation { rebuildProjection(name: "cameras") { name state rebuildProgress } }`);
    expect(started.rebuildProjection).toMatchObject({ name: 'cameras', state: 'REBUILDING' });
    for (let i = 0; i < 100; i += 1) {
      const now = await ok<{ projections: Array<Data> }>(`query { projections { name state } }`);
      if (now.projections[0]?.state !== 'REBUILDING') break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const after = await ok<{ camera: Data }>(`query { camera(id: "${cameraId}") { name } }`, undefined, 'viewer');
    expect(after.camera).toEqual({ name: 'Dock' });
  }, 60000);

  it('rebuilds from the command line with a progress report, the data unchanged', async () => {
    const before = await ok<{ projections: Array<{ name: string; index: string }> }>(`query { projections { name index } }`);
    const { stderr } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'dist/scripts/rebuild.js'), 'events', '--url', stack.gatewayUrl], {
      env: { ...process.env, JWT_SECRET: TEST_JWT_SECRET },
      timeout: 60000,
    });
    expect(stderr).toContain('100%');
    const after = await ok<{ projections: Array<{ name: string; index: string }>; eventStats: { total: number } }>(
      `query { projections { name index } eventStats(interval: DAY, filter: { cameraIds: ["${cameraId}"] }) { total } }`,
    );
    expect(after.projections[1]!.index).not.toBe(before.projections[1]!.index);
    expect(after.eventStats.total).toBe(26);
  }, 60000);
});
