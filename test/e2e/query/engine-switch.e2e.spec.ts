import { removeNamespaceData, startStack, type Stack } from '../../support/stack';
import { testNamespace } from '../../support/namespace';

// What a switch of engine layout does to a site (README, "Clustered engines"): the event store is
// kept, the broker and Elasticsearch start empty. Events relayed before the switch went to the old
// broker and will never be delivered again; the views must still fill from the event store.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a namespace moved to an empty broker and an empty Elasticsearch, its event store kept', () => {
  const namespace = testNamespace('switch');
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.stop();
    await removeNamespaceData(namespace);
  }, 60_000);

  it('projects the events stored before the switch, and reads at a later position answer with all of them', async () => {
    stack = await startStack({ label: 'switch', namespace });
    const registered = await stack.graphql<{ registerCamera: { id: string } }>(
      `mutation { registerCamera(input: { name: "Before the switch", rtspUrl: "rtsp://127.0.0.1:8554/switch" }) { id } }`,
    );
    const cameraId = registered.data!.registerCamera.id;
    const inputs = Array.from({ length: 20 }, () => ({ cameraId, type: 'motion', severity: 'LOW', occurredAt: new Date().toISOString() }));
    const before = await stack.graphql<{ recordEvents: { accepted: number } }>(
      `mutation($inputs: [RecordEventInput!]!) { recordEvents(inputs: $inputs) { accepted } }`,
      { inputs },
      'operator',
    );
    expect(before.data?.recordEvents.accepted).toBe(20);
    await stack.stop();
    stack = undefined;

    await removeNamespaceData(namespace, ['elasticsearch', 'rabbitmq']);
    stack = await startStack({ label: 'switch', namespace });
    const after = await stack.graphql<{ recordEvent: { position: string } }>(
      `mutation($input: RecordEventInput!) { recordEvent(input: $input) { position } }`,
      { input: { cameraId, type: 'person', severity: 'HIGH', occurredAt: new Date().toISOString() } },
      'operator',
    );
    const position = after.data!.recordEvent.position;

    // STALE_READ means "not there yet, ask again" (docs/api/semantics.md).
    type Answer = { camera: { name: string } | null; eventStats: { total: number } };
    let answer = undefined as Answer | undefined;
    for (let attempt = 0; attempt < 12 && !answer; attempt += 1) {
      const response = await stack.graphql<Answer>(
        `query($id: ID!, $f: EventFilter, $min: String) {
          camera(id: $id, minPosition: $min) { name }
          eventStats(filter: $f, interval: HOUR, minPosition: $min) { total }
        }`,
        { id: cameraId, f: { cameraIds: [cameraId] }, min: position },
        'viewer',
      );
      if (response.data?.eventStats) answer = response.data;
      else {
        expect(response.errors?.map((e) => e.extensions?.code)).toContain('STALE_READ');
        await sleep(1000);
      }
    }
    expect(answer).toEqual({ camera: { name: 'Before the switch' }, eventStats: { total: 21 } });
  }, 180_000);
});
