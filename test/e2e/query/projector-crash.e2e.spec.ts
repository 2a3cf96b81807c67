import { startStack, type Stack } from '../../support/stack';

// The projector (inside the query process) is SIGKILLed while it applies a stream of events:
// unacked messages come back after the restart and re-applying them is a no-op, so the final
// counts are exact: nothing lost, nothing counted twice.
describe('projector SIGKILLed mid-bulk', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ services: ['command', 'query', 'media', 'gateway'], label: 'projkill' });
  });
  afterAll(() => stack?.stop());

  it('loses nothing and counts nothing twice', async () => {
    const registered = await stack.graphql<{ registerCamera: { id: string } }>(
      `mutation { registerCamera(input: { name: "Yard", rtspUrl: "rtsp://127.0.0.1:8554/yard" }) { id } }`,
    );
    const cameraId = registered.data!.registerCamera.id;
    let accepted = 0;
    let position = '0';
    const record = async () => {
      const inputs = Array.from({ length: 250 }, (_, i) => ({
        cameraId,
        type: i % 2 ? 'motion' : 'person',
        severity: 'LOW',
        occurredAt: new Date().toISOString(),
      }));
      const result = await stack.graphql<{ recordEvents: { accepted: number; position: string } }>(
        `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted position } }`,
        { inputs },
        'operator',
      );
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      accepted += result.data!.recordEvents.accepted;
      position = result.data!.recordEvents.position;
    };
    for (let i = 0; i < 6; i += 1) await record();
    // Kill while the projector is busy with the batches just written.
    stack.processes.get('query')!.kill('SIGKILL');
    for (let i = 0; i < 6; i += 1) await record();
    await stack.startService('query');
    for (let i = 0; i < 2; i += 1) await record();

    let stats: { total: number; byType: Array<{ key: string; count: number }> } | undefined;
    for (let attempt = 0; attempt < 10 && !stats; attempt += 1) {
      const response = await stack.graphql<{ eventStats: NonNullable<typeof stats> }>(
        `query($min: String, $f: EventFilter) { eventStats(interval: HOUR, minPosition: $min, filter: $f) { total byType { key count } } }`,
        { min: position, f: { cameraIds: [cameraId] } },
        'viewer',
      );
      if (response.data?.eventStats) stats = response.data.eventStats;
    }
    expect(accepted).toBe(14 * 250);
    expect(stats?.total).toBe(accepted);
    expect(stats?.byType).toEqual([
      { key: 'motion', count: accepted / 2 },
      { key: 'person', count: accepted / 2 },
    ]);
  }, 120000);
});
