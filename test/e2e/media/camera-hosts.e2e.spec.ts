import amqp from 'amqplib';
import { loadConfig } from '../../../lib/config/config';
import { routingKeyOf, toWire } from '../../../lib/events/envelope';
import { amqpNames } from '../../../lib/events/topology';
import { findOrphanFfmpeg } from '../../../subgraphs/media/src/ffmpeg/orphan-reaper';
import { waitFor } from '../../int/media/media-harness';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { startStack, type GraphQLResponse, type Stack } from '../../support/stack';
import { cameraEnvelope } from '../../unit/media/camera-envelope';

interface Session {
  id: string;
  status: string;
  camera: { id: string };
}

/**
 * CAMERA_ALLOWED_HOSTS through the gateway: the command side refuses a camera URL outside the list,
 * the media side refuses to stream one that reached it anyway (no ffmpeg), read paths mask
 * credentials given as URL parameters, and streamSessions comes in pages. The camera really listens
 * on 127.0.0.1; only `localhost` (allowed by name) and 127.0.0.2 are in the list.
 */
describe('camera hosts and stream session pages through the gateway', () => {
  let stack: Stack;
  let camera: RtspCamera;
  const errorOf = (result: GraphQLResponse) => result.errors?.[0];

  beforeAll(async () => {
    [stack, camera] = await Promise.all([startStack({ label: 'camhosts', env: { CAMERA_ALLOWED_HOSTS: '127.0.0.2,localhost' } }), startRtspCamera()]);
  });
  afterAll(async () => {
    await stack?.stop();
    await camera?.stop();
  });

  const register = (rtspUrl: string) =>
    stack.graphql<{ registerCamera: { id: string; position: string } }>(
      'mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id position } }',
      { input: { name: 'Yard', rtspUrl } },
      'admin',
    );
  const startStream = (cameraId: string) =>
    stack.graphql<{ startStream: Session }>('mutation($id: ID!) { startStream(cameraId: $id) { id status camera { id } } }', { id: cameraId }, 'operator');
  const streamSessions = (variables: { first?: number; after?: string; statuses?: string[] }) =>
    stack.graphql<{ streamSessions: Session[] }>(
      'query($first: Int, $after: String, $statuses: [StreamStatus!]) { streamSessions(first: $first, after: $after, statuses: $statuses) { id status camera { id } } }',
      variables,
      'viewer',
    );

  it('registerCamera and updateCamera refuse a host outside the list and store nothing; read paths mask URL parameters', async () => {
    const refused = await register(`rtsp://admin:Pa55@127.0.0.1:${camera.port}/yard`);
    expect(errorOf(refused)).toMatchObject({
      message: expect.stringContaining('camera host 127.0.0.1 is not allowed'),
      extensions: { code: 'BAD_USER_INPUT', host: '127.0.0.1' },
    });
    expect(refused.data?.registerCamera ?? null).toBeNull();
    expect(JSON.stringify(refused)).not.toContain('Pa55');

    const accepted = await register(`rtsp://localhost:${camera.port}/yard?user=admin&password=Qu3ryPw&channel=1`);
    expect(accepted.errors).toBeUndefined();
    const { id, position } = accepted.data!.registerCamera;
    const moved = await stack.graphql(
      'mutation($input: UpdateCameraInput!) { updateCamera(input: $input) { version } }',
      { input: { id, rtspUrl: `rtsp://127.0.0.1:${camera.port}/yard` } },
      'admin',
    );
    expect(errorOf(moved)).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', host: '127.0.0.1' } });

    const read = await stack.graphql<{ camera: { rtspUrl: string; version: number } }>(
      'query($id: ID!, $min: String) { camera(id: $id, minPosition: $min) { rtspUrl version } }',
      { id, min: position },
      'viewer',
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.camera).toEqual({ rtspUrl: `rtsp://localhost:${camera.port}/yard?user=***&password=***&channel=1`, version: 1 });
  });

  it('startStream refuses a camera whose host is outside the list even when its URL reached the media service, and starts no ffmpeg', async () => {
    // A camera event that did not come through registerCamera (another path into the event log).
    const config = loadConfig({ ...process.env, ...stack.env });
    const connection = await amqp.connect(config.amqp.url);
    const channel = await connection.createConfirmChannel();
    const envelope = cameraEnvelope('CameraRegistered', 1, { cameraId: 'smuggled', name: 'Smuggled', site: null, rtspUrl: camera.url('smuggled'), tags: [] });
    channel.publish(amqpNames(stack.namespace).eventsExchange, routingKeyOf(envelope.type), Buffer.from(JSON.stringify(toWire(envelope))), {
      persistent: true,
    });
    await channel.waitForConfirms();
    await connection.close();

    const refused = await waitFor('camera known to media', async () => {
      const result = await startStream('smuggled');
      return errorOf(result)?.extensions?.code === 'NOT_FOUND' ? undefined : result;
    });
    expect(refused.data?.startStream ?? null).toBeNull();
    expect(errorOf(refused)).toMatchObject({
      message: expect.stringMatching(/camera smuggled cannot stream: camera host 127\.0\.0\.1 is not allowed by CAMERA_ALLOWED_HOSTS/),
      extensions: { code: 'BAD_USER_INPUT', host: '127.0.0.1' },
    });
    expect(findOrphanFfmpeg(stack.env.HLS_DIR!)).toEqual([]);
    const listed = await streamSessions({});
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.streamSessions.filter((s) => s.camera.id === 'smuggled')).toEqual([]);
  });

  it('pages streamSessions with first and after, newest first', async () => {
    const { data } = await register(`rtsp://localhost:${camera.port}/pages`);
    const cameraId = data!.registerCamera.id;
    const started: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const session = await waitFor('camera known to media', async () => {
        const result = await startStream(cameraId);
        if (errorOf(result)?.extensions?.code === 'NOT_FOUND') return undefined;
        expect(result.errors).toBeUndefined();
        return result.data!.startStream;
      });
      started.push(session.id);
      const stopped = await stack.graphql('mutation($id: ID!) { stopStream(cameraId: $id) { id } }', { id: cameraId }, 'operator');
      expect(stopped.errors).toBeUndefined();
    }
    const newestFirst = started.reverse();

    const first = await streamSessions({ first: 2 });
    expect(first.errors).toBeUndefined();
    expect(first.data!.streamSessions.map((s) => s.id)).toEqual(newestFirst.slice(0, 2));
    const second = await streamSessions({ first: 2, after: newestFirst[1] });
    expect(second.data!.streamSessions.map((s) => s.id)).toEqual(newestFirst.slice(2));
    const stoppedOnly = await streamSessions({ statuses: ['STOPPED'], first: 1, after: newestFirst[0] });
    expect(stoppedOnly.data!.streamSessions.map((s) => s.id)).toEqual([newestFirst[1]]);

    expect(errorOf(await streamSessions({ first: 501 }))?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errorOf(await streamSessions({ after: 'no-such-session' }))?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
