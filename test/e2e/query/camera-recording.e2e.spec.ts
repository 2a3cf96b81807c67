import amqp from 'amqplib';
import { amqpNames } from '../../../lib/events/topology';
import { ENGINE_URLS } from '../../support/engine-urls';
import { startStack, type GraphQLResponse, type Stack } from '../../support/stack';

const REGISTER = `mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id version position } }`;
const UPDATE = `mutation($input: UpdateCameraInput!) { updateCamera(input: $input) { id version position } }`;
const READ = `query($id: ID!, $min: String) { camera(id: $id, minPosition: $min) { name version recording { enabled retentionHours } } }`;

interface Result {
  id: string;
  version: number;
  position: string;
}
interface Camera {
  name: string;
  version: number;
  recording: { enabled: boolean; retentionHours: number };
}
interface Published {
  type: string;
  data: { cameraId: string; recording?: unknown; name?: string };
}

const waitFor = async <T>(what: string, probe: () => T | undefined, timeoutMs = 20000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

// Recording settings end to end: registerCamera / updateCamera -> event store -> relay ->
// RabbitMQ (where the media service reads them) -> projector -> Camera.recording.
describe('camera recording settings through the gateway', () => {
  let stack: Stack;
  let connection: amqp.ChannelModel | undefined;
  const published: Published[] = [];

  const ok = <T>(response: GraphQLResponse<T>): T => {
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data as T;
  };
  const register = async (input: Record<string, unknown>) =>
    ok(await stack.graphql<{ registerCamera: Result }>(REGISTER, { input: { name: 'Gate', rtspUrl: 'rtsp://127.0.0.1:8554/gate', ...input } })).registerCamera;
  const update = async (input: Record<string, unknown>) => ok(await stack.graphql<{ updateCamera: Result }>(UPDATE, { input })).updateCamera;
  /** STALE_READ says "not there yet, ask again" (docs/api/semantics.md): a loaded machine may need a second wait. */
  const read = async (result: Pick<Result, 'id' | 'position'>) => {
    for (let attempt = 1; ; attempt += 1) {
      const response = await stack.graphql<{ camera: Camera }>(READ, { id: result.id, min: result.position }, 'viewer');
      if (attempt < 4 && response.errors?.every((error) => error.extensions?.code === 'STALE_READ')) continue;
      return ok(response).camera;
    }
  };
  const publishedFor = (cameraId: string, type: string) => published.filter((p) => p.data.cameraId === cameraId && p.type === type);

  beforeAll(async () => {
    stack = await startStack({ services: ['command', 'query', 'media', 'gateway'], label: 'recording' });
    connection = await amqp.connect(stack.env.AMQP_URL ?? ENGINE_URLS.amqp);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, amqpNames(stack.namespace).eventsExchange, 'camera.*');
    await channel.consume(queue, (message) => message && published.push(JSON.parse(message.content.toString()) as Published), { noAck: true });
  });
  afterAll(async () => {
    await connection?.close();
    await stack?.stop();
  });

  it('registers a camera without recording as not recorded, 24 hours, and publishes that', async () => {
    const registered = await register({});
    expect((await read(registered)).recording).toEqual({ enabled: false, retentionHours: 24 });
    const [event] = await waitFor('CameraRegistered on the events exchange', () => {
      const found = publishedFor(registered.id, 'CameraRegistered');
      return found.length > 0 ? found : undefined;
    });
    expect(event?.data.recording).toEqual({ enabled: false, retentionHours: 24 });
  });

  it('registers with recording (24 hours when only enabled is given), updates it, and keeps it across other updates', async () => {
    const defaulted = await register({ recording: { enabled: true } });
    expect((await read(defaulted)).recording).toEqual({ enabled: true, retentionHours: 24 });

    const registered = await register({ recording: { enabled: true, retentionHours: 72 } });
    expect((await read(registered)).recording).toEqual({ enabled: true, retentionHours: 72 });

    const changed = await update({ id: registered.id, recording: { enabled: false, retentionHours: 8760 } });
    expect(changed.version).toBe(2);
    expect(await read(changed)).toEqual({ name: 'Gate', version: 2, recording: { enabled: false, retentionHours: 8760 } });

    const renamed = await update({ id: registered.id, name: 'Gate 2' });
    expect(await read(renamed)).toEqual({ name: 'Gate 2', version: 3, recording: { enabled: false, retentionHours: 8760 } });

    // The settings already stored: nothing is written.
    const same = await update({ id: registered.id, recording: { enabled: false, retentionHours: 8760 } });
    expect(same.version).toBe(3);

    const updates = await waitFor('both CameraUpdated on the events exchange', () => {
      const found = publishedFor(registered.id, 'CameraUpdated');
      return found.length >= 2 ? found : undefined;
    });
    expect(updates.map((u) => u.data)).toEqual([
      { cameraId: registered.id, recording: { enabled: false, retentionHours: 8760 } },
      { cameraId: registered.id, name: 'Gate 2' },
    ]);
    const [created] = await waitFor('CameraRegistered on the events exchange', () => {
      const found = publishedFor(registered.id, 'CameraRegistered');
      return found.length > 0 ? found : undefined;
    });
    expect(created?.data.recording).toEqual({ enabled: true, retentionHours: 72 });
  });

  it('refuses retentionHours 0 with BAD_USER_INPUT naming the field, on register and on update, and stores nothing', async () => {
    const refused = await stack.graphql(REGISTER, {
      input: { name: 'Bad', rtspUrl: 'rtsp://127.0.0.1:8554/bad', recording: { enabled: true, retentionHours: 0 } },
    });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'recording.retentionHours' });
    expect(refused.data?.registerCamera ?? null).toBeNull();

    const registered = await register({});
    const refusedUpdate = await stack.graphql(UPDATE, { input: { id: registered.id, recording: { enabled: true, retentionHours: 0 } } });
    expect(refusedUpdate.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'recording.retentionHours' });
    const again = await update({ id: registered.id, name: 'Gate' });
    expect(again.version).toBe(1);
    expect((await read(registered)).recording).toEqual({ enabled: false, retentionHours: 24 });
  });
});
