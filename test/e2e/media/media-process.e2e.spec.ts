import amqp from 'amqplib';
import { signInternalToken } from '../../../lib/auth/internal-token';
import { loadConfig } from '../../../lib/config/config';
import { ENGINE_URLS } from '../../support/engine-urls';
import { routingKeyOf, toWire } from '../../../lib/events/envelope';
import { amqpNames } from '../../../lib/events/topology';
import { findOrphanFfmpeg } from '../../../subgraphs/media/src/ffmpeg/orphan-reaper';
import { isAlive, waitFor } from '../../int/media/media-harness';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { startStack, type Stack } from '../../support/stack';
import { cameraEnvelope } from '../../unit/media/camera-envelope';

interface Session {
  id: string;
  status: string;
  restarts: number;
}

/**
 * The media process as it runs in production (dist/, real engines, real camera): killed with SIGKILL it
 * leaves no ffmpeg behind, and started again it resumes its sessions under the same ids.
 */
describe('media process', () => {
  let stack: Stack;
  let camera: RtspCamera;
  let call: <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

  beforeAll(async () => {
    [stack, camera] = await Promise.all([startStack({ services: ['media'], label: 'mediaproc' }), startRtspCamera()]);
    const config = loadConfig({ ...process.env, ...stack.env });
    call = async <T>(query: string, variables?: Record<string, unknown>) => {
      // Straight to the subgraph, signed as the gateway signs: this test runs no gateway.
      const response = await fetch(`http://127.0.0.1:${stack.ports.media}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-sightline-internal': signInternalToken(config.auth.internalSecret, { subject: 'op', role: 'operator' }, 'media-e2e'),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
      if (body.errors?.length) throw Object.assign(new Error(body.errors[0]!.message), { code: body.errors[0]!.extensions?.code });
      return body.data as T;
    };
    await waitFor('media ready', async () => (await fetch(`http://127.0.0.1:${stack.ports.media}/readyz`)).ok, 30000);
    const connection = await amqp.connect(ENGINE_URLS.amqp);
    const channel = await connection.createConfirmChannel();
    const envelope = cameraEnvelope('CameraRegistered', 1, {
      cameraId: 'door',
      name: 'Door',
      site: null,
      rtspUrl: camera.url('door', 'op:Pa55word'),
      tags: [],
    });
    channel.publish(amqpNames(stack.namespace).eventsExchange, routingKeyOf(envelope.type), Buffer.from(JSON.stringify(toWire(envelope))), {
      persistent: true,
    });
    await channel.waitForConfirms();
    await connection.close();
  });
  afterAll(async () => {
    await stack?.stop();
    await camera?.stop();
  });

  const session = (id: string) => call<{ streamSession: Session | null }>('query($id: ID!) { streamSession(id: $id) { id status restarts } }', { id });
  const waitStatus = (id: string, status: string, timeoutMs = 30000) =>
    waitFor(
      `session ${status}`,
      async () => {
        const { streamSession } = await session(id).catch(() => ({ streamSession: null }));
        return streamSession?.status === status ? streamSession : undefined;
      },
      timeoutMs,
    );

  it('leaves no orphan ffmpeg when SIGKILLed, resumes its session when restarted, and stops ffmpeg on SIGTERM', async () => {
    const started = await waitFor('camera known to media', async () => {
      try {
        return (await call<{ startStream: Session }>('mutation { startStream(cameraId: "door") { id status restarts } }')).startStream;
      } catch (error) {
        if ((error as { code?: string }).code === 'NOT_FOUND') return undefined;
        throw error;
      }
    });
    await waitStatus(started.id, 'LIVE');
    const hlsDir = stack.env.HLS_DIR!;
    const pids = await waitFor('one ffmpeg', () => {
      const found = findOrphanFfmpeg(hlsDir);
      return found.length === 1 ? found : undefined;
    });

    stack.processes.get('media')!.kill('SIGKILL');
    await waitFor('ffmpeg gone with its parent', () => pids.every((pid) => !isAlive(pid)), 5000);

    await stack.startService('media');
    const resumed = await waitStatus(started.id, 'LIVE');
    expect(resumed.restarts).toBeGreaterThanOrEqual(1);
    const { streamSessions } = await call<{ streamSessions: Session[] }>('{ streamSessions(statuses: [LIVE]) { id } }');
    expect(streamSessions.map((s) => s.id)).toEqual([started.id]);
    const newPids = await waitFor('resumed ffmpeg', () => {
      const found = findOrphanFfmpeg(hlsDir);
      return found.length === 1 ? found : undefined;
    });

    const media = stack.processes.get('media')!;
    const exited = new Promise((resolve) => media.once('exit', resolve));
    media.kill('SIGTERM');
    await exited;
    await waitFor('ffmpeg gone after SIGTERM', () => newPids.every((pid) => !isAlive(pid)), 5000);
    expect(stack.logs.get('media')!.join('\n')).not.toContain('Pa55word');
  });
});
