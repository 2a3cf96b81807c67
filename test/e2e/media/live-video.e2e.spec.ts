import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { isAlive, probeHls, waitFor } from '../../int/media/media-harness';
import { findOrphanFfmpeg } from '../../../subgraphs/media/src/ffmpeg/orphan-reaper';
import { startRtspCamera, type RtspCamera } from '../../support/rtsp-camera';
import { startStack, type Stack } from '../../support/stack';
import { streamApi } from '../../support/media-api';

interface Session {
  id: string;
  status: string;
  hlsUrl: string;
  restarts: number;
  camera: { id: string };
}

/**
 * Live video as an operator gets it: a camera registered through the gateway reaches the media subgraph
 * by its events, startStream gives a signed link that plays through the gateway's /hls, status changes
 * are pushed over graphql-ws, Camera.liveStream resolves across subgraphs, and stop or decommission end it.
 */
describe('live video through the gateway', () => {
  let stack: Stack;
  let camera: RtspCamera;
  let ws: Client | undefined;
  const SESSION_FIELDS = 'id status hlsUrl restarts camera { id }';

  beforeAll(async () => {
    [stack, camera] = await Promise.all([startStack({ label: 'livevideo', env: { MEDIA_IDLE_TIMEOUT_SECONDS: '60' } }), startRtspCamera()]);
  });
  afterAll(async () => {
    await ws?.dispose();
    await stack?.stop();
    await camera?.stop();
  });

  const register = async (name: string, rtspUrl: string) => {
    const result = await stack.graphql<{ registerCamera: { id: string; position: string } }>(
      'mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id position } }',
      { input: { name, rtspUrl } },
      'admin',
    );
    expect(result.errors).toBeUndefined();
    return result.data!.registerCamera;
  };
  const startStream = (cameraId: string, role: 'operator' | 'viewer' = 'operator') =>
    stack.graphql<{ startStream: Session }>(`mutation($id: ID!) { startStream(cameraId: $id) { ${SESSION_FIELDS} } }`, { id: cameraId }, role);
  const startWhenKnown = (cameraId: string) => streamApi<Session>(stack, SESSION_FIELDS).startWhenKnown(cameraId);
  const sessionStatus = (id: string, status: string) => streamApi<Session>(stack, SESSION_FIELDS).sessionStatus(id, status);

  it('plays a signed HLS link through the gateway, pushes status changes, and resolves Camera.liveStream', async () => {
    const { id: cameraId, position } = await register('Lobby', camera.url('lobby', 'admin:Sup3rSecret'));
    ws = createClient({
      url: stack.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${stack.token('viewer')}` },
      retryAttempts: 0,
    });
    const pushed: string[] = [];
    const subscribed = new Promise<void>((resolve) => {
      ws!.subscribe<{ streamStatusChanged: { status: string } }>(
        { query: 'subscription($id: ID) { streamStatusChanged(cameraId: $id) { status } }', variables: { id: cameraId } },
        { next: (value) => void pushed.push(value.data!.streamStatusChanged.status), error: () => undefined, complete: () => undefined },
      );
      setTimeout(resolve, 500);
    });
    await subscribed;

    const forbidden = await startStream(cameraId, 'viewer');
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const started = await startWhenKnown(cameraId);
    expect(started.camera.id).toBe(cameraId);
    expect(started.hlsUrl.startsWith(`${stack.baseUrl}/hls/${started.id}/index.m3u8?exp=`)).toBe(true);
    const live = await sessionStatus(started.id, 'LIVE');

    const probe = await probeHls(live.hlsUrl);
    expect(probe.codec).toBe('h264');
    expect(probe.frames).toBeGreaterThan(0);
    const tampered = live.hlsUrl.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`);
    expect((await fetch(tampered)).status).toBe(403);
    expect((await fetch(`${stack.baseUrl}/hls/${started.id}/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);

    const federated = await stack.graphql<{ camera: { name: string; liveStream: { id: string; status: string } | null } }>(
      'query($id: ID!, $min: String) { camera(id: $id, minPosition: $min) { name liveStream { id status } } }',
      { id: cameraId, min: position },
      'viewer',
    );
    expect(federated.errors).toBeUndefined();
    expect(federated.data!.camera).toEqual({ name: 'Lobby', liveStream: { id: started.id, status: 'LIVE' } });
    await waitFor('LIVE pushed', () => pushed.includes('LIVE'));

    const pids = findOrphanFfmpeg(stack.env.HLS_DIR!);
    const stopped = await stack.graphql<{ stopStream: Session }>(
      `mutation($id: ID!) { stopStream(cameraId: $id) { ${SESSION_FIELDS} } }`,
      { id: cameraId },
      'operator',
    );
    expect(stopped.data!.stopStream.status).toBe('STOPPED');
    await waitFor('ffmpeg gone', () => pids.every((pid) => !isAlive(pid)), 5000);
    await waitFor('STOPPED pushed', () => pushed.includes('STOPPED'));
    expect((await fetch(live.hlsUrl)).status).toBe(404);
    const after = await stack.graphql<{ camera: { liveStream: unknown } }>(
      'query($id: ID!) { camera(id: $id) { liveStream { id } } }',
      { id: cameraId },
      'viewer',
    );
    expect(after.data!.camera.liveStream).toBeNull();
    expect(JSON.stringify({ started, live, stopped, federated, logs: [...stack.logs.values()] })).not.toContain('Sup3rSecret');
  });

  it('stops the session of a camera that is decommissioned', async () => {
    const { id: cameraId } = await register('Dock', camera.url('dock'));
    const started = await startWhenKnown(cameraId);
    await sessionStatus(started.id, 'LIVE');
    const result = await stack.graphql('mutation($id: ID!) { decommissionCamera(id: $id) { id } }', { id: cameraId }, 'admin');
    expect(result.errors).toBeUndefined();
    await sessionStatus(started.id, 'STOPPED');
    const again = await startStream(cameraId);
    expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
